import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { archiveGunzip, isGzip } from './gunzip.js';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import type { EntryType, EvidenceEntry, EvidenceSource, WalkVisitor } from './entry.js';
import { normaliseMemberName } from './entry.js';
import type { Warnings } from '../warnings.js';
import { NS_PER_SECOND, inTimeRange, secondsFractionToNs } from '../time/nanotime.js';
import { decodeBytes, escapeText } from '../extractors/bytes-text.js';
import { tarNumber } from '../extractors/tar-header.js';
import { rawPaxValue } from './pax-raw.js';
import { RecentBytes } from './recent-bytes.js';

const TYPES: Record<string, EntryType> = {
  file: 'file', 'contiguous-file': 'file', directory: 'dir', symlink: 'symlink', link: 'hardlink',
  'character-device': 'char', 'block-device': 'block', fifo: 'fifo',
};

const O_NOATIME = (constants as Record<string, number>).O_NOATIME ?? 0;

/**
 * The archive (evidence too) opened read-only without updating its atime where the OS allows it
 * (O_NOATIME, refused with EPERM for a file the caller does not own). Its path is the one the user
 * gave, so a symlink to it is followed.
 */
async function openArchive(file: string): Promise<FileHandle> {
  try {
    return await open(file, constants.O_RDONLY | O_NOATIME);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EPERM' && O_NOATIME) return open(file, constants.O_RDONLY);
    throw e;
  }
}

/** Member names and link targets are bytes: kept exactly, invalid UTF-8 written as `\xNN` (the escape of decodeBytes, as in directory evidence). */
function nameText(latin1: string): string {
  return decodeBytes(Buffer.from(latin1, 'latin1')).text;
}

type Warn = (key: string, message: string) => void;

/** A pax time record in range, or undefined (a bad one is reported). */
function paxTime(pax: Record<string, string> | undefined, key: string, warn: Warn): bigint | undefined {
  const v = pax?.[key];
  if (v === undefined) return undefined;
  const ns = secondsFractionToNs(v);
  if (ns === null || !inTimeRange(ns)) {
    warn(key, `pax ${key} record ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)} is ${ns === null ? 'not a number of seconds' : 'outside the years 0000-9999'}; no time taken from it`);
    return undefined;
  }
  return ns;
}

/**
 * The ustar mtime (whole seconds), read from the raw header block when it is at hand (tarNumber knows
 * every base-256 form), else tar-stream's Date; undefined when the field holds no usable time (reported).
 */
function ustarTime(raw: Buffer | null, d: Date | undefined, warn: Warn): bigint | undefined {
  let ns: bigint | null = null;
  if (raw) {
    const v = tarNumber(raw, 136, 12);
    ns = Number.isInteger(v) ? BigInt(v) * NS_PER_SECOND : null;
  } else if (d) {
    const ms = d.getTime();
    ns = Number.isFinite(ms) ? BigInt(Math.floor(ms / 1000)) * NS_PER_SECOND : null;
  } else {
    return undefined;
  }
  if (ns === null || !inTimeRange(ns)) {
    warn('mtime', `ustar mtime field ${ns === null ? 'is not a number' : 'is outside the years 0000-9999'}; the member is listed without it`);
    return undefined;
  }
  return ns;
}

/** The raw block, if it is the header tar-stream read (its checksum holds). */
function headerBlock(b: Buffer | null): Buffer | null {
  if (!b || b.length !== 512) return null;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : b[i]!;
  return sum === tarNumber(b, 148, 8) ? b : null;
}

const num = (v: number | undefined): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * A `.tar`, `.tar.gz` or `.tgz` read in place, one pass per walk, never unpacked.
 * Times come from pax `mtime`/`atime`/`ctime` records (nanoseconds) where present, else the ustar mtime.
 * Member names are data: `../` and absolute names are normalised to evidence-relative paths and
 * never resolved on the host; hardlinks and symlinks are recorded, not followed.
 */
export class TarSource implements EvidenceSource {
  readonly kind = 'TAR' as const;
  constructor(readonly label: string, readonly file: string, private readonly warnings: Warnings) {}

  async walk(visitor: WalkVisitor): Promise<void> {
    const fh = await openArchive(this.file);
    let gz: boolean;
    try {
      gz = await isGzip(fh);
    } catch (e) {
      await fh.close();
      throw e;
    }
    const raw = fh.createReadStream({ highWaterMark: 1 << 20, start: 0, autoClose: true });
    const counter = new RecentBytes();
    // names as latin1 (one char per byte), so they can be decoded exactly (tar-stream would put U+FFFD)
    const extract = tar.extract({ filenameEncoding: 'latin1' } as Parameters<typeof tar.extract>[0]);
    // for the warning of a damaged archive: the header offset of the member being read, and where the
    // member after it is due (its data's end, padded)
    let current = 0;
    let currentEnd = 0;
    let input: Readable = raw;
    if (gz) {
      const gunzip = archiveGunzip();
      gunzip.on('error', (e) => extract.destroy(e));
      input = raw.pipe(gunzip);
    }
    input.pipe(counter).pipe(extract);
    raw.on('error', (e) => extract.destroy(e));
    try {
      for await (const member of extract) {
        const h = member.header;
        const type = TYPES[h.type ?? 'file'] ?? 'other';
        const pax = h.pax as Record<string, string> | undefined;
        // a pax path/linkpath (UTF-8 by definition, decoded by tar-stream) replaced the latin1-decoded header field
        const at = (member as unknown as { offset?: number }).offset ?? currentEnd;
        // a pax record tar-stream decoded with U+FFFD in it is read again as bytes (see rawPaxValue)
        const paxText = (key: string, decoded: string): string => {
          const raw = decoded.includes('\ufffd') ? rawPaxValue((a, n) => counter.bytesAt(a, n), at, key) : null;
          if (!raw && decoded.includes('\ufffd')) {
            this.warnings.add({ kind: 'bad-value', artifact: 'tar archive member', evidence: normaliseMemberName(pax?.path !== undefined ? escapeText(h.name) : nameText(h.name)), offset: at, message: `pax ${key} record holds bytes that are not UTF-8 and its raw bytes are no longer at hand: they are shown as U+FFFD, not as \\xNN (member header at ${gz ? 'decompressed ' : ''}offset ${at})` });
          }
          return raw ? decodeBytes(raw).text : escapeText(decoded);
        };
        const name = pax?.path !== undefined ? paxText('path', h.name) : nameText(h.name);
        const linkname = h.linkname ? (pax?.linkpath !== undefined ? paxText('linkpath', h.linkname) : nameText(h.linkname)) : null;
        const path = normaliseMemberName(name);
        const dataAt = (h as { byteOffset?: number }).byteOffset ?? at + 512;
        current = at;
        currentEnd = dataAt + (type === 'dir' ? 0 : Math.ceil(Number(h.size ?? 0) / 512) * 512);
        const warn: Warn = (key, message) => this.warnings.add({ kind: 'bad-time', artifact: 'tar archive member', evidence: path, offset: at, message: `${message} (member header at ${gz ? 'decompressed ' : ''}offset ${at})` });
        const entry: EvidenceEntry = {
          path,
          type,
          size: BigInt(h.size ?? 0),
          mode: num(h.mode) ?? 0,
          uid: num(h.uid),
          gid: num(h.gid),
          inode: null,
          mtime: paxTime(pax, 'mtime', warn) ?? ustarTime(headerBlock(counter.bytesAt(at, 512)), h.mtime, warn),
          atime: paxTime(pax, 'atime', warn),
          ctime: paxTime(pax, 'ctime', warn),
        };
        if (linkname) entry.linkTarget = linkname;
        if (type === 'char' || type === 'block') entry.rdev = { major: h.devmajor ?? 0, minor: h.devminor ?? 0 };
        if (pax) {
          for (const k of Object.keys(pax)) {
            // values are bytes (security.capability is binary): by the name rule, so the text reads back to them
            if (k.startsWith('SCHILY.xattr.')) (entry.xattrs ??= {})[k.slice(13)] = paxText(k, pax[k]!);
          }
        }
        const want = visitor.want(entry);
        if (want === 'content' && type === 'file') {
          // tar-stream entries are streamx streams; extractors get a Node Readable over them.
          await visitor.visit(entry, Readable.from(member as AsyncIterable<Buffer>, { objectMode: false }));
        } else if (want !== 'skip') {
          await visitor.visit(entry, null);
        }
        member.resume(); // drain what was not read; the iterator then moves to the next member
      }
    } catch (e) {
      // all of the last member's data passed: the damage is in the header after it; else the member is cut short
      const cut = counter.bytes < currentEnd;
      const offset = cut ? current : currentEnd;
      this.warnings.add({
        kind: 'bad-archive', artifact: 'tar archive', evidence: '', offset,
        message: `archive unreadable past ${gz ? 'decompressed ' : ''}offset ${offset} (${cut ? 'the member whose header is there runs past the data' : 'the header there'}; ${counter.bytes} bytes read): ${(e as Error).message}; entries before it were read`,
      });
    } finally {
      raw.destroy();
    }
  }
}
