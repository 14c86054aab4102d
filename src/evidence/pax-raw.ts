import { tarNumber } from '../extractors/tar-header.js';

/** At most this many 512-byte blocks of pax data are looked back over (a pax header of 1 MiB). */
const MAX_BLOCKS = 2048;

/** A header block whose checksum holds. */
export function validHeader(b: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : b[i]!;
  return sum === tarNumber(b, 148, 8);
}

/**
 * The raw bytes of pax record `key` of the extended header ('x') right before the member header at
 * stream offset `at`, read again from the archive's bytes (`bytesAt`): tar-stream decodes pax
 * records as UTF-8, turning bytes that are not UTF-8 into U+FFFD, and a pax `path` written with
 * `hdrcharset=BINARY` (or by a forger) holds any bytes. Null when they are no longer at hand or the
 * header is not found.
 */
export function rawPaxValue(bytesAt: (at: number, length: number) => Buffer | null, at: number, key: string): Buffer | null {
  for (let k = 2; k <= MAX_BLOCKS + 1 && at - 512 * k >= 0; k++) {
    const h = bytesAt(at - 512 * k, 512);
    if (!h) return null;
    if (h[156] !== 0x78 || !validHeader(h)) continue;
    const size = tarNumber(h, 124, 12);
    if (!Number.isInteger(size) || 1 + Math.ceil(size / 512) !== k) return null;
    const data = bytesAt(at - 512 * k + 512, size);
    return data ? paxRecord(data, key) : null;
  }
  return null;
}

/** The value bytes of `key` in pax records (`<len> <key>=<value>\n`, lengths in bytes); the last one wins, as in tar-stream. */
export function paxRecord(data: Buffer, key: string): Buffer | null {
  const want = Buffer.from(`${key}=`);
  let found: Buffer | null = null;
  for (let i = 0; i < data.length;) {
    const space = data.indexOf(0x20, i);
    if (space < 0) break;
    const len = Number(data.toString('latin1', i, space));
    if (!Number.isInteger(len) || len <= space - i + 1 || i + len > data.length) break;
    const rec = data.subarray(space + 1, i + len - 1);
    if (rec.subarray(0, want.length).equals(want)) found = rec.subarray(want.length);
    i += len;
  }
  return found;
}
