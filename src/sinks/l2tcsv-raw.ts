import type { TimelineEvent } from '../events/event.js';
import type { LineShape } from '../extractors/json-file-line.js';
import type { RawLogFormat, RawLogSpec } from './sink.js';
import { clean, OFFSET, oneLine, TIME_NS, type L2tCsvSink } from './l2tcsv.js';
import { cutAt, decodeL2tText, decodedAscii } from './l2tcsv-text.js';
import { canonicalTime, putDigits } from './json-text.js';

/** Marks in a compiled `extra`: the line's time (time_ns) and byte offset. */
const T = 0;
const O = 1;

interface RawTemplate {
  /** `[name] stream: ` as plaso cleans it, and its length in code points. */
  prefix: Buffer;
  prefixCps: number;
  /** The zone columns of `zoneSeconds`, the constant columns up to the short message, and the prefix. */
  head: Buffer;
  zoneSeconds: number;
  middle: string;
  /** `tail` and the `extra` pairs: constant bytes and the marks T and O. */
  rest: (Buffer | number)[];
  fixed: number;
}

const DOTS = Buffer.from('...');

/**
 * The L2T CSV fast path for a json-file log line of Docker's exact shape: its bytes are written
 * straight from the log's bytes, as `L2tCsvSink` would write the event the JSON path makes of it
 * (a test holds every byte to that). The template comes from the sink, built from one event of the
 * same file and stream; a line it cannot write the plain way (see decodeL2tText) returns -1.
 */
export class L2tRawLogs implements RawLogFormat {
  constructor(private readonly sink: L2tCsvSink) {}

  template(sample: TimelineEvent, prefix: string): RawTemplate | null {
    const t = this.sink.logTemplate(sample);
    if (t === null || !sample.message.startsWith(prefix)) return null;
    const p = oneLine(prefix);
    const prefixCps = Array.from(p).length;
    if (prefixCps >= 77) return null; // the short message would end inside the prefix
    // constant pieces joined: tail + pairs up to a mark, between marks, after the last
    const rest: (Buffer | number)[] = [];
    let text = t.tail;
    t.extra.forEach((piece, i) => {
      const sep = i ? '; ' : '';
      if (piece === TIME_NS || piece === OFFSET) {
        rest.push(Buffer.from(`${text}${sep}${piece === TIME_NS ? 'time_ns' : 'offset'}: `), piece === TIME_NS ? T : O);
        text = '';
      } else {
        text += sep + piece;
      }
    });
    rest.push(Buffer.from(text + '\n'));
    let fixed = Buffer.byteLength(t.middle) + 80;
    for (const r of rest) if (typeof r !== 'number') fixed += r.length;
    return { prefix: Buffer.from(clean(p)), prefixCps, head: Buffer.alloc(0), zoneSeconds: NaN, middle: t.middle, rest, fixed };
  }

  workerSpec(): RawLogSpec {
    return { sink: 'l2tcsv', zone: this.sink.zoneName, hostname: this.sink.hostname };
  }

  maxBytes(template: unknown, textBytes: number): number {
    const t = template as RawTemplate;
    return t.fixed + 2 * (t.prefix.length + textBytes) + 64;
  }

  /**
   * Few calls per line: Buffer#copy allocates a view per call, so whole constant Buffers go in with
   * `set`, the text is decoded straight into place and moved with `copyWithin`, short runs by hand.
   */
  format(line: Buffer, s: LineShape, offset: number, template: unknown, dst: Buffer, pos: number): number {
    const t = template as RawTemplate;
    if (s.seconds !== t.zoneSeconds) {
      const ns = BigInt(s.seconds) * 1_000_000_000n + BigInt(s.nanos);
      t.head = Buffer.concat([Buffer.from(this.sink.zoneColumns(ns) + t.middle), t.prefix]);
      t.zoneSeconds = s.seconds;
    }
    dst.set(t.head, pos);
    let p = pos + t.head.length;
    // the text goes where the short message's text starts
    const textEnd = decodeL2tText(line, s.textStart, s.textEnd, dst, p);
    if (textEnd < 0) return -1;
    const textLen = textEnd - p;
    // short: the first 77 code points and `...` past 80, else the whole message
    // (ASCII text: a code point per byte, so the cut is counted, not read)
    const cut = t.prefix.length + textLen <= 80 ? -1
      : decodedAscii ? (t.prefixCps + textLen > 80 ? p + 77 - t.prefixCps : -1)
        : cutAt(dst, p, textEnd, t.prefixCps, 77, 80);
    const shortEnd = cut < 0 ? textEnd : cut + 3;
    const descText = shortEnd + 1 + t.prefix.length;
    dst.copyWithin(descText, p, textEnd);
    if (cut >= 0) {
      dst[cut] = 0x2e;
      dst[cut + 1] = 0x2e;
      dst[cut + 2] = 0x2e;
    }
    dst[shortEnd] = 0x2c;
    dst.set(t.prefix, shortEnd + 1);
    p = descText + textLen;
    const rest = t.rest;
    for (let i = 0; i < rest.length; i++) {
      const r = rest[i]!;
      if (r === T) {
        p = canonicalTime(line, s, dst, p);
      } else if (r === O) {
        p = putDigits(dst, p, offset);
      } else {
        dst.set(r as Buffer, p);
        p += (r as Buffer).length;
      }
    }
    return p;
  }
}
