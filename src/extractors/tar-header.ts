import { secondsFractionToNs, inTimeRange, NS_PER_SECOND } from '../time/nanotime.js';
import { decodeBytes } from './bytes-text.js';

const orZero = (n: number): number => (Number.isFinite(n) ? n : 0);

/** One archive member's header, as recorded (pax records applied; content never needed). */
export interface TarHeader {
  name: string;
  /** `0` file, `1` hard link, `2` symlink, `3` char device, `4` block device, `5` directory, `6` FIFO, ... */
  typeflag: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Undefined when the header's mtime is not a time (not a number, or outside the years 0000-9999: reported). */
  mtime?: bigint;
  atime?: bigint;
  ctime?: bigint;
  linkname: string;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
  /** pax `SCHILY.xattr.*` records, value as base64 (they are bytes). */
  xattrs: Record<string, string>;
  /** Offset of the header block in the (virtual) archive stream. */
  offset: number;
}

/** A NUL-terminated name field: bytes kept exactly, invalid UTF-8 written as `\xNN` (as everywhere). */
const cstr = (b: Buffer, off: number, len: number): string => {
  const end = b.indexOf(0, off);
  return decodeBytes(b.subarray(off, end < 0 || end > off + len ? off + len : end)).text;
};

/** Longest pax or GNU long-name record collected (tar-stream refuses more than 4 MiB too). */
export const MAX_EXTENDED_HEADER = 1 << 20;

/** Seconds (a header field or a pax record) as ns, or null when not a time in the years 0000-9999. */
function secondsToNs(v: number | string): bigint | null {
  let ns: bigint | null;
  if (typeof v === 'number') ns = Number.isInteger(v) ? BigInt(v) * NS_PER_SECOND : null;
  else ns = secondsFractionToNs(v);
  return ns !== null && inTimeRange(ns) ? ns : null;
}

/** A tar numeric field: octal text, or base-256 when the high bit of the first byte is set. */
export function tarNumber(b: Buffer, off: number, len: number): number {
  if (b[off]! & 0x80) {
    let v = b[off]! & 0x7f;
    const negative = (b[off]! & 0x40) !== 0;
    if (negative) v = v - 0x80;
    for (let i = 1; i < len; i++) v = v * 256 + b[off + i]!;
    return v;
  }
  // up to the first NUL, spaces around: octal digits, else NaN (a corrupt field is not read as its first digits)
  const raw = b.toString('latin1', off, off + len);
  const nul = raw.indexOf('\0');
  const s = (nul < 0 ? raw : raw.slice(0, nul)).trim();
  return s ? (/^[0-7]+$/.test(s) ? parseInt(s, 8) : NaN) : 0;
}

/** Parse pax records (`<len> <key>=<value>\n`). */
export function parsePax(b: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let pos = 0;
  while (pos < b.length) {
    const sp = b.indexOf(0x20, pos);
    if (sp < 0) break;
    const len = Number(b.toString('latin1', pos, sp));
    if (!Number.isInteger(len) || len <= 0 || pos + len > b.length) break;
    const rec = b.subarray(sp + 1, pos + len - 1);
    const eq = rec.indexOf(0x3d);
    if (eq > 0) out.set(rec.toString('utf8', 0, eq), rec.subarray(eq + 1));
    pos += len;
  }
  return out;
}

function headerChecksumOk(b: Buffer): boolean {
  const want = tarNumber(b, 148, 8);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : b[i]!;
  return sum === want;
}

/**
 * Parses tar headers from a stream in which member contents are absent (tar-split's segments): after
 * each member header only its padding follows. Feed bytes with `push`; headers come out through `onHeader`.
 * Bad checksums, impossible sizes and oversized extended headers are reported through `onBad` and
 * parsing stops (`done`); a header whose mtime is not a time is reported through `onBad` too, and
 * given out without it.
 */
export class ContentlessTarParser {
  private buf: Buffer = Buffer.alloc(0);
  private consumed = 0;
  private skip = 0;
  private pax: Map<string, Buffer> | null = null;
  private longName: string | null = null;
  private longLink: string | null = null;
  /** Bytes of an extended header's data still to collect. */
  private extNeed = 0;
  private extType = '';
  private extHeaderOffset = 0;
  done = false;

  constructor(private readonly onHeader: (h: TarHeader) => void, private readonly onBad: (offset: number, message: string) => void) {}

  push(chunk: Buffer): void {
    if (this.done) return;
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    let pos = 0;
    for (;;) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, this.buf.length - pos);
        pos += n;
        this.skip -= n;
        if (this.skip > 0) break;
      }
      if (this.extNeed > 0) {
        const padded = this.extNeed + ((512 - (this.extNeed % 512)) % 512);
        if (this.buf.length - pos < padded) break;
        const data = this.buf.subarray(pos, pos + this.extNeed);
        if (this.extType === 'x') this.pax = new Map([...(this.pax ?? []), ...parsePax(data)]);
        else if (this.extType === 'L') this.longName = cstr(data, 0, data.length);
        else if (this.extType === 'K') this.longLink = cstr(data, 0, data.length);
        pos += padded;
        this.extNeed = 0;
        continue;
      }
      if (this.buf.length - pos < 512) break;
      const h = this.buf.subarray(pos, pos + 512);
      const at = this.consumed + pos;
      pos += 512;
      if (h.every((x) => x === 0)) continue; // end-of-archive blocks
      if (!headerChecksumOk(h)) {
        this.onBad(at, 'tar header checksum does not match; the rest of this layer listing is not read');
        this.done = true;
        break;
      }
      const typeflag = String.fromCharCode(h[156] || 0x30);
      const size = tarNumber(h, 124, 12);
      if (!Number.isSafeInteger(size) || size < 0) {
        this.onBad(at, `tar header size field ${Number.isNaN(size) ? 'is not a number' : `is ${size}`}: the headers after it cannot be found; the rest of this layer listing is not read`);
        this.done = true;
        break;
      }
      if (typeflag === 'x' || typeflag === 'L' || typeflag === 'K') {
        if (size > MAX_EXTENDED_HEADER) {
          this.onBad(at, `extended header of ${size} bytes is larger than ${MAX_EXTENDED_HEADER}; the rest of this layer listing is not read`);
          this.done = true;
          break;
        }
        this.extType = typeflag;
        this.extNeed = size;
        this.extHeaderOffset = at;
        continue;
      }
      if (typeflag === 'g') {
        this.skip = size + ((512 - (size % 512)) % 512);
        continue;
      }
      const magic = h.toString('latin1', 257, 263);
      const prefix = magic.startsWith('ustar') && magic !== 'ustar ' ? cstr(h, 345, 155) : '';
      let name = this.longName ?? (prefix ? `${prefix}/${cstr(h, 0, 100)}` : cstr(h, 0, 100));
      let linkname = this.longLink ?? cstr(h, 157, 100);
      const pax = this.pax;
      const mtime = secondsToNs(tarNumber(h, 136, 12));
      const header: TarHeader = {
        name, typeflag, mode: orZero(tarNumber(h, 100, 8)), uid: orZero(tarNumber(h, 108, 8)), gid: orZero(tarNumber(h, 116, 8)), size,
        linkname, uname: cstr(h, 265, 32), gname: cstr(h, 297, 32),
        devmajor: orZero(tarNumber(h, 329, 8)), devminor: orZero(tarNumber(h, 337, 8)), xattrs: {}, offset: this.pax || this.longName ? this.extHeaderOffset : at,
      };
      if (mtime !== null) header.mtime = mtime;
      if (pax) {
        const str = (k: string): string | undefined => { const v = pax.get(k); return v === undefined ? undefined : decodeBytes(v).text; };
        if (str('path') !== undefined) name = header.name = str('path')!;
        if (str('linkpath') !== undefined) linkname = header.linkname = str('linkpath')!;
        for (const k of ['uid', 'gid', 'size'] as const) if (str(k) !== undefined && /^\d{1,15}$/.test(str(k)!)) header[k] = Number(str(k));
        for (const k of ['mtime', 'atime', 'ctime'] as const) {
          const v = str(k);
          if (v === undefined) continue;
          const ns = secondsToNs(v);
          if (ns !== null) header[k] = ns;
          else this.onBad(header.offset, `pax ${k} ${JSON.stringify(v.slice(0, 40))} of ${JSON.stringify(name)} is not a time in the years 0000-9999; not used`);
        }
        if (str('uname') !== undefined) header.uname = str('uname')!;
        if (str('gname') !== undefined) header.gname = str('gname')!;
        for (const [k, v] of pax) if (k.startsWith('SCHILY.xattr.')) header.xattrs[k.slice(13)] = v.toString('base64');
      }
      this.pax = null;
      this.longName = null;
      this.longLink = null;
      if (header.mtime === undefined && !pax?.has('mtime')) {
        this.onBad(header.offset, `mtime field of ${JSON.stringify(name)} is not a time in the years 0000-9999; listed without it`);
      }
      this.onHeader(header);
      // the content is elided; only its padding is in the stream
      this.skip = (512 - (header.size % 512)) % 512;
    }
    this.consumed += pos;
    this.buf = Buffer.from(this.buf.subarray(pos));
  }
}
