import { isUtf8 } from 'node:buffer';
import type { TimelineEvent } from '../events/event.js';
import type { LineShape } from '../extractors/json-file-line.js';
import type { RawLogFormat, RawLogSpec } from './sink.js';
import type { BodyfileSink } from './bodyfile.js';
import { escapeEnd, isSurrogate, putDigits, putUtf8, unicodeEscape } from './json-text.js';

/** The constant pieces of a log line's bodyfile row, around its text, offset and time. */
interface BodyTemplate {
  /** `0|[docker:container.log] [web] stdout: ` (escaped) */
  head: Buffer;
  /** From the text to the offset's digits (` (OS:/...-json.log@`) */
  toOffset: Buffer;
  /** From the offset to the time (`)|0|----------|0|0|0|0|`: the time's column) */
  toTime: Buffer;
  /** The rest (`|0|0` and the line feed) */
  tail: Buffer;
  fixed: number;
}

/** Values no real line has, to find where the line's own pieces go in a template row (kept as they are by escapeBodyName). */
const MARK_NS = 1n;
const MARK_TIME = '|0.000000001|';
const MARK_OFFSET = 987654321098765;
const MARK_TEXT = 'qXMARKtextXq';

const HEX = '0123456789ABCDEF';
const isHex = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);

/** The decoded text of the line being written (decoding never makes it longer than the escaped text). */
let scratch = Buffer.alloc(1 << 16);

/**
 * The JSON-escaped string content `src[a, b)` decoded to the UTF-8 bytes of the string JSON.parse
 * gives (a lone surrogate as U+FFFD, as a JavaScript string written as UTF-8), into `scratch`. The
 * length, or -1 where JSON.parse would not read it the plain way (a raw control character or quote,
 * a bad escape) or the bytes are not UTF-8.
 */
function decodeText(src: Buffer, a: number, b: number): number {
  if (scratch.length < b - a) scratch = Buffer.alloc(Math.max(b - a, scratch.length * 2));
  const dst = scratch;
  let j = 0;
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
        case 0x22: case 0x5c: case 0x2f: dst[j++] = e; break;
        case 0x62: dst[j++] = 0x08; break;
        case 0x66: dst[j++] = 0x0c; break;
        case 0x6e: dst[j++] = 0x0a; break;
        case 0x72: dst[j++] = 0x0d; break;
        case 0x74: dst[j++] = 0x09; break;
        case 0x75: {
          const cp = unicodeEscape(src, i, b);
          if (cp < 0) return -1;
          i = escapeEnd;
          j = putUtf8(dst, j, isSurrogate(cp) ? 0xfffd : cp);
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
 * The decoded text `scratch[0, n)` as escapeBodyName writes it, into `dst` at `p` (the position after
 * it). Byte by byte: every character it escapes is ASCII, and no byte of a UTF-8 sequence is ASCII.
 * A backslash is kept only before `x` and two hex digits (the text's end is followed by ` (`).
 */
function escapeText(n: number, dst: Buffer, p: number): number {
  const src = scratch;
  for (let i = 0; i < n; i++) {
    const c = src[i]!;
    if (c === 0x0a) {
      dst[p++] = 0x5c;
      dst[p++] = 0x6e;
    } else if (c < 0x20 || c === 0x25 || c === 0x7c || c === 0x7f || (c === 0x5c && !(i + 3 < n && src[i + 1] === 0x78 && isHex(src[i + 2]!) && isHex(src[i + 3]!)))) {
      dst[p++] = 0x25;
      dst[p++] = HEX.charCodeAt(c >> 4);
      dst[p++] = HEX.charCodeAt(c & 15);
    } else {
      dst[p++] = c;
    }
  }
  return p;
}

/**
 * The bodyfile fast path for a json-file log line of Docker's exact shape: its row is written straight
 * from the log's bytes, as `BodyfileSink` writes the event the JSON path makes of it (a test holds every
 * byte to that). The template is the row of an event of the same file and stream, made with marker
 * values in the places that change from line to line.
 */
export class BodyfileRawLogs implements RawLogFormat {
  constructor(private readonly sink: BodyfileSink) {}

  template(sample: TimelineEvent, prefix: string): BodyTemplate | null {
    if (sample.kind !== 'container.log' || sample.stat || !sample.message.startsWith(prefix)) return null;
    const row = this.sink.write({ ...sample, timeNs: MARK_NS, offset: MARK_OFFSET, message: prefix + MARK_TEXT });
    const marks = [MARK_TEXT, `@${MARK_OFFSET})`, MARK_TIME];
    const at: number[] = [];
    for (const m of marks) {
      const k = row.indexOf(m);
      if (k < 0 || row.indexOf(m, k + 1) >= 0 || (at.length && k < at[at.length - 1]!)) return null;
      at.push(k);
    }
    const t: BodyTemplate = {
      head: Buffer.from(row.slice(0, at[0]!)),
      toOffset: Buffer.from(row.slice(at[0]! + MARK_TEXT.length, at[1]! + 1)),
      toTime: Buffer.from(row.slice(at[1]! + 1 + String(MARK_OFFSET).length, at[2]! + 1)),
      tail: Buffer.from(row.slice(at[2]! + MARK_TIME.length - 1)),
      fixed: 0,
    };
    t.fixed = t.head.length + t.toOffset.length + t.toTime.length + t.tail.length;
    return t;
  }

  workerSpec(): RawLogSpec {
    return { sink: 'bodyfile' };
  }

  maxBytes(template: unknown, textBytes: number): number {
    // the text at most triples (a byte as %XX), the offset (at most 16 digits), the time (at most 21)
    return (template as BodyTemplate).fixed + 3 * textBytes + 64;
  }

  format(line: Buffer, s: LineShape, offset: number, template: unknown, dst: Buffer, pos: number): number {
    // before 1970 the sign covers the fraction (bodyTime): left to the JSON path
    if (s.seconds < 0) return -1;
    const t = template as BodyTemplate;
    const n = decodeText(line, s.textStart, s.textEnd);
    if (n < 0) return -1;
    dst.set(t.head, pos);
    let p = escapeText(n, dst, pos + t.head.length);
    dst.set(t.toOffset, p);
    p = putDigits(dst, p + t.toOffset.length, offset);
    dst.set(t.toTime, p);
    p = putDigits(dst, p + t.toTime.length, s.seconds);
    dst[p++] = 0x2e;
    for (let d = 100_000_000; d >= 1; d /= 10) dst[p++] = 48 + (Math.floor(s.nanos / d) % 10);
    dst.set(t.tail, p);
    return p + t.tail.length;
  }
}
