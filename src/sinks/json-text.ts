import type { LineShape } from '../extractors/json-file-line.js';

/** Pieces shared by the fast paths that write a json-file line's text and time straight from its bytes. */

const hex = (c: number): number => (c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1);

/** The four hex digits of a `\uXXXX` escape at `i` (before `end`), or -1. */
export function hex4(src: Buffer, i: number, end: number): number {
  if (i + 4 > end) return -1;
  const a = hex(src[i]!), b = hex(src[i + 1]!), c = hex(src[i + 2]!), d = hex(src[i + 3]!);
  return a < 0 || b < 0 || c < 0 || d < 0 ? -1 : (a << 12) | (b << 8) | (c << 4) | d;
}

/** Where the escape unicodeEscape read ends: the index of its last byte (of the second escape for a pair). */
export let escapeEnd = 0;

/**
 * The code point of the `\uXXXX` escape whose `u` is at `src[i]` (before `end`), the two escapes of
 * a surrogate pair joined into one; a lone surrogate is returned as it is (see isSurrogate), for the
 * caller's rule. -1: not four hex digits. Sets `escapeEnd`.
 */
export function unicodeEscape(src: Buffer, i: number, end: number): number {
  const cp = hex4(src, i + 1, end);
  if (cp < 0) return -1;
  escapeEnd = i + 4;
  if (cp >= 0xd800 && cp <= 0xdbff && i + 10 < end && src[i + 5] === 0x5c && src[i + 6] === 0x75) {
    const lo = hex4(src, i + 7, end);
    if (lo >= 0xdc00 && lo <= 0xdfff) {
      escapeEnd = i + 10;
      return 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
    }
  }
  return cp;
}

export const isSurrogate = (cp: number): boolean => cp >= 0xd800 && cp <= 0xdfff;

/** A code point's UTF-8 bytes (a surrogate never comes here: callers make it U+FFFD or an escape). */
export function putUtf8(dst: Buffer, j: number, cp: number): number {
  if (cp < 0x80) {
    dst[j++] = cp;
  } else if (cp < 0x800) {
    dst[j++] = 0xc0 | (cp >> 6);
    dst[j++] = 0x80 | (cp & 0x3f);
  } else if (cp < 0x10000) {
    dst[j++] = 0xe0 | (cp >> 12);
    dst[j++] = 0x80 | ((cp >> 6) & 0x3f);
    dst[j++] = 0x80 | (cp & 0x3f);
  } else {
    dst[j++] = 0xf0 | (cp >> 18);
    dst[j++] = 0x80 | ((cp >> 12) & 0x3f);
    dst[j++] = 0x80 | ((cp >> 6) & 0x3f);
    dst[j++] = 0x80 | (cp & 0x3f);
  }
  return j;
}

/** The line's time as formatUtcNs writes it: its own digits (UTC, `Z`), the fraction padded to nine. */
export function canonicalTime(line: Buffer, s: LineShape, dst: Buffer, p: number): number {
  const a = s.timeStart;
  for (let k = 0; k < 19; k++) dst[p++] = line[a + k]!;
  dst[p++] = 0x2e;
  let k = a + 20;
  for (; k < s.timeEnd - 1; k++) dst[p++] = line[k]!;
  for (let z = Math.max(k - (a + 20), 0); z < 9; z++) dst[p++] = 0x30;
  dst[p++] = 0x5a;
  return p;
}

/** An integer's decimal digits (or digits already made text), written as bytes. */
export function putDigits(dst: Buffer, p: number, n: number | bigint | string): number {
  if (typeof n === 'number' && n >= 0 && Number.isSafeInteger(n)) {
    // the digits String(n) gives, without making the string (an offset per line)
    let len = 1;
    for (let x = n; x >= 10; x = Math.floor(x / 10)) len++;
    let q = n;
    for (let i = p + len - 1; i >= p; i--) {
      const d = q % 10;
      dst[i] = 48 + d;
      q = (q - d) / 10;
    }
    return p + len;
  }
  const digits = String(n);
  for (let i = 0; i < digits.length; i++) dst[p++] = digits.charCodeAt(i);
  return p;
}
