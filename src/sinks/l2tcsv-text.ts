import { isUtf8 } from 'node:buffer';
import { hex4, putUtf8 } from './json-text.js';

const isCrLf = (cp: number): boolean => cp === 0x0a || cp === 0x0d;

/**
 * The JSON-escaped string content `src[a, b)` decoded as UTF-8 bytes into `dst` at `pos`, with what
 * plaso's L2T output does to a message on the way: CR and LF dropped, `,` written as a space. The
 * bytes are those `JSON.parse` and a UTF-8 encode of the cleaned string would give: a lone surrogate
 * escape becomes U+FFFD, as a JavaScript string written as UTF-8 does.
 *
 * Returns the position after the text, or -1 where `JSON.parse` would not read the text the plain
 * way (a raw control character or quote, a bad escape) or the bytes are not UTF-8 (decoding would
 * replace them): the caller then takes the JSON path for that line. `dst` needs `b - a` free bytes
 * (decoding never grows the text).
 */
export function decodeL2tText(src: Buffer, a: number, b: number, dst: Buffer, pos: number): number {
  let j = pos;
  let high = false;
  // a character beyond ASCII written as an escape (`\ufffd`, `\u2028`): more than one byte too
  let wide = false;
  for (let i = a; i < b; i++) {
    const c = src[i]!;
    if (c >= 0x80) {
      high = true;
      dst[j++] = c;
    } else if (c === 0x2c) {
      dst[j++] = 0x20;
    } else if (c === 0x5c) {
      if (++i >= b) return -1;
      const e = src[i]!;
      switch (e) {
        case 0x22: case 0x5c: case 0x2f: dst[j++] = e; break; // \" \\ \/
        case 0x6e: case 0x72: break; // \n \r: dropped
        case 0x74: dst[j++] = 0x09; break;
        case 0x62: dst[j++] = 0x08; break;
        case 0x66: dst[j++] = 0x0c; break;
        case 0x75: { // \uXXXX
          let cp = hex4(src, i + 1, b);
          if (cp < 0) return -1;
          i += 4;
          if (cp >= 0xd800 && cp <= 0xdbff) {
            // CR and LF escapes between the halves are dropped before the text is encoded: the
            // halves then meet and make one character
            let k = i + 1;
            for (;;) {
              if (src[k] !== 0x5c) break;
              const x = src[k + 1];
              if (x === 0x6e || x === 0x72) k += 2;
              else if (x === 0x75 && isCrLf(hex4(src, k + 2, b))) k += 6;
              else break;
            }
            const lo = k + 6 <= b && src[k] === 0x5c && src[k + 1] === 0x75 ? hex4(src, k + 2, b) : -1;
            if (lo >= 0xdc00 && lo <= 0xdfff) {
              cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
              i = k + 5;
            } else {
              cp = 0xfffd;
            }
          } else if (cp >= 0xdc00 && cp <= 0xdfff) {
            cp = 0xfffd;
          }
          if (cp === 0x0a || cp === 0x0d) break;
          if (cp === 0x2c) dst[j++] = 0x20;
          else {
            if (cp >= 0x80) wide = true;
            j = putUtf8(dst, j, cp);
          }
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
  decodedAscii = !high && !wide;
  if (high && !isUtf8(src.subarray(a, b))) return -1;
  return j;
}

/** Whether the text the last `decodeL2tText` call wrote is all ASCII (one byte per code point). */
export let decodedAscii = true;

/**
 * Where the `keep`-th code point of the UTF-8 bytes `buf[a, b)` starts, given `before` code points
 * ahead of them, for plaso's short message (at most 80 code points, else the first 77 and `...`):
 * -1 when the whole text (with the ones before) has at most `limit` code points.
 */
export function cutAt(buf: Buffer, a: number, b: number, before: number, keep: number, limit: number): number {
  let cps = before;
  let cut = -1;
  for (let i = a; i < b; i++) {
    if ((buf[i]! & 0xc0) === 0x80) continue;
    if (cps === keep) cut = i;
    if (++cps > limit) return cut;
  }
  return -1;
}
