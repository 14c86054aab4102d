import { isUtf8 } from 'node:buffer';
import type { TimelineEvent } from '../events/event.js';
import type { LineShape } from '../extractors/json-file-line.js';
import type { ZoneRenderer } from '../time/zone.js';
import type { RawLogFormat, RawLogSpec } from './sink.js';
import { MARK_NS, MARK_OFFSET, MARK_RAW, MARK_TEXT, TEMPLATE_FIELDS } from './jsonl-raw.js';
import { canonicalTime, escapeEnd, isSurrogate, putDigits, putUtf8, unicodeEscape } from './json-text.js';
import { putDatetime, type DatetimeCache } from './timesketch-raw.js';

/** The constant pieces of a log line's Timesketch CSV row, between the parts that change from line to line. */
interface CsvTemplate extends DatetimeCache {
  /** The message's prefix, as it is (`[web] stdout: `; a prefix that needs quoting takes the JSON path). */
  head: Buffer;
  /** From after `timestamp` to `time_ns` (`,Content Modification Time,`...). */
  toTimeNs: Buffer;
  /** From after `time_ns` to the offset's digits. */
  toOffset: Buffer;
  /** From after the offset to `time_raw`. */
  toRaw: Buffer;
  /** The rest of the row and its CRLF. */
  tail: Buffer;
  fixed: number;
}

const MARK_TIME_NS = '1970-01-01T00:00:00.000000001Z';
const QUOTE = 0x22;

/**
 * The JSON-escaped string content `src[a, b)` decoded into `dst` as a CSV cell's text: UTF-8 as a
 * JavaScript string is written (a lone surrogate as U+FFFD), `"` doubled. Returns the end, and in
 * `needsQuotes[0]` whether the cell must be quoted (it holds `,`, `"`, CR or LF); -1 where JSON.parse
 * would not read the text the plain way or the bytes are not UTF-8. Never longer than the input.
 */
export function csvText(src: Buffer, a: number, b: number, dst: Buffer, pos: number, needsQuotes: boolean[]): number {
  let j = pos;
  let high = false;
  let quote = false;
  const put = (cp: number): void => {
    if (cp === 0x22) {
      dst[j++] = QUOTE;
      dst[j++] = QUOTE;
      quote = true;
    } else {
      if (cp === 0x2c || cp === 0x0a || cp === 0x0d) quote = true;
      j = putUtf8(dst, j, cp);
    }
  };
  for (let i = a; i < b; i++) {
    const c = src[i]!;
    if (c >= 0x80) {
      high = true;
      dst[j++] = c;
    } else if (c === 0x5c) {
      if (++i >= b) return -1;
      const e = src[i]!;
      switch (e) {
        case 0x22: put(0x22); break;
        case 0x5c: case 0x2f: dst[j++] = e; break;
        case 0x62: dst[j++] = 0x08; break;
        case 0x66: dst[j++] = 0x0c; break;
        case 0x6e: put(0x0a); break;
        case 0x72: put(0x0d); break;
        case 0x74: dst[j++] = 0x09; break;
        case 0x75: {
          const cp = unicodeEscape(src, i, b);
          if (cp < 0) return -1;
          i = escapeEnd;
          put(isSurrogate(cp) ? 0xfffd : cp);
          break;
        }
        default: return -1;
      }
    } else if (c < 0x20 || c === 0x22) {
      return -1;
    } else {
      if (c === 0x2c) quote = true;
      dst[j++] = c;
    }
  }
  if (high && !isUtf8(src.subarray(a, b))) return -1;
  needsQuotes[0] = quote;
  return j;
}

/**
 * The timesketch-csv fast path for a json-file log line of Docker's exact shape: a row of the
 * sink's columns (known from the header) written straight from the line's bytes; everything but the
 * message, `datetime`, `timestamp`, `time_ns`, the offset and the raw time comes from a template row.
 * A test holds every byte to the JSON path's.
 */
export class TimesketchCsvRawLogs implements RawLogFormat {
  private readonly quotes = [false];

  constructor(private readonly zone: ZoneRenderer, private readonly guard: boolean, private readonly columns: readonly string[],
    private readonly row: (e: TimelineEvent) => string) {}

  template(sample: TimelineEvent, prefix: string): CsvTemplate | null {
    if (sample.kind !== 'container.log' || !sample.message.startsWith(prefix) || typeof sample.fields.time_raw !== 'string') return null;
    for (const k in sample.fields) if (!TEMPLATE_FIELDS.has(k)) return null;
    if (/[",\r\n]/.test(prefix) || (this.guard && /^[=+\-@\t\r]/.test(prefix))) return null;
    const e: TimelineEvent = { ...sample, timeNs: MARK_NS, offset: MARK_OFFSET, message: prefix + MARK_TEXT, fields: { ...sample.fields, time_raw: MARK_RAW } };
    const row = this.row(e);
    const find = (m: string): number => {
      const k = row.indexOf(m);
      return k < 0 || row.indexOf(m, k + 1) >= 0 ? -1 : k;
    };
    const iText = find(`${MARK_TEXT},`);
    const iTimeNs = find(`,${MARK_TIME_NS},`);
    const iOffset = find(`,${MARK_OFFSET},`);
    const iRaw = find(`,${MARK_RAW}`);
    if (iText !== prefix.length || iTimeNs < 0 || iOffset < 0 || iRaw < 0) return null;
    const dtEnd = row.indexOf(',', iText + 2);
    const tsEnd = row.indexOf(',', dtEnd + 1);
    if (!(tsEnd <= iTimeNs && iTimeNs < iOffset && iOffset < iRaw)) return null;
    const b = (x: string): Buffer => Buffer.from(x);
    const t: CsvTemplate = {
      head: b(prefix),
      toTimeNs: b(row.slice(tsEnd, iTimeNs + 1)),
      toOffset: b(row.slice(iTimeNs + 1 + MARK_TIME_NS.length, iOffset + 1)),
      toRaw: b(row.slice(iOffset + 1 + String(MARK_OFFSET).length, iRaw + 1)),
      tail: b(row.slice(iRaw + 2)),
      fixed: 0, second: NaN, dateHead: Buffer.alloc(0), dateZone: Buffer.alloc(0),
    };
    t.fixed = t.head.length + t.toTimeNs.length + t.toOffset.length + t.toRaw.length + t.tail.length;
    return t;
  }

  workerSpec(): RawLogSpec {
    return { sink: 'timesketch-csv', zone: this.zone.zoneName, guard: this.guard, columns: [...this.columns] };
  }

  maxBytes(template: unknown, textBytes: number): number {
    // quotes (2), datetime (40), timestamp (21), time_ns (30), offset (16), raw time (35), the text (never grows)
    return (template as CsvTemplate).fixed + textBytes + 160;
  }

  format(line: Buffer, s: LineShape, offset: number, template: unknown, dst: Buffer, pos: number): number {
    const t = template as CsvTemplate;
    dst.set(t.head, pos);
    let p = csvText(line, s.textStart, s.textEnd, dst, pos + t.head.length, this.quotes);
    if (p < 0) return -1;
    if (this.quotes[0]) {
      dst.copyWithin(pos + 1, pos, p);
      dst[pos] = QUOTE;
      p += 1;
      dst[p++] = QUOTE;
    }
    dst[p++] = 0x2c;
    p = putDatetime(t, this.zone, s, dst, p);
    dst[p++] = 0x2c;
    p = putDigits(dst, p, Math.abs(s.seconds) < 9e9 ? s.seconds * 1_000_000 + Math.floor(s.nanos / 1000) : BigInt(s.seconds) * 1_000_000n + BigInt(Math.floor(s.nanos / 1000)));
    dst.set(t.toTimeNs, p);
    p = canonicalTime(line, s, dst, p + t.toTimeNs.length);
    dst.set(t.toOffset, p);
    p = putDigits(dst, p + t.toOffset.length, offset);
    dst.set(t.toRaw, p);
    p += t.toRaw.length;
    for (let i = s.timeStart; i < s.timeEnd; i++) dst[p++] = line[i]!;
    dst.set(t.tail, p);
    return p + t.tail.length;
  }
}
