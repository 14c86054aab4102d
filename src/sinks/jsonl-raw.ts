import { isUtf8 } from 'node:buffer';
import type { TimelineEvent } from '../events/event.js';
import type { LineShape } from '../extractors/json-file-line.js';
import type { RawLogFormat, RawLogSpec } from './sink.js';
import { jsonlLine, QuoteCache } from './jsonl.js';
import { canonicalTime, escapeEnd, isSurrogate, putDigits, putUtf8, unicodeEscape } from './json-text.js';

/** The constant pieces of a log line's jsonl text, between the time, the text, the offset and the raw time. */
interface JsonlTemplate {
  /** `{"time":"` */
  head: Buffer;
  /** From the time's closing quote to the message's prefix, escaped (`...,"message":"[web] stdout: `). */
  toText: Buffer;
  /** From the message's closing quote to the offset's digits (`","source":...,"offset":`). */
  toOffset: Buffer;
  /** From the offset to the raw time's text (`,"container_id":...,"time_raw":"`). */
  toRaw: Buffer;
  /** The rest (`"}` and the line feed). */
  tail: Buffer;
  fixed: number;
}

/** Values no real line has, to find where the line's own pieces go in a template line. */
export const MARK_NS = 1n;
const MARK_TIME = '1970-01-01T00:00:00.000000001Z';
export const MARK_OFFSET = 987654321098765;
export const MARK_TEXT = '\u0003';
export const MARK_RAW = '\u0004';

/** The fields of a plain json-file line: the same on every line of a log file, but `time_raw` (marked). */
export const TEMPLATE_FIELDS = new Set(['log_driver', 'time_raw', 'rotation', 'offset_in']);

const HEX = '0123456789abcdef';

/** `\uXXXX` with lower-case digits, as JSON.stringify writes a control character or a lone surrogate. */
function uEscape(dst: Buffer, j: number, cp: number): number {
  dst[j++] = 0x5c;
  dst[j++] = 0x75;
  dst[j++] = HEX.charCodeAt((cp >> 12) & 15);
  dst[j++] = HEX.charCodeAt((cp >> 8) & 15);
  dst[j++] = HEX.charCodeAt((cp >> 4) & 15);
  dst[j++] = HEX.charCodeAt(cp & 15);
  return j;
}

/** One code point as JSON.stringify writes it inside a string, in UTF-8. */
function putCodePoint(dst: Buffer, j: number, cp: number): number {
  if (cp < 0x20) {
    const short = cp === 0x08 ? 0x62 : cp === 0x09 ? 0x74 : cp === 0x0a ? 0x6e : cp === 0x0c ? 0x66 : cp === 0x0d ? 0x72 : 0;
    if (short) {
      dst[j++] = 0x5c;
      dst[j++] = short;
      return j;
    }
    return uEscape(dst, j, cp);
  }
  if (cp === 0x22 || cp === 0x5c) {
    dst[j++] = 0x5c;
    dst[j++] = cp;
    return j;
  }
  return putUtf8(dst, j, cp);
}

/**
 * The JSON-escaped string content `src[a, b)` (as Go's encoder wrote it) written as JSON.stringify
 * writes the decoded string: escapes re-made in JavaScript's form (`\u003c` becomes `<`, a lone
 * surrogate `\ud800` in lower case, a control character `\b`, `\t`, `\n`, `\f`, `\r` or `\u00xx`),
 * everything else copied. Never longer than the input. -1 where JSON.parse would not read the text
 * the plain way (a raw control character or quote, a bad escape) or the bytes are not UTF-8.
 */
export function jsonlText(src: Buffer, a: number, b: number, dst: Buffer, pos: number): number {
  let j = pos;
  let high = false;
  for (let i = a; i < b; i++) {
    const c = src[i]!;
    if (c >= 0x80) {
      high = true;
      dst[j++] = c;
    } else if (c === 0x5c) {
      if (++i >= b) return -1;
      const e = src[i]!;
      switch (e) {
        case 0x22: case 0x5c: dst[j++] = 0x5c; dst[j++] = e; break;
        case 0x2f: dst[j++] = 0x2f; break;
        case 0x62: case 0x66: case 0x6e: case 0x72: case 0x74: dst[j++] = 0x5c; dst[j++] = e; break;
        case 0x75: {
          const cp = unicodeEscape(src, i, b);
          if (cp < 0) return -1;
          i = escapeEnd;
          // a lone surrogate as JSON.stringify writes it
          j = isSurrogate(cp) ? uEscape(dst, j, cp) : putCodePoint(dst, j, cp);
          break;
        }
        default: return -1;
      }
    } else if (c < 0x20 || c === 0x22) {
      return -1;
    } else {
      dst[j++] = c;
    }
  }
  if (high && !isUtf8(src.subarray(a, b))) return -1;
  return j;
}

/**
 * The jsonl fast path for a json-file log line of Docker's exact shape: its bytes are written
 * straight from the log's bytes, as `JsonlSink` would write the event the JSON path makes of it (a
 * test holds every byte to that). The template is the jsonl line of an event of the same file and
 * stream, made with marker values in the places that change from line to line.
 */
export class JsonlRawLogs implements RawLogFormat {
  template(sample: TimelineEvent, prefix: string): JsonlTemplate | null {
    if (sample.kind !== 'container.log' || !sample.message.startsWith(prefix) || typeof sample.fields.time_raw !== 'string') return null;
    // only the fields every plain line of the log has alike (attrs, a split line's, an escaped line's are the line's own)
    for (const k in sample.fields) if (!TEMPLATE_FIELDS.has(k)) return null;
    const e: TimelineEvent = { ...sample, timeNs: MARK_NS, offset: MARK_OFFSET, message: prefix + MARK_TEXT, fields: { ...sample.fields, time_raw: MARK_RAW } };
    const line = jsonlLine(e, new QuoteCache());
    const marks = [`"time":"${MARK_TIME}"`, `${JSON.stringify(MARK_TEXT).slice(1, -1)}",`, `"offset":${MARK_OFFSET},`, `${JSON.stringify(MARK_RAW).slice(1, -1)}"`];
    const at: number[] = [];
    for (const m of marks) {
      const k = line.indexOf(m);
      if (k < 0 || line.indexOf(m, k + 1) >= 0 || (at.length && k < at[at.length - 1]!)) return null;
      at.push(k);
    }
    const head = line.slice(0, at[0]! + 8);
    const toText = line.slice(at[0]! + 8 + MARK_TIME.length, at[1]!);
    const toOffset = line.slice(at[1]! + 6, at[2]! + 9);
    const toRaw = line.slice(at[2]! + 9 + String(MARK_OFFSET).length, at[3]!);
    const tail = line.slice(at[3]! + 6) + '\n';
    const t: JsonlTemplate = { head: Buffer.from(head), toText: Buffer.from(toText), toOffset: Buffer.from(toOffset), toRaw: Buffer.from(toRaw), tail: Buffer.from(tail), fixed: 0 };
    t.fixed = t.head.length + t.toText.length + t.toOffset.length + t.toRaw.length + t.tail.length;
    return t;
  }

  workerSpec(): RawLogSpec {
    return { sink: 'jsonl' };
  }

  maxBytes(template: unknown, textBytes: number): number {
    // the time (30), the offset (at most 16 digits), the raw time (at most 35), the text (never grows)
    return (template as JsonlTemplate).fixed + textBytes + 96;
  }

  format(line: Buffer, s: LineShape, offset: number, template: unknown, dst: Buffer, pos: number): number {
    const t = template as JsonlTemplate;
    dst.set(t.head, pos);
    let p = canonicalTime(line, s, dst, pos + t.head.length);
    dst.set(t.toText, p);
    p = jsonlText(line, s.textStart, s.textEnd, dst, p + t.toText.length);
    if (p < 0) return -1;
    dst.set(t.toOffset, p);
    p += t.toOffset.length;
    p = putDigits(dst, p, offset);
    dst.set(t.toRaw, p);
    p += t.toRaw.length;
    for (let i = s.timeStart; i < s.timeEnd; i++) dst[p++] = line[i]!;
    dst.set(t.tail, p);
    return p + t.tail.length;
  }
}
