import type { FieldValue, StatInfo, TimelineEvent } from '../../events/event.js';
import { NS_PER_SECOND, floorDiv, secondsFractionToNs } from '../../time/nanotime.js';
import { chomp, type Reader } from '../reader.js';
import { epochInZone, type InputZone } from '../times.js';
import { MACB, decodeBodyName, entryMessage, numOrText, splitEntryName, type EntryName } from './file-entry.js';

const TIME = /^-?\d+(?:\.\d+)?$/;
const KIND = 'host.bodyfile';
const PARSER = 'docker_timeline/merge_bodyfile';
/** The time columns in the order of the line (and of the `malformed` check). */
const COLUMN_ORDER = ['atime', 'mtime', 'ctime', 'crtime'] as const;

/** The shape of a bodyfile line: at least 11 `|`-separated fields, the last four numeric times. */
function looksLikeBodyLine(line: string): boolean {
  const f = line.split('|');
  return f.length >= 11 && f.slice(-4).every((t) => TIME.test(t.trim()));
}

/**
 * The columns of one bodyfile line: MD5 (trimmed), the name as written, inode, mode, UID, GID, size
 * (as written), and the four times (trimmed) in MACB order (mtime, atime, ctime, crtime).
 */
export interface BodyLine {
  md5: string;
  rawName: string;
  inode: string;
  mode: string;
  uid: string;
  gid: string;
  size: string;
  /** mtime, atime, ctime, crtime (the order of MACB). */
  times: [string, string, string, string];
}

/**
 * Split a line as plaso does: the last nine `|`-fields from the right, the first field is the MD5,
 * what lies between is the name (so a `|` that fls did not escape stays in it). Returns the number of
 * fields when there are fewer than 11. (Same result as `split('|')` and slicing, without the array.)
 */
export function splitBodyLine(text: string): BodyLine | number {
  const first = text.indexOf('|');
  const cut = [0, 0, 0, 0, 0, 0, 0, 0, 0];
  let pos = text.length;
  for (let k = 8; k >= 0; k--) {
    const q = pos > 0 ? text.lastIndexOf('|', pos - 1) : -1;
    if (q < 0 || q <= first) return text.split('|').length;
    cut[k] = q;
    pos = q;
  }
  const [c0, c1, c2, c3, c4, c5, c6, c7, c8] = cut as [number, number, number, number, number, number, number, number, number];
  return {
    md5: text.slice(0, first).trim(),
    rawName: text.slice(first + 1, c0),
    inode: text.slice(c0 + 1, c1),
    mode: text.slice(c1 + 1, c2),
    uid: text.slice(c2 + 1, c3),
    gid: text.slice(c3 + 1, c4),
    size: text.slice(c4 + 1, c5),
    // line order atime|mtime|ctime|crtime → MACB order
    times: [text.slice(c6 + 1, c7).trim(), text.slice(c5 + 1, c6).trim(), text.slice(c7 + 1, c8).trim(), text.slice(c8 + 1).trim()],
  };
}

/** Index in `BodyLine.times` (MACB order) of each column in line order. */
const LINE_TO_MACB = [1, 0, 2, 3] as const;

/** The first time column (in line order) that is not a number, or null. */
export function badTimeColumn(line: BodyLine): { column: string; value: string } | null {
  for (let i = 0; i < 4; i++) {
    const v = line.times[LINE_TO_MACB[i]!]!;
    if (v !== '' && !isTime(v)) return { column: COLUMN_ORDER[i]!, value: v };
  }
  return null;
}

/** `^-?\d+(?:\.\d+)?$`, by hand. */
function isTime(v: string): boolean {
  let i = v.charCodeAt(0) === 45 /* - */ ? 1 : 0;
  const start = i;
  while (i < v.length && isDigit(v.charCodeAt(i))) i++;
  if (i === start) return false;
  if (i === v.length) return true;
  if (v.charCodeAt(i) !== 46 /* . */) return false;
  const frac = ++i;
  while (i < v.length && isDigit(v.charCodeAt(i))) i++;
  return i > frac && i === v.length;
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

// what parseTimeNumbers read (two numbers, no object per time)
let parsedSeconds = 0;
let parsedNanos = 0;

/**
 * A time column (checked by `isTime`, at most 15 digits of whole seconds: `fitsNumber`) as seconds
 * and nanoseconds, the same instant `secondsFractionToNs` gives, as the two numbers the rows sort on
 * (floor: nanoseconds in 0..999 999 999, before 1970 too). Sets `parsedSeconds` and `parsedNanos`.
 */
function parseTimeNumbers(v: string): void {
  const neg = v.charCodeAt(0) === 45;
  let i = neg ? 1 : 0;
  let whole = 0;
  for (; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === 46) break;
    whole = whole * 10 + (c - 48);
  }
  let frac = 0;
  let scale = 100_000_000;
  for (i++; i < v.length && scale >= 1; i++, scale /= 10) frac += (v.charCodeAt(i) - 48) * scale;
  if (!neg || frac === 0) {
    parsedSeconds = neg ? -whole : whole;
    parsedNanos = frac;
  } else {
    parsedSeconds = -whole - 1;
    parsedNanos = 1_000_000_000 - frac;
  }
  if (parsedSeconds === 0) parsedSeconds = 0; // -0 → 0
}

/** What every event of one row shares: its name split as fls writes it, the message, owner fields. */
export interface BodyRow {
  line: BodyLine;
  /** The name decoded (`%XX`, `\|`, ...), with fls's ` -> target` and ` (deleted)` still on. */
  name: string;
  entry: EntryName;
  md5: string | null;
  message: string;
  uid: number | string;
  gid: number | string;
  /** The path the row is about, for attribution (null for this tool's own `[docker:...]` names). */
  hostPath: string | null;
}

export function bodyRow(line: BodyLine): BodyRow {
  const name = decodeBodyName(line.rawName);
  const entry = splitEntryName(name, line.mode);
  const md5 = line.md5 && line.md5 !== '0' ? line.md5 : null;
  return {
    line, name, entry, md5,
    message: entryMessage(name, line.uid, line.gid, line.mode, md5),
    uid: line.uid === '' ? '' : numOrText(line.uid),
    gid: line.gid === '' ? '' : numOrText(line.gid),
    hostPath: entry.path.startsWith('[docker:') ? null : entry.path,
  };
}

/** The bodyfile columns of a row, for the bodyfile output (the file is not the event's evidence: `foreign`). */
function statOf(r: BodyRow): StatInfo {
  return {
    mode: r.line.mode, uid: typeof r.uid === 'number' ? r.uid : null, gid: typeof r.gid === 'number' ? r.gid : null,
    size: r.line.size, inode: r.line.inode, foreign: true,
  };
}

/**
 * The event of one time column (index in MACB) of a row: `timeNs` already in UTC (read in the input
 * zone), `note` the zone note. The same for events made at once and for rows made into events only
 * when written (merge/bodyfile-rows.ts).
 */
export function bodyEvent(dir: string, name: string, offset: number, r: BodyRow, col: number, timeNs: bigint, note: string | null): TimelineEvent {
  const t = MACB[col]!;
  const line = r.line;
  const fields: Record<string, FieldValue> = { filename: r.entry.path };
  if (r.entry.linkTarget !== undefined) fields.symbolic_link_target = r.entry.linkTarget;
  if (r.entry.deleted) fields.deleted = r.entry.deleted;
  fields.mode = line.mode;
  if (line.uid !== '') fields.uid = r.uid;
  if (line.gid !== '') fields.gid = r.gid;
  if (line.size !== '') fields.size = line.size;
  if (r.md5) fields.md5 = r.md5;
  fields.bodyfile_column = t.column;
  fields.time_raw = line.times[col]!;
  if (note) fields.time_zone_note = note;
  const e: TimelineEvent = {
    timeNs, timestampDesc: t.desc, kind: KIND, message: r.message,
    source: 'FILE', sourcetype: 'Bodyfile', dataType: 'fs:bodyfile:entry', parser: PARSER,
    evidenceSource: dir, evidenceKind: 'OS', evidence: name, offset, fields,
  };
  if (line.inode) e.inode = line.inode;
  e.stat = statOf(r);
  return e;
}

/** Which optional fields the events of a row have (the field names depend on nothing else). */
export function fieldMask(r: BodyRow, zone: InputZone): number {
  return (r.entry.linkTarget !== undefined ? 1 : 0) | (r.entry.deleted ? 2 : 0) | (r.line.uid !== '' ? 4 : 0)
    | (r.line.gid !== '' ? 8 : 0) | (r.line.size !== '' ? 16 : 0) | (r.md5 ? 32 : 0) | (zone.utc ? 0 : 64);
}

/** The zone note of a time column read in a zone other than UTC (null in UTC). */
export function zoneNote(v: string, zone: InputZone): string | null {
  if (zone.utc) return null;
  return epochInZone(secondsFractionToNs(v)!, zone)?.note ?? null;
}

/**
 * Sleuth Kit bodyfile 3.x (`fls -m`, `ils -m`, this tool's bodyfile output):
 * `MD5|name|inode|mode|UID|GID|size|atime|mtime|ctime|crtime`. As plaso does, the last nine fields are
 * taken from the right and what is left between MD5 and them is the name, so a `|` that fls did not
 * escape stays in the name. Each non-zero time is one event (mactime's `m`, `a`, `c`, `b`).
 * In `merge` (`ctx.rows`), a line is kept whole with its times and made into events only when they
 * are written (merge/bodyfile-rows.ts); the events are the same.
 */
export const bodyfileReader: Reader = {
  format: 'bodyfile',
  kind: KIND,
  artifact: 'bodyfile',
  detect(lines) {
    const first = lines.find((l) => !l.startsWith('#'));
    return first !== undefined && looksLikeBodyLine(chomp(first));
  },
  open(ctx) {
    const rows = ctx.rows;
    const secs = new Float64Array(4);
    const nanos = new Float64Array(4);
    return {
      line(raw, offset) {
        const text = chomp(raw);
        if (text.trim() === '' || text.startsWith('#')) return;
        const line = splitBodyLine(text);
        if (typeof line === 'number') {
          ctx.warn('malformed', offset, `bodyfile line has ${line} |-separated fields, 11 needed; skipped`);
          return;
        }
        const bad = badTimeColumn(line);
        if (bad) {
          ctx.warn('malformed', offset, `bodyfile ${bad.column} ${JSON.stringify(bad.value.slice(0, 40))} is not a number; line skipped`);
          return;
        }
        // times beyond exact numbers (more than 15 digits of seconds) are rare: such a row is made into events at once
        const asRow = rows !== undefined && line.times.every(fitsNumber);
        let any = false;
        let events = 0;
        let row: BodyRow | null = null;
        for (let col = 0; col < 4; col++) {
          const v = line.times[col]!;
          secs[col] = NaN;
          let ns: bigint | null = null;
          if (v === '') continue;
          if (asRow && ctx.zone.utc) {
            parseTimeNumbers(v);
            if (parsedSeconds === 0 && parsedNanos === 0) continue;
            any = true;
            secs[col] = parsedSeconds;
            nanos[col] = parsedNanos;
            events++;
            continue;
          }
          const epoch = secondsFractionToNs(v);
          if (epoch === null) {
            ctx.warn('bad-time', offset, `${MACB[col]!.column} ${JSON.stringify(v.slice(0, 40))} has more than 20 digits of seconds: not read; no ${MACB[col]!.desc} event`);
            continue;
          }
          if (epoch === 0n) continue;
          any = true;
          const local = epochInZone(epoch, ctx.zone);
          if (!local) {
            ctx.warn('bad-time', offset, `${MACB[col]!.column} ${v} read as ${ctx.zone.name} local time falls in a summer-time gap; no ${MACB[col]!.desc} event`);
            continue;
          }
          ns = local.ns;
          if (asRow) {
            const s = floorDiv(ns, NS_PER_SECOND);
            secs[col] = Number(s);
            nanos[col] = Number(ns - s * NS_PER_SECOND);
            events++;
            continue;
          }
          row ??= bodyRow(line);
          ctx.emit(bodyEvent(ctx.dir, ctx.name, offset, row, col, ns, local.note), row.hostPath);
        }
        if (!any) ctx.untimed();
        else if (asRow && events) rows.row(text, offset, line, secs, nanos, events);
      },
      end() {},
    };
  },
};

/** Whole seconds of at most 15 digits (an exact number): the rows sort on numbers. */
function fitsNumber(v: string): boolean {
  const dot = v.indexOf('.');
  return (dot < 0 ? v.length : dot) - (v.charCodeAt(0) === 45 ? 1 : 0) <= 15;
}
