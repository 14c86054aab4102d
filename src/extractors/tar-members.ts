import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { tarNumber, type TarHeader } from './tar-header.js';
import { secondsFractionToNs, inTimeRange, NS_PER_SECOND } from '../time/nanotime.js';
import { decodeBytes, escapeText } from './bytes-text.js';
import { rawPaxValue, validHeader } from '../evidence/pax-raw.js';
import { RecentBytes } from '../evidence/recent-bytes.js';

const TYPEFLAG: Record<string, string> = {
  file: '0', link: '1', symlink: '2', 'character-device': '3', 'block-device': '4', directory: '5', fifo: '6', 'contiguous-file': '7',
};

/**
 * The member headers of a tar stream (an inner layer tar, read in place), contents skipped.
 * `offset` is the member's number in the archive (tar-stream does not tell byte offsets). A time
 * that is not one (an unparsable or out-of-range mtime) is left out and told to `onBadTime`.
 */
export async function* tarMembers(input: AsyncIterable<Buffer>, onBadTime?: (offset: number, message: string) => void,
  onBadValue?: (offset: number, message: string) => void): AsyncGenerator<TarHeader> {
  // names as latin1 (one char per byte), decoded exactly below (tar-stream would put U+FFFD)
  const extract = tar.extract({ filenameEncoding: 'latin1' } as Parameters<typeof tar.extract>[0]);
  const source = Readable.from(input, { objectMode: false });
  // the bytes just read stay at hand: a pax record tar-stream decoded with U+FFFD is read again as bytes
  const recent = new RecentBytes();
  source.on('error', (e) => extract.destroy(e));
  source.pipe(recent).pipe(extract);
  let n = 0;
  for await (const member of extract) {
    const h = member.header;
    const pax = (h.pax ?? {}) as Record<string, string>;
    const offset = n++;
    const at = (member as unknown as { offset?: number }).offset;
    // a pax value tar-stream decoded with U+FFFD whose raw bytes cannot be read again (a pax header over
    // 1 MiB, read too long ago): kept as decoded, and said, as the evidence tar's own members are
    const lost = (key: string): void => onBadValue?.(offset, `pax ${key} record holds bytes that are not UTF-8 and its raw bytes are no longer at hand: they are shown as U+FFFD, not as \\xNN`);
    const rawOf = (key: string, decoded: string): Buffer | null => {
      if (!decoded.includes('\ufffd')) return null;
      const raw = at !== undefined ? rawPaxValue((a, len) => recent.bytesAt(a, len), at, key) : null;
      if (!raw) lost(key);
      return raw;
    };
    const paxText = (key: string, decoded: string): string => {
      const raw = rawOf(key, decoded);
      return raw ? decodeBytes(raw).text : escapeText(decoded);
    };
    const name = pax.path !== undefined ? paxText('path', h.name) : decodeBytes(Buffer.from(h.name, 'latin1')).text;
    const linkname = !h.linkname ? '' : pax.linkpath !== undefined ? paxText('linkpath', h.linkname) : decodeBytes(Buffer.from(h.linkname, 'latin1')).text;
    const bad = (what: string): void => onBadTime?.(offset, `${what} of ${JSON.stringify(name)} is not a time in the years 0000-9999; not used`);
    const time = (k: string): bigint | undefined => {
      if (pax[k] === undefined) return undefined;
      const ns = secondsFractionToNs(pax[k]!);
      if (ns !== null && inTimeRange(ns)) return ns;
      bad(`pax ${k} ${JSON.stringify(pax[k]!.slice(0, 40))}`);
      return undefined;
    };
    // the ustar mtime from the raw header block when it is at hand (tar-stream reads a base-256 form it
    // does not know as 0, an invented 1970, and a corrupt octal field as its first digits)
    const block = at !== undefined ? recent.bytesAt(at, 512) : null;
    let ustar: bigint | null;
    if (block && validHeader(block)) {
      const v = tarNumber(block, 136, 12);
      ustar = Number.isInteger(v) ? BigInt(v) * NS_PER_SECOND : null;
    } else {
      const ms = h.mtime?.getTime();
      ustar = ms !== undefined && Number.isFinite(ms) ? BigInt(Math.floor(ms / 1000)) * NS_PER_SECOND : null;
    }
    const header: TarHeader = {
      name, typeflag: TYPEFLAG[h.type ?? 'file'] ?? '0', mode: fin(h.mode), uid: fin(h.uid), gid: fin(h.gid), size: fin(h.size),
      linkname, uname: h.uname ?? '', gname: h.gname ?? '', devmajor: fin(h.devmajor), devminor: fin(h.devminor),
      xattrs: {}, offset,
    };
    const mtime = time('mtime') ?? (ustar !== null && inTimeRange(ustar) ? ustar : undefined);
    if (mtime !== undefined) header.mtime = mtime;
    else if (pax.mtime === undefined) bad('ustar mtime');
    const atime = time('atime');
    const ctime = time('ctime');
    if (atime !== undefined) header.atime = atime;
    if (ctime !== undefined) header.ctime = ctime;
    // xattr values are bytes (security.capability is binary): base64 of the raw record where tar-stream's text lost some
    const rawValue = (k: string): Buffer => rawOf(k, pax[k]!) ?? Buffer.from(pax[k]!, 'utf8');
    for (const k of Object.keys(pax)) if (k.startsWith('SCHILY.xattr.')) header.xattrs[k.slice(13)] = rawValue(k).toString('base64');
    member.resume();
    yield header;
  }
}

const fin = (v: number | undefined): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
