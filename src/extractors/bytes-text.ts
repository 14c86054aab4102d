// ignoreBOM: a leading U+FEFF is part of the bytes (a name \uFEFFpasswd is not passwd)
const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The flag (`attr_bytes_escaped`) of a log line whose text is escaped (see decodeBytes). */
export const BYTES_ESCAPED = 'invalid UTF-8 bytes written as \\xNN (and a \\ before xNN as \\x5c)';

/** A literal backslash that would be read as the start of an escape: `\x` and two hex digits (either case) follow it. */
const LOOKS_ESCAPED = /\\(?=x[0-9A-Fa-f]{2})/g;
/** One escape, as unescapeBytes reads it. */
const ESCAPE = /\\x([0-9A-Fa-f]{2})/g;

/**
 * How a value is made text:
 * - `always` (names: file names, link targets, archive member names, owner names, SQLite text):
 *   the escape applies to every value, so a name that holds no `\xHH` was written as it is;
 * - `invalid` (log text): the text is escaped only when it holds invalid UTF-8 (the caller flags
 *   such a line), valid text is returned exactly as it is.
 */
export type EscapeWhen = 'always' | 'invalid';

/**
 * Bytes to text without losing any, reversibly (the rule is in the README, "Evidence handling"):
 * valid UTF-8 is decoded as it is; each byte of an invalid sequence is written as `\xNN` (two
 * lower-case hex digits), never replaced by U+FFFD; and, where the escape applies, a literal
 * backslash that would be read as the start of an escape (`\`, then `x` and two hex digits) is
 * written as `\x5c`. So decoding every `\xHH` back to the byte HH (unescapeBytes) gives the exact
 * bytes, and two different byte strings never give the same text. Returns whether the text differs
 * from a plain decode.
 */
export function decodeBytes(buf: Uint8Array, when: EscapeWhen = 'always'): { text: string; escaped: boolean } {
  let text: string;
  try {
    text = strict.decode(buf);
  } catch {
    return { text: escapeInvalid(buf), escaped: true };
  }
  if (when === 'invalid' || !text.includes('\\')) return { text, escaped: false };
  const out = text.replace(LOOKS_ESCAPED, '\\x5c');
  return { text: out, escaped: out !== text };
}

/** The same rule for a value that is already text (e.g. a pax path tar-stream decoded): literal `\xHH` gets its backslash as `\x5c`. */
export function escapeText(text: string): string {
  return text.includes('\\') ? text.replace(LOOKS_ESCAPED, '\\x5c') : text;
}

/** The exact bytes of an escaped text: every `\xHH` (either case) is the byte HH, everything else its UTF-8. */
export function unescapeBytes(text: string): Buffer {
  if (!text.includes('\\')) return Buffer.from(text, 'utf8');
  const parts: Buffer[] = [];
  let last = 0;
  for (const m of text.matchAll(ESCAPE)) {
    parts.push(Buffer.from(text.slice(last, m.index), 'utf8'), Buffer.from([parseInt(m[1]!, 16)]));
    last = m.index + m[0].length;
  }
  parts.push(Buffer.from(text.slice(last), 'utf8'));
  return Buffer.concat(parts);
}

/** Bytes that are not all valid UTF-8: valid runs decoded (literal `\xHH` escaped), each invalid byte as `\xNN`. */
function escapeInvalid(buf: Uint8Array): string {
  const run = (a: number, b: number): string => (a === b ? '' : escapeText(Buffer.from(buf.buffer, buf.byteOffset + a, b - a).toString('utf8')));
  let out = '';
  let start = 0;
  let i = 0;
  while (i < buf.length) {
    const len = validSequenceLength(buf, i);
    if (len > 0) {
      i += len;
      continue;
    }
    // an escape is four ASCII characters, so it never spans an invalid byte: each run is escaped on its own
    out += `${run(start, i)}\\x${buf[i]!.toString(16).padStart(2, '0')}`;
    start = ++i;
  }
  return out + run(start, buf.length);
}

/** Length of the valid UTF-8 sequence at i, or 0. */
export function validSequenceLength(b: Uint8Array, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  const cont = (k: number): boolean => i + k < b.length && (b[i + k]! & 0xc0) === 0x80;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    if (!cont(1) || !cont(2)) return 0;
    const c1 = b[i + 1]!;
    if (c === 0xe0 && c1 < 0xa0) return 0;
    if (c === 0xed && c1 >= 0xa0) return 0;
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    const c1 = b[i + 1]!;
    if (c === 0xf0 && c1 < 0x90) return 0;
    if (c === 0xf4 && c1 >= 0x90) return 0;
    return 4;
  }
  return 0;
}
