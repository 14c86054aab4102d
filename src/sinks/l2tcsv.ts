import type { RawLogFormat, Sink } from './sink.js';
import { L2tRawLogs } from './l2tcsv-raw.js';
import { FILE_STAT_DESCS, macbOf, type TimelineEvent } from '../events/event.js';
import { formatUtcNs, NS_PER_SECOND, nsToMicros, nsToSeconds } from '../time/nanotime.js';
import { ZoneRenderer } from '../time/zone.js';
import { RawLine } from '../events/raw-line.js';

export const L2T_HEADER = 'date,time,timezone,MACB,source,sourcetype,type,user,host,short,desc,version,filename,inode,notes,format,extra';

const NEEDS_CLEAN = /[,\r\n]/;
/**
 * plaso _SanitizeField (the delimiter becomes a space; no quoting at all), after its message
 * formatting dropped CR and LF. The scan comes first: most values need nothing.
 */
export const clean = (s: string): string => (NEEDS_CLEAN.test(s) ? s.replace(/[\r\n]/g, '').replace(/,/g, ' ') : s);

/** `clean` of the strings that repeat on every event (paths, sources, parsers), cached. */
const cleanCache = new Map<string, string>();
function cleanRepeated(s: string): string {
  let c = cleanCache.get(s);
  if (c === undefined) {
    c = clean(s);
    if (cleanCache.size > 20_000) cleanCache.clear();
    cleanCache.set(s, c);
  }
  return c;
}
/** plaso's message formatting drops CR and LF. */
export const oneLine = (s: string): string => (s.includes('\n') || s.includes('\r') ? s.replace(/[\r\n]/g, '') : s);

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
  const names: string[] = ['time_ns', 'offset', 'kind'];
  const values: string[] = [formatUtcNs(e.timeNs), String(e.offset), e.kind];
  // what another column already says is left out: the directory (in filename) and, for logs, the image
  if (e.evidenceKind !== 'OS') { names.push('evidence_source'); values.push(e.evidenceSource); }
  if (e.containerId) { names.push('container_id'); values.push(e.containerId); }
  if (e.containerName) { names.push('container_name'); values.push(e.containerName); }
  if (e.imageId && e.kind !== 'container.log') { names.push('image_id'); values.push(e.imageId); }
  if (e.stream) { names.push('stream'); values.push(e.stream); }
  const f = e.fields;
  for (const k in f) {
    const v = f[k];
    // a field cannot stand in for one of the pairs above (as in jsonl): one pair per name, as in plaso
    if (v === null || v === undefined || L2T_SKIP_FIELDS.has(k) || RESERVED_PAIRS.has(k)) continue;
    names.push(k);
    values.push(pyStr(v));
  }
  if (names.some((n) => n.includes(':'))) {
    // a name with a colon could tie with another name's prefix: sort the whole strings
    const pairs = names.map((n, i) => `${n}: ${values[i]}`).sort(cmpCodePoints).join('; ');
    return pairs.replace(/\n/g, '-').replace(/\r/g, '');
  }
  const order = pairOrder(names);
  let text = `${names[order[0]!]}: ${values[order[0]!]}`;
  for (let i = 1; i < order.length; i++) text += `; ${names[order[i]!]}: ${values[order[i]!]}`;
  return text.includes('\n') || text.includes('\r') ? text.replace(/\n/g, '-').replace(/\r/g, '') : text;
}

const orderCache = new Map<string, number[]>();

/**
 * The order of `name: value` pairs once sorted as whole strings (plaso sorts the joined pairs).
 * Names are unique, so it is decided by the names alone (`name:` against `name_x`: `:` sorts first),
 * and is cached per list of names. Python compares code points: an astral character sorts last.
 */
function pairOrder(names: string[]): number[] {
  const key = names.join('\0');
  let order = orderCache.get(key);
  if (order === undefined) {
    const withColon = names.map((n) => `${n}:`);
    order = names.map((_, i) => i).sort((a, b) => cmpCodePoints(withColon[a]!, withColon[b]!));
    if (orderCache.size > 10_000) orderCache.clear();
    orderCache.set(key, order);
  }
  return order;
}

export const TIME_NS = '\u0000time_ns';
export const OFFSET = '\u0000offset';

export interface LogTemplate {
  /** The template's constant fields (rotation, offset_in) as `name\0value\0` pairs. */
  constant: string;
  evidenceSource: string; stream: string | undefined; containerId: string | undefined; containerName: string | undefined;
  inode: string | undefined; parser: string; desc: string; source: string; sourcetype: string; kindOfSource: string;
  middle: string;
  tail: string;
  /** The extra pairs in order; TIME_NS and OFFSET stand for the per-line values. */
  extra: string[];
}

/** Pair names the event itself provides. */
const RESERVED_PAIRS = new Set(['time_ns', 'offset', 'kind', 'evidence_source', 'container_id', 'container_name', 'image_id', 'stream']);

/** Fields the L2T view leaves out: the raw time text (jsonl keeps it) and the driver (the format column says it). */
const L2T_SKIP_FIELDS = new Set(['time_raw', 'log_driver']);

const UTC = new ZoneRenderer('UTC');

/** Fields a log line's template holds: the same on every plain line of one log file (a rotation's number, a compressed file's offset_in). */
const LOG_TEMPLATE_FIELDS = new Set([...L2T_SKIP_FIELDS, 'rotation', 'offset_in']);

/** The fields of a log line a template holds as constant pairs (`name\0value\0`), or null when it has others. */
function constantFields(e: TimelineEvent): string | null {
  let constant = '';
  for (const k in e.fields) {
    if (!LOG_TEMPLATE_FIELDS.has(k)) return null;
    const v = e.fields[k];
    if (!L2T_SKIP_FIELDS.has(k) && v !== null && v !== undefined) constant += `${k}\0${pyStr(v)}\0`;
  }
  return constant;
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

const SURROGATE = /[\ud800-\udfff]/;

/** plaso's short message: over 80 characters (code points, as Python counts) → the first 77 + `...`. */
export function shortMessage(desc: string): string {
  if (desc.length <= 80) return desc; // UTF-16 length >= characters
  if (!SURROGATE.test(desc.slice(0, 160))) return desc.slice(0, 77) + '...';
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
  private pending: (TimelineEvent | RawLine)[] = [];
  /**
   * The microsecond of the items since the last flush (its whole second in ns, and the microsecond
   * within it: a fast-path line has both at hand, no bigint is made per line), and how many came
   * (held, or written through by writeRaw).
   */
  private curSecondNs: bigint | null = null;
  private curMicro = -1;
  private curCount = 0;
  private readonly zone: ZoneRenderer;

  private readonly host: string;
  private readonly filenames = new Map<string, { source: string; value: string }>();

  /** The cleaned `filename` column, cached per artifact (the same path string comes with every line of a log). */
  private filename(e: TimelineEvent): string {
    const hit = this.filenames.get(e.evidence);
    if (hit && hit.source === e.evidenceSource) return hit.value;
    const value = clean(displayName(e));
    if (this.filenames.size > 10_000) this.filenames.clear();
    this.filenames.set(e.evidence, { source: e.evidenceSource, value });
    return value;
  }

  constructor(zone: string, readonly hostname: string | null, private readonly fast = true) {
    this.zone = new ZoneRenderer(zone);
    this.host = clean(hostname ?? '-').replace(/[\r\n]/g, '');
  }

  header(): string {
    return L2T_HEADER + '\n';
  }

  write(e: TimelineEvent): string {
    const secondNs = nsToSeconds(e.timeNs) * NS_PER_SECOND;
    const out = this.next(secondNs, Number((e.timeNs - secondNs) / 1000n));
    this.pending.push(e);
    return out;
  }

  /**
   * An item of microsecond `us` comes: what is held is written first when `us` is another
   * microsecond or, like plaso's export heap, when 100 000 items of this one came since the last
   * flush (a group may split beyond that). Lines the fast path wrote through count too, so the
   * groups are those the JSON path makes.
   */
  private next(secondNs: bigint, micro: number): string {
    let out = '';
    if (this.curMicro !== micro || this.curSecondNs !== secondNs || this.curCount >= 100_000) {
      out = this.end();
      this.curSecondNs = secondNs;
      this.curMicro = micro;
    }
    this.curCount++;
    return out;
  }

  end(): string {
    this.curCount = 0;
    if (this.pending.length === 0) return '';
    const events = this.pending;
    this.pending = [];
    if (events.length === 1) return this.lineOf(events[0]!) + '\n';
    // Groups in order of their first event; a description already in a group starts a new one.
    const groups: (TimelineEvent | RawLine)[][] = [];
    const open = new Map<string, TimelineEvent[]>();
    for (const e of events) {
      const key = e instanceof RawLine ? null : macbGroupKey(e);
      if (key === null) {
        groups.push([e]);
        continue;
      }
      const g = open.get(key);
      const ev = e as TimelineEvent;
      if (g && !g.some((x) => x.timestampDesc === ev.timestampDesc)) {
        g.push(ev);
      } else {
        const ng = [ev];
        groups.push(ng);
        open.set(key, ng);
      }
    }
    let out = '';
    for (const g of groups) out += (g.length === 1 ? this.lineOf(g[0]!) : this.line(g as TimelineEvent[])) + '\n';
    return out;
  }

  rawLogs(): RawLogFormat {
    return new L2tRawLogs(this);
  }

  private lineOf(e: TimelineEvent | RawLine): string {
    return e instanceof RawLine ? e.text() : this.line([e]);
  }

  /**
   * A line formatted in advance (see L2tRawLogs): null when nothing is held back, so its bytes go out
   * as they are; otherwise the text to write in its place (it joins the held microsecond, or follows
   * what is flushed).
   */
  writeRaw(r: RawLine): string | null {
    const out = this.next(r.secondNs, Math.floor(r.nanos / 1000));
    if (this.pending.length > 0) {
      this.pending.push(r.copy());
      return out;
    }
    return out === '' ? null : out + r.text() + '\n';
  }

  private readonly logTemplates = new Map<string, LogTemplate>();

  /**
   * A plain log line (no fields that L2T shows) from a template per artifact and stream: everything
   * but the time, message and offset is the same on every line of a log file. Same bytes as `line()`
   * (a test holds it to that), without sorting and joining the extra pairs again for each line.
   */
  private logLine(e: TimelineEvent): string | null {
    const t = this.logTemplate(e);
    if (t === null || nsToMicros(e.timeNs) === 0n) return null;
    const desc = oneLine(e.message);
    let extra = '';
    for (let i = 0; i < t.extra.length; i++) {
      const piece = t.extra[i]!;
      extra += (i ? '; ' : '') + (piece === TIME_NS ? `time_ns: ${formatUtcNs(e.timeNs)}` : piece === OFFSET ? `offset: ${e.offset}` : piece);
    }
    return `${this.zoneColumns(e.timeNs)}${t.middle}${clean(shortMessage(desc))},${clean(desc)}${t.tail}${extra}`;
  }

  /** The first three columns (date, time, zone) and their commas. */
  get zoneName(): string {
    return this.zone.zoneName;
  }

  /**
   * The date and time columns in the output zone, or in UTC where the local year is outside
   * 0000-9999 (9999-12-31 late in UTC is already 10000 east of it): MM/DD/YYYY has four digits.
   */
  private render(ns: bigint): ReturnType<ZoneRenderer['render']> {
    const r = this.zone.render(ns);
    return /\/\d{4}$/.test(r.date) ? r : UTC.render(ns);
  }

  zoneColumns(ns: bigint): string {
    const r = this.render(ns);
    return `${r.date},${r.time},${clean(r.zone)},`;
  }

  /**
   * The template of a plain log line (no field that L2T shows): everything but the time, message and
   * offset, the same on every line of one stream of a log file. null for any other event.
   */
  logTemplate(e: TimelineEvent): LogTemplate | null {
    if (e.kind !== 'container.log') return null;
    const constant = constantFields(e);
    if (constant === null) return null;
    const key = e.stream === 'stderr' ? `${e.evidence}\0e` : e.evidence;
    let t = this.logTemplates.get(key);
    if (!t || t.constant !== constant || t.evidenceSource !== e.evidenceSource || t.stream !== e.stream || t.containerId !== e.containerId || t.containerName !== e.containerName
      || t.inode !== e.inode || t.parser !== e.parser || t.desc !== e.timestampDesc || t.source !== e.source || t.sourcetype !== e.sourcetype || t.kindOfSource !== e.evidenceKind) {
      t = this.buildLogTemplate(e, constant);
      if (this.logTemplates.size > 10_000) this.logTemplates.clear();
      this.logTemplates.set(key, t);
    }
    return t;
  }

  private buildLogTemplate(e: TimelineEvent, constant: string): LogTemplate {
    const names = ['time_ns', 'offset', 'kind'];
    const values = ['', '', e.kind];
    if (e.evidenceKind !== 'OS') { names.push('evidence_source'); values.push(e.evidenceSource); }
    if (e.containerId) { names.push('container_id'); values.push(e.containerId); }
    if (e.containerName) { names.push('container_name'); values.push(e.containerName); }
    if (e.stream) { names.push('stream'); values.push(e.stream); }
    // (as extraOf: a field after the event's own pairs)
    const pairs = constant.split('\0');
    for (let i = 0; i + 1 < pairs.length; i += 2) { names.push(pairs[i]!); values.push(pairs[i + 1]!); }
    const fix = (x: string): string => clean(x.replace(/\n/g, '-').replace(/\r/g, ''));
    const extra = pairOrder(names).map((i) => (i === 0 ? TIME_NS : i === 1 ? OFFSET : fix(`${names[i]}: ${values[i]}`)));
    return {
      constant, evidenceSource: e.evidenceSource, stream: e.stream, containerId: e.containerId, containerName: e.containerName, inode: e.inode,
      parser: e.parser, desc: e.timestampDesc, source: e.source, sourcetype: e.sourcetype, kindOfSource: e.evidenceKind,
      middle: `${macbOf(e.timestampDesc)},${cleanRepeated(e.source || 'N/A')},${cleanRepeated(e.sourcetype || 'N/A')},${cleanRepeated(e.timestampDesc)},-,${this.host},`,
      tail: `,2,${this.filename(e)},${clean(e.inode ?? '-')},-,${cleanRepeated(e.parser)},`,
      extra,
    };
  }

  private line(group: TimelineEvent[]): string {
    if (group.length === 1 && this.fast) {
      const fast = this.logLine(group[0]!);
      if (fast !== null) return fast;
    }
    const g = group.length > 1 ? [...group].sort((a, b) => cmpCodePoints(a.timestampDesc, b.timestampDesc)) : group;
    const e = g[0]!;
    const descs = g.map((x) => x.timestampDesc);
    const macb = e.dataType === 'fs:stat'
      ? macbFromDescriptions(descs.flatMap((d) => d.split(';').map((x) => x.trim())))
      : macbOf(e.timestampDesc);
    // plaso writes its "not set" form for a timestamp of 0 microseconds.
    const zero = nsToMicros(e.timeNs) === 0n;
    const r = zero ? null : this.render(e.timeNs);
    const desc = oneLine(e.message);
    const type = descs.length === 1 ? descs[0]! : descs.join('; ');
    // constant or known-clean columns are written as they are; the others pass plaso's sanitiser
    return (zero ? '00/00/0000,--:--:--,-,' : `${r!.date},${r!.time},${clean(r!.zone)},`)
      + `${macb},${cleanRepeated(e.source || 'N/A')},${cleanRepeated(e.sourcetype || 'N/A')},${cleanRepeated(type)},-,${this.host},`
      + `${clean(shortMessage(desc))},${clean(desc)},2,${this.filename(e)},${clean(e.inode ?? '-')},-,${cleanRepeated(e.parser)},${clean(extraOf(e))}`;
  }
}
