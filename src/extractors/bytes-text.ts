const strict = new TextDecoder('utf-8', { fatal: true });

/**
 * Bytes to text without losing any: valid UTF-8 is decoded as is; each byte of an invalid sequence
 * is written as `\xNN` (documented escape), never replaced by U+FFFD. Returns whether escaping happened.
 */
export function decodeBytes(buf: Uint8Array): { text: string; escaped: boolean } {
  try {
    return { text: strict.decode(buf), escaped: false };
  } catch {
    let out = '';
    let i = 0;
    while (i < buf.length) {
      const len = validSequenceLength(buf, i);
      if (len > 0) {
        out += Buffer.from(buf.subarray(i, i + len)).toString('utf8');
        i += len;
      } else {
        out += `\\x${buf[i]!.toString(16).padStart(2, '0')}`;
        i += 1;
      }
    }
    return { text: out, escaped: true };
  }
}

/** Length of the valid UTF-8 sequence at i, or 0. */
function validSequenceLength(b: Uint8Array, i: number): number {
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
