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

/** plaso writes attribute values with Python's `str()`: booleans are `True` / `False`. */
const pyStr = (v: string | number | boolean): string => (typeof v === 'boolean' ? (v ? 'True' : 'False') : String(v));

/**
 * `extra`: `name: value` pairs, sorted as whole strings and joined by `; ` (plaso
 * formatting_helper: `'; '.join(sorted(...))`, then `\n` → `-` and `\r` removed).
 */
export function extraOf(e: TimelineEvent): string {
  const pairs: string[] = [`time_ns: ${formatUtcNs(e.timeNs)}`, `evidence_source: ${e.evidenceSource}`, `offset: ${e.offset}`, `kind: ${e.kind}`];
  if (e.containerId) pairs.push(`container_id: ${e.containerId}`);
  if (e.containerName) pairs.push(`container_name: ${e.containerName}`);
  if (e.imageId) pairs.push(`image_id: ${e.imageId}`);
  if (e.stream) pairs.push(`stream: ${e.stream}`);
  for (const [k, v] of Object.entries(e.fields)) if (v !== null && v !== undefined) pairs.push(`${k}: ${pyStr(v)}`);
  pairs.sort(cmpCodePoints);
  return pairs.join('; ').replace(/\n/g, '-').replace(/\r/g, '');
}

/**
 * Python's string order (by code point). UTF-16 order differs only where a surrogate (an astral
 * character) meets U+E000..U+FFFF at the first difference: the astral character is the greater.
 */
function cmpCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i), y = b.charCodeAt(i);
    if (x === y) continue;
    const sx = x >= 0xd800 && x <= 0xdfff, sy = y >= 0xd800 && y <= 0xdfff;
    if (sx !== sy && (sx ? y : x) >= 0xe000) return sx ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

/** plaso's short message: over 80 characters (code points, as Python counts) → the first 77 + `...`. */
export function shortMessage(desc: string): string {
  if (desc.length <= 80) return desc; // UTF-16 length >= characters
  const cps = Array.from(desc);
  return cps.length > 80 ? cps.slice(0, 77).join('') + '...' : desc;
}

/** plaso GetMACBRepresentationFromDescriptions: one letter per file-stat description present. */
function macbFromDescriptions(descs: readonly string[]): string {
  const has = (...d: string[]): boolean => d.some((x) => descs.includes(x));
  return (has('mtime', 'Content Modification Time') ? 'M' : '.') + (has('atime', 'Last Access Time') ? 'A' : '.')
    + (has('ctime', 'Metadata Modification Time') ? 'C' : '.') + (has('crtime', 'Creation Time') ? 'B' : '.');
}

/** Events that plaso's output engine may write as one MACB line: file-stat times of one file. */
function macbGroupKey(e: TimelineEvent): string | null {
  if (e.dataType !== 'fs:stat' || !FILE_STAT_DESCS.has(e.timestampDesc)) return null;
  return [e.evidenceKind, e.evidenceSource, e.evidence, e.inode ?? '', e.message].join('\0');
}

/**
 * plaso's l2tcsv: 17 columns, no quoting (commas become spaces), whole seconds in the output zone,
 * `MM/DD/YYYY`, MACB from the description. The file-stat times (`fs:stat`) of one file that fall in
 * the same microsecond are merged into one line (`M.C.`, descriptions sorted and joined by `; `,
 * other columns from the first), as plaso's output engine does: it groups by event values in a heap
 * per timestamp, so the times need not be adjacent in our order, only in the same microsecond.
 */
export class L2tCsvSink implements Sink {
  /** The events of the current microsecond, in arrival order. */
  private pending: TimelineEvent[] = [];
  private pendingMicros: bigint | null = null;
  private readonly zone: ZoneRenderer;

  constructor(zone: string, private readonly hostname: string | null) {
    this.zone = new ZoneRenderer(zone);
  }

  header(): string {
    return L2T_HEADER + '\n';
  }

  write(e: TimelineEvent): string {
    const us = nsToMicros(e.timeNs);
    let out = '';
    // Like plaso's export heap, hold at most 100 000 events back (a group may split beyond that).
    if (this.pendingMicros !== null && (us !== this.pendingMicros || this.pending.length >= 100_000)) out = this.end();
    this.pendingMicros = us;
    this.pending.push(e);
    return out;
  }

  end(): string {
    const events = this.pending;
    this.pending = [];
    this.pendingMicros = null;
    if (events.length === 0) return '';
    // Groups in order of their first event; a description already in a group starts a new one.
    const groups: TimelineEvent[][] = [];
    const open = new Map<string, TimelineEvent[]>();
    for (const e of events) {
      const key = macbGroupKey(e);
      if (key === null) {
        groups.push([e]);
        continue;
      }
      const g = open.get(key);
      if (g && !g.some((x) => x.timestampDesc === e.timestampDesc)) {
        g.push(e);
      } else {
        const ng = [e];
        groups.push(ng);
        open.set(key, ng);
      }
    }
    let out = '';
    for (const g of groups) out += this.line(g) + '\n';
    return out;
  }

  private line(group: TimelineEvent[]): string {
    const g = group.length > 1 ? [...group].sort((a, b) => cmpCodePoints(a.timestampDesc, b.timestampDesc)) : group;
    const e = g[0]!;
    const descs = g.map((x) => x.timestampDesc);
    const macb = e.dataType === 'fs:stat'
      ? macbFromDescriptions(descs.flatMap((d) => d.split(';').map((x) => x.trim())))
      : macbOf(e.timestampDesc);
    // plaso writes its "not set" form for a timestamp of 0 microseconds.
    const zero = nsToMicros(e.timeNs) === 0n;
    const r = zero ? null : this.zone.render(e.timeNs);
    const desc = oneLine(e.message);
    const cols = [
      zero ? '00/00/0000' : r!.date,
      zero ? '--:--:--' : r!.time,
      zero ? '-' : r!.zone,
      macb,
      e.source || 'N/A',
      e.sourcetype || 'N/A',
      descs.join('; '),
      '-',
      this.hostname ?? '-',
      shortMessage(desc),
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
