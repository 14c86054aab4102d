import type { Sink } from './sink.js';
import { FILE_STAT_DESCS, macbOf, type TimelineEvent } from '../events/event.js';
import { formatUtcNs, nsToMicros } from '../time/nanotime.js';
import { ZoneRenderer } from '../time/zone.js';

export const L2T_HEADER = 'date,time,timezone,MACB,source,sourcetype,type,user,host,short,desc,version,filename,inode,notes,format,extra';

/** plaso _SanitizeField: the delimiter becomes a space; no quoting at all. */
const sanitize = (s: string): string => s.replace(/,/g, ' ');
/** plaso's message formatting drops CR and LF. */
const oneLine = (s: string): string => s.replace(/[\r\n]/g, '');

/** Display name as plaso builds it from a path spec: type indicator + location. */
export function displayName(e: TimelineEvent): string {
  return e.evidenceKind === 'OS' ? `OS:${e.evidenceSource.replace(/\/+$/, '')}/${e.evidence}` : `TAR:/${e.evidence}`;
}

/** `extra`: sorted `name: value` pairs joined by `; ` (plaso: `\n` → `-`, `\r` removed). */
export function extraOf(e: TimelineEvent): string {
  const pairs: [string, string][] = [['time_ns', formatUtcNs(e.timeNs)], ['evidence_source', e.evidenceSource], ['offset', String(e.offset)], ['kind', e.kind]];
  if (e.containerId) pairs.push(['container_id', e.containerId]);
  if (e.containerName) pairs.push(['container_name', e.containerName]);
  if (e.imageId) pairs.push(['image_id', e.imageId]);
  if (e.stream) pairs.push(['stream', e.stream]);
  for (const [k, v] of Object.entries(e.fields)) if (v !== null && v !== undefined) pairs.push([k, String(v)]);
  pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return pairs.map(([k, v]) => `${k}: ${v}`).join('; ').replace(/\n/g, '-').replace(/\r/g, '');
}

/**
 * plaso's l2tcsv: 17 columns, no quoting (commas become spaces), whole seconds in the output zone,
 * `MM/DD/YYYY`, MACB from the description, consecutive file-time events of one file at one
 * microsecond merged into one line (`M.C.`, types joined by `; `), as plaso's output engine does.
 */
export class L2tCsvSink implements Sink {
  private group: TimelineEvent[] = [];
  private readonly zone: ZoneRenderer;

  constructor(zone: string, private readonly hostname: string | null) {
    this.zone = new ZoneRenderer(zone);
  }

  header(): string {
    return L2T_HEADER + '\n';
  }

  write(e: TimelineEvent): string {
    const g = this.group;
    if (g.length > 0) {
      const first = g[0]!;
      if (FILE_STAT_DESCS.has(e.timestampDesc) && e.dataType === first.dataType && FILE_STAT_DESCS.has(first.timestampDesc)
        && nsToMicros(e.timeNs) === nsToMicros(first.timeNs) && e.evidence === first.evidence && e.evidenceSource === first.evidenceSource
        && !g.some((x) => x.timestampDesc === e.timestampDesc)) {
        g.push(e);
        return '';
      }
    }
    const out = this.end();
    this.group = [e];
    return out;
  }

  end(): string {
    const g = this.group;
    this.group = [];
    if (g.length === 0) return '';
    return this.line(g) + '\n';
  }

  private line(g: TimelineEvent[]): string {
    const e = g[0]!;
    const macb = ['.', '.', '.', '.'];
    for (const x of g) {
      const m = macbOf(x.timestampDesc);
      for (let i = 0; i < 4; i++) if (m[i] !== '.') macb[i] = m[i]!;
    }
    const zero = e.timeNs === 0n;
    const r = zero ? null : this.zone.render(e.timeNs);
    const desc = oneLine(e.message);
    const short = desc.length > 80 ? desc.slice(0, 77) + '...' : desc;
    const cols = [
      zero ? '00/00/0000' : r!.date,
      zero ? '--:--:--' : r!.time,
      zero ? '-' : r!.zone,
      macb.join(''),
      e.source || 'N/A',
      e.sourcetype || 'N/A',
      g.map((x) => x.timestampDesc).join('; '),
      '-',
      this.hostname ?? '-',
      short,
      desc,
      '2',
      displayName(e),
      e.inode ?? '-',
      '-',
      e.parser,
      extraOf(e),
    ];
    return cols.map((c) => sanitize(oneLine(c))).join(',');
  }
}
