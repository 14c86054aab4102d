import { randomBytes } from 'node:crypto';
import { escapeText, validSequenceLength } from './bytes-text.js';

/** Where a byte of an invalid UTF-8 sequence starts, or -1. */
function nextInvalid(b: Buffer, from: number): number {
  for (let i = from; i < b.length;) {
    const n = validSequenceLength(b, i);
    if (n === 0) return i;
    i += n;
  }
  return -1;
}

/**
 * `JSON.parse` of a line that is not all valid UTF-8 (a json-file log line Docker did not write as
 * it is: Go's encoder writes invalid bytes as `\ufffd`), without losing a byte: every string of the
 * result holds each invalid byte as `\xNN` and a literal backslash before `xHH` as `\x5c` (the
 * escape of bytes-text.ts), so the string reads back to its exact bytes.
 *
 * How: each invalid byte is replaced by a marker, a random token no string of the line can hold
 * (it is checked: a string holding more markers than were put in makes a new token), and the
 * parsed strings are rebuilt around the markers. Throws what `JSON.parse` throws.
 */
export function parseJsonBytes(line: Buffer): unknown {
  for (;;) {
    // starts with Q: after a stray backslash it is no JSON escape, so the line stays invalid JSON, as it was
    const token = 'Q' + randomBytes(12).toString('hex');
    const parts: string[] = [];
    let inserted = 0;
    let start = 0;
    for (let i = nextInvalid(line, 0); i >= 0; i = nextInvalid(line, i + 1)) {
      parts.push(line.toString('utf8', start, i), token + line[i]!.toString(16).padStart(2, '0'));
      inserted++;
      start = i + 1;
    }
    parts.push(line.toString('utf8', start));
    let found = 0;
    let counted: unknown;
    try {
      counted = JSON.parse(parts.join(''), (k, v: unknown) => {
        found += k.split(token).length - 1;
        if (typeof v === 'string') found += v.split(token).length - 1;
        return v;
      }) as unknown;
    } catch {
      throw notJson(line);
    }
    if (found <= inserted) return rebuild(counted, token);
  }
}

/**
 * The error of a line that is not JSON, the same on every run: JSON.parse's own message would quote
 * the random markers and count positions with them. The line is read one character per byte
 * (latin1), so the position is the byte's.
 */
function notJson(line: Buffer): Error {
  try {
    JSON.parse(line.toString('latin1'));
  } catch (e) {
    return e as Error;
  }
  return new SyntaxError('not JSON');
}

/** Every string (and object key) of a parsed value with its markers made `\xNN`, its other text escaped. */
function rebuild(v: unknown, token: string): unknown {
  if (typeof v === 'string') return text(v, token);
  if (Array.isArray(v)) return v.map((x) => rebuild(x, token));
  if (v !== null && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[text(k, token)] = rebuild(x, token);
    return o;
  }
  return v;
}

function text(s: string, token: string): string {
  const pieces = s.split(token);
  let out = escapeText(pieces[0]!);
  for (let i = 1; i < pieces.length; i++) out += `\\x${pieces[i]!.slice(0, 2)}${escapeText(pieces[i]!.slice(2))}`;
  return out;
}
