/**
 * Byte-level reading of the one line shape dockerd's json-file driver writes for a whole line of
 * output: `{"log":"<text>\n","stream":"stdout|stderr","time":"YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z"}`.
 * Used where a log must be read fast (the order pre-check, the L2T fast path); any other shape, or
 * any doubt, is left to the JSON path (`null` / `false`), which reads every line Docker can write.
 */

import { daysFromCivil } from '../time/nanotime.js';

const LOG_KEY = Buffer.from('{"log":"');
const STREAM_KEY = Buffer.from('","stream":"');
const TIME_KEY = Buffer.from('","time":"');

/** `line[at, at + key.length)` equals `key` (by hand: Buffer#compare costs more on keys this short). */
function bytesAt(line: Buffer, at: number, key: Buffer): boolean {
  for (let i = 0; i < key.length; i++) if (line[at + i] !== key[i]) return false;
  return true;
}

/** Where the parts of a line are (filled in by `readShape`; reused, so nothing is allocated per line). */
export interface LineShape {
  /** The JSON-escaped text: `[textStart, textEnd)`, without the final `\n` escape. */
  textStart: number;
  textEnd: number;
  stderr: boolean;
  /** The time text: `[timeStart, timeEnd)`. */
  timeStart: number;
  timeEnd: number;
  /** The time, UTC: whole seconds since the epoch and the nanoseconds within that second. */
  seconds: number;
  nanos: number;
}

export function newShape(): LineShape {
  return { textStart: 0, textEnd: 0, stderr: false, timeStart: 0, timeEnd: 0, seconds: 0, nanos: 0 };
}

/**
 * Fill `s` from `line` if it has Docker's exact shape, with a complete line of text (it ends in `\n`).
 * The text's escapes, quotes and UTF-8 are not checked here (see `quotesEscaped`).
 */
export function readShape(line: Buffer, s: LineShape, start = 0, end = line.length): boolean {
  return readLayout(line, s, start, end) && readUtcTime(line, s.timeStart, s.timeEnd, s);
}

/**
 * The parts of the shape, the time text not read (see readShape). The line is `line[start, end)`
 * (a chunk and a range: no Buffer per line); the positions in `s` are positions in `line`.
 */
export function readLayout(line: Buffer, s: LineShape, start = 0, end = line.length): boolean {
  const n = end - start;
  if (n < 60 || line[end - 1] !== 0x7d || line[end - 2] !== 0x22) return false;
  // the time's opening quote: 20 to 30 characters before the closing one
  let q = end - 23;
  while (q > end - 34 && line[q] !== 0x22) q--;
  const timeKey = q - 9;
  const streamStart = timeKey - 6;
  const st = streamStart - STREAM_KEY.length;
  if (line[q] !== 0x22 || st < start + 10 || !bytesAt(line, timeKey, TIME_KEY) || !bytesAt(line, st, STREAM_KEY) || !bytesAt(line, start, LOG_KEY)) return false;
  if (line[st - 1] !== 0x6e || line[st - 2] !== 0x5c) return false;
  // the `\n` is an escape only after an even run of backslashes before its own
  let bs = 0;
  for (let i = st - 3; i >= start + 8 && line[i] === 0x5c; i--) bs++;
  if (bs % 2 !== 0) return false;
  if (line[streamStart] !== 0x73 || line[streamStart + 1] !== 0x74 || line[streamStart + 2] !== 0x64) return false; // std
  if (line[streamStart + 3] === 0x6f && line[streamStart + 4] === 0x75 && line[streamStart + 5] === 0x74) s.stderr = false; // out
  else if (line[streamStart + 3] === 0x65 && line[streamStart + 4] === 0x72 && line[streamStart + 5] === 0x72) s.stderr = true; // err
  else return false;
  s.textStart = start + 8;
  s.textEnd = st - 2;
  s.timeStart = q + 1;
  s.timeEnd = end - 2;
  return true;
}

/**
 * Every quote in the shape's text is escaped (an odd run of backslashes before it). An unescaped one
 * makes the JSON an object of more keys, whose `log` may be a split line's chunk.
 */
export function quotesEscaped(line: Buffer, s: LineShape): boolean {
  for (let q = line.indexOf(0x22, s.textStart); q >= 0 && q < s.textEnd; q = line.indexOf(0x22, q + 1)) {
    let k = 0;
    for (let i = q - 1; i >= s.textStart && line[i] === 0x5c; i--) k++;
    if (k % 2 === 0) return false;
  }
  return true;
}

let cachedDateKey = -1;
let cachedDaySeconds = 0;

const d = (line: Buffer, i: number): number => line[i]! - 48;

/** Where the digits of `YYYY-MM-DDTHH:MM:SS` are. */
const DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];

/**
 * `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z` into `s.seconds` / `s.nanos`. Second 60, Go's zero time and the
 * first microsecond of 1970 (plaso's "not set") are left to the full parser: false.
 */
export function readUtcTime(line: Buffer, a: number, b: number, s: LineShape): boolean {
  const n = b - a;
  if (n < 20 || n > 30 || line[b - 1] !== 0x5a || line[a + 4] !== 0x2d || line[a + 7] !== 0x2d || line[a + 10] !== 0x54
    || line[a + 13] !== 0x3a || line[a + 16] !== 0x3a) return false;
  for (let k = 0; k < DIGITS.length; k++) {
    const c = line[a + DIGITS[k]!]!;
    if (c < 0x30 || c > 0x39) return false;
  }
  const y = d(line, a) * 1000 + d(line, a + 1) * 100 + d(line, a + 2) * 10 + d(line, a + 3);
  const mo = d(line, a + 5) * 10 + d(line, a + 6);
  const day = d(line, a + 8) * 10 + d(line, a + 9);
  const h = d(line, a + 11) * 10 + d(line, a + 12);
  const mi = d(line, a + 14) * 10 + d(line, a + 15);
  const sec = d(line, a + 17) * 10 + d(line, a + 18);
  if (mo < 1 || mo > 12 || day < 1 || h > 23 || mi > 59 || sec > 59) return false;
  if (y === 1 && mo === 1 && day === 1 && h === 0 && mi === 0 && sec === 0) return false; // Go's zero time
  const key = (y * 100 + mo) * 100 + day;
  if (key !== cachedDateKey) {
    if (day > daysIn(y, mo)) return false;
    cachedDateKey = key;
    cachedDaySeconds = daysFromCivil(y, mo, day) * 86400;
  }
  let nanos = 0;
  if (n > 20) {
    if (line[a + 19] !== 0x2e || n === 21) return false;
    let scale = 100_000_000;
    for (let i = a + 20; i < b - 1; i++) {
      const g = d(line, i);
      if (g < 0 || g > 9) return false;
      nanos += g * scale;
      scale /= 10;
    }
  } else if (line[a + 19] !== 0x5a) return false;
  const seconds = cachedDaySeconds + h * 3600 + mi * 60 + sec;
  if (seconds === 0 && nanos < 1000) return false;
  s.seconds = seconds;
  s.nanos = nanos;
  return true;
}

function daysIn(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}
