import { readSync } from 'node:fs';
import { newShape, quotesEscaped, readLayout, readUtcTime, type LineShape } from './json-file-line.js';
import { MAX_LINE_BYTES } from './line-splitter.js';
import { PLAN_CHUNK_BYTES } from './extractor.js';
import { parseRfc3339 } from '../time/nanotime.js';

/** The order pre-check of the lines that begin in `[start, end)` of a log of `size` bytes. */
export interface CheckTask {
  fd: number;
  start: number;
  end: number;
  size: number;
}

export interface CheckResult {
  id: number;
  /** A line of another shape (or too long): the JSON path must decide. */
  doubt: boolean;
  /** The lines' times never go back. */
  ordered: boolean;
  count: number;
  /** Time of the first and last line checked, as [seconds, nanoseconds]. */
  first: [number, number] | null;
  last: [number, number] | null;
  /** Line starts that cut this part into chunks for the formatting workers. */
  plan: number[];
  error?: string;
}

let partBuf = Buffer.alloc(0);

function readAt(fd: number, buf: Buffer, at: number, pos: number, len: number): number {
  let got = 0;
  while (got < len) {
    const n = readSync(fd, buf, at + got, len - got, pos + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}

/**
 * What the serial pre-check (jsonLogQuickOrder) finds, for the lines whose first byte lies in
 * `[start, end)`: so a log is checked in parts by several threads. A line that runs past `end` is
 * read to its end (up to the line limit, as the serial check).
 */
export function checkChunk(t: CheckTask): Omit<CheckResult, 'id'> {
  const r: Omit<CheckResult, 'id'> = { doubt: false, ordered: true, count: 0, first: null, last: null, plan: [] };
  let base = t.start > 0 ? t.start - 1 : 0; // file position of buf[0]
  // one read buffer per thread, reused: a dropped one is freed only by a GC, which a thread making
  // few objects seldom runs
  if (partBuf.length < t.end - base) partBuf = Buffer.allocUnsafeSlow(t.end - base);
  let buf = partBuf.subarray(0, t.end - base);
  let len = readAt(t.fd, buf, 0, base, buf.length);
  let eof = base + len >= t.size || len < buf.length;
  // the first line that begins here: at 0, or after a newline at start-1 or later
  let a = 0;
  if (t.start > 0) {
    const nl = buf.indexOf(10);
    if (nl < 0 || nl >= len) return r;
    a = nl + 1;
  }
  const s = newShape();
  let lastS = -Infinity;
  let lastN = 0;
  let lastPlan = -Infinity;
  while (a < len && base + a < t.end) {
    let nl = buf.indexOf(10, a);
    if (nl >= len) nl = -1;
    if (nl < 0 && !eof) {
      // the line runs past what was read: move it to the front of a larger buffer and read on
      const keep = len - a;
      if (keep > MAX_LINE_BYTES) { r.doubt = true; return r; }
      const next = Buffer.allocUnsafe(keep + (1 << 20));
      buf.copy(next, 0, a, len);
      base += a;
      a = 0;
      buf = next;
      const got = readAt(t.fd, buf, keep, base + keep, buf.length - keep);
      len = keep + got;
      eof = got === 0 || base + len >= t.size;
      continue;
    }
    if (nl < 0) nl = len; // the last line of the file, unterminated
    if (nl - a > MAX_LINE_BYTES) { r.doubt = true; return r; }
    const at = base + a;
    if (at >= lastPlan + PLAN_CHUNK_BYTES) { r.plan.push(at); lastPlan = at; }
    if (nl > a) {
      if (!checkLine(buf, a, nl, s)) { r.doubt = true; return r; }
      if (s.seconds < lastS || (s.seconds === lastS && s.nanos < lastN)) r.ordered = false;
      lastS = s.seconds;
      lastN = s.nanos;
      r.first ??= [s.seconds, s.nanos];
      r.count++;
    }
    a = nl + 1;
  }
  if (r.count) r.last = [lastS, lastN];
  return r;
}

/** The serial check of one line: Docker's exact shape, quotes escaped, a time the full parser reads. */
export function checkLine(buf: Buffer, a: number, b: number, s: LineShape): boolean {
  if (!readLayout(buf, s, a, b) || !quotesEscaped(buf, s)) return false;
  if (readUtcTime(buf, s.timeStart, s.timeEnd, s)) return true;
  // another zone, a leap second, ...: the full parser (Go's zero time makes no event: doubt)
  const p = parseRfc3339(buf.toString('latin1', s.timeStart, s.timeEnd));
  if (!p) return false;
  const sec = p.ns / 1_000_000_000n - (p.ns < 0n && p.ns % 1_000_000_000n !== 0n ? 1n : 0n);
  s.seconds = Number(sec);
  s.nanos = Number(p.ns - sec * 1_000_000_000n);
  return true;
}
