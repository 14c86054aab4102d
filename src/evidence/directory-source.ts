import { constants, existsSync, promises as fsp, type BigIntStats, type Dir } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { EntryType, EvidenceEntry, EvidenceSource, WalkVisitor } from './entry.js';
import type { Warnings } from '../warnings.js';
import { opaqueDirsAt } from './xattrs.js';
import { decodeBytes } from '../extractors/bytes-text.js';

const O_NOATIME = (constants as Record<string, number>).O_NOATIME ?? 0;
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const O_DIRECTORY = constants.O_DIRECTORY ?? 0;
const SLASH = Buffer.from('/');
/** Where Linux names an open descriptor as a path (null elsewhere: long paths then fail with a warning). */
const PROC_FD = process.platform === 'linux' && existsSync('/proc/self/fd') ? '/proc/self/fd' : null;
/** Paths longer than this (bytes) are re-anchored on an open directory; Linux refuses paths of 4096 bytes or more. */
const LONG_PATH = 1024;
/**
 * getfattr builds the paths below the folder it is given, and stops at PATH_MAX (4096 bytes): in a
 * subtree whose overlay xattrs are read, a folder this many bytes of path below the last folder
 * getfattr was run on is scanned again from itself (a name adds at most 256 bytes, so every folder
 * is covered by some scan).
 */
const XATTR_RESCAN = 2048;
/** Entries of a folder lstat'ed ahead of the one being visited. */
const STAT_AHEAD = 32;
/** Directory entries read per getdents batch (opendir's buffer). */
const DIR_BATCH = 256;
/**
 * Directories whose lstat size is at most this (bytes) are listed with one readdir (a few thousand
 * names at most: ext4, xfs and btrfs sizes grow with the names, zfs counts entries); larger ones, and
 * those of size 0 (a file system that does not say), in batches.
 */
const SMALL_DIR = 32n * 1024n;

function typeOf(st: BigIntStats): EntryType {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  return 'other';
}

/** Open read-only, never following a symlink, and without updating atime where the OS allows it. */
export async function openNoTouch(abs: string | Buffer, extraFlags = 0): Promise<import('node:fs/promises').FileHandle> {
  const flags = constants.O_RDONLY | O_NOFOLLOW | O_NOATIME | extraFlags;
  try {
    return await fsp.open(abs, flags);
  } catch (e) {
    // O_NOATIME is refused (EPERM) for files the caller does not own unless it has CAP_FOWNER.
    if ((e as NodeJS.ErrnoException).code === 'EPERM' && O_NOATIME) {
      return fsp.open(abs, constants.O_RDONLY | O_NOFOLLOW | extraFlags);
    }
    throw e;
  }
}

/**
 * A directory tree (a mounted image, an unpacked copy). Entries are lstat'ed (never followed),
 * visited in byte order of their names, and only regular files are ever opened.
 */
export class DirectorySource implements EvidenceSource {
  readonly kind = 'OS' as const;
  /**
   * Subtrees whose directories' overlay xattrs are read (through getfattr: Node has no xattr API),
   * e.g. layer `diff` folders. Null: none.
   */
  xattrSubtrees: ((rel: string) => boolean) | null = null;
  /** Directories of at most this lstat size (bytes) are listed with one readdir, others in batches (see SMALL_DIR). */
  smallDirBytes = SMALL_DIR;
  /** Reads a symlink's target as raw bytes (replaceable to simulate a failing readlink). */
  readlink: (fsPath: string | Buffer) => Promise<Buffer> = (fsPath) => fsp.readlink(fsPath, { encoding: 'buffer' });
  /** Evidence paths (as `rel`) of the folders getfattr found opaque. */
  private opaque = new Set<string>();
  private warnedNoGetfattr = false;
  constructor(readonly label: string, readonly root: string, private readonly warnings: Warnings) {}

  async walk(visitor: WalkVisitor): Promise<void> {
    await this.walkDir('', visitor);
  }

  /** Open a regular file of the evidence again (read-only, no atime update, never through a symlink). */
  async statEntry(rel: string): Promise<EvidenceEntry | null> {
    const abs = path.join(this.root, rel);
    try {
      const e = this.entryOf(rel, await fsp.lstat(abs, { bigint: true }));
      if (e.type === 'symlink') e.linkTarget = await this.linkText(abs, rel);
      return e;
    } catch {
      return null;
    }
  }

  /** An entry from its lstat (all but a symlink's target). */
  private entryOf(rel: string, st: BigIntStats): EvidenceEntry {
    const type = typeOf(st);
    const e: EvidenceEntry = {
      path: rel, type, size: st.size, mode: Number(st.mode), uid: Number(st.uid), gid: Number(st.gid),
      inode: st.ino.toString(), mtime: st.mtimeNs, atime: st.atimeNs, ctime: st.ctimeNs,
    };
    // Node reports birthtime as 0 (or ctime) where the file system or statx gives none.
    if (st.birthtimeNs > 0n) e.birthtime = st.birthtimeNs;
    if (type === 'dir' && this.opaque.size > 0 && this.opaque.has(rel)) e.xattrs = { 'trusted.overlay.opaque': 'y' };
    if (type === 'char' || type === 'block') {
      // Linux dev_t: major in bits 8-19 and 32-43, minor in bits 0-7 and 20-31
      const r = st.rdev;
      e.rdev = { major: Number(((r >> 8n) & 0xfffn) | ((r >> 32n) & ~0xfffn)), minor: Number((r & 0xffn) | ((r >> 12n) & ~0xffn)) };
    }
    return e;
  }

  /**
   * The names of one directory, packed into one byte store. A large folder is read with opendir in
   * batches, never with `readdir` of the whole folder: Node makes each name of that array a Buffer
   * with its own backing store, about 500 bytes of RSS per name, 0.5 GB for a folder of a million
   * entries. A small one (its lstat size, known from the parent, at most smallDirBytes: its names
   * take about that much) is read with one readdir, which costs one system round trip instead of
   * opendir's three or more. Null (and a warning) when the directory cannot be listed; an error in the
   * middle of a batched read keeps what was read (warned).
   */
  private async listNames(here: Buffer, rel: string, size: bigint): Promise<NameList | null> {
    const names = new NameList();
    if (size > 0n && size <= this.smallDirBytes) {
      try {
        for (const name of await fsp.readdir(here, { encoding: 'buffer' })) names.add(name);
        return names;
      } catch (e) {
        this.warnings.add({ kind: 'unreadable', artifact: 'directory', evidence: rel || '.', offset: 0, message: `cannot list directory: ${errorText(e)}` });
        return null;
      }
    }
    let dir: Dir;
    try {
      // 'buffer': names as their raw bytes (the Dirent typing knows only text encodings)
      dir = await fsp.opendir(here as unknown as string, { encoding: 'buffer' as BufferEncoding, bufferSize: DIR_BATCH });
    } catch (e) {
      this.warnings.add({ kind: 'unreadable', artifact: 'directory', evidence: rel || '.', offset: 0, message: `cannot list directory: ${errorText(e)}` });
      return null;
    }
    try {
      for (let d = await dir.read(); d !== null; d = await dir.read()) names.add(d.name as unknown as Buffer);
    } catch (e) {
      this.warnings.add({ kind: 'unreadable', artifact: 'directory', evidence: rel || '.', offset: 0, message: `cannot list directory (${names.count} entries read): ${errorText(e)}` });
    } finally {
      await dir.close().catch(() => undefined);
    }
    return names;
  }

  /**
   * List one directory and visit its entries, depth first. `rel` is the evidence path as text (names
   * escaped by decodeBytes: invalid UTF-8 as `\xNN`), and `fsDir` the path the system calls use: the
   * raw bytes, below an open directory (`/proc/self/fd/N`) once the path grows long, so a chain deeper
   * than PATH_MAX (4096 bytes) is still read to its end. `xattrBase`: in a subtree whose overlay
   * xattrs are read, the byte length of the `rel` of the folder getfattr last scanned (null outside).
   * The walk awaits each level, so depth costs heap, not stack.
   *
   * Memory per folder is bounded by its names only (packed bytes + 8 bytes of index per entry, ~20
   * bytes per entry): a large folder's names are read in batches, the directory handle is closed
   * before the walk goes deeper, and only STAT_AHEAD lstat results are pending at a time. Nothing per entry is kept once
   * it has been visited.
   */
  private async walkDir(rel: string, visitor: WalkVisitor, fsDir: Buffer = Buffer.from(this.root), size = 0n, xattrBase: number | null = null): Promise<void> {
    const relBytes = Buffer.byteLength(rel);
    if (this.xattrSubtrees?.(rel) || (xattrBase !== null && relBytes - xattrBase > XATTR_RESCAN)) {
      xattrBase = relBytes;
      await this.readOpaque(rel, fsDir);
    }
    let anchor: import('node:fs/promises').FileHandle | null = null;
    let here = fsDir;
    if (PROC_FD && here.length > LONG_PATH) {
      // hold the directory open and name what is below it through the descriptor: the kernel then
      // never sees a path longer than LONG_PATH + one name
      try {
        anchor = await fsp.open(here, constants.O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        here = Buffer.from(`${PROC_FD}/${anchor.fd}`);
      } catch (e) {
        this.warnings.add({ kind: 'unreadable', artifact: 'directory', evidence: rel || '.', offset: 0, message: `cannot open directory: ${errorText(e)}` });
        return;
      }
    }
    try {
      const names = await this.listNames(here, rel, size);
      if (!names) return;
      const order = names.byteOrder();
      const n = order.length;
      // lstat a few entries ahead (the thread pool works on them together: ten times faster on a
      // folder of 100 000 entries); they are still visited one by one, in order. A ring of
      // STAT_AHEAD slots: nothing per entry outlives its visit.
      const dirPath = here;
      const ahead: (Promise<BigIntStats | Error> | undefined)[] = new Array(Math.min(STAT_AHEAD, n));
      let fetched = 0;
      for (let i = 0; i < n; i++) {
        for (; fetched < n && fetched - i < STAT_AHEAD; fetched++) {
          ahead[fetched % STAT_AHEAD] = fsp.lstat(Buffer.concat([dirPath, SLASH, names.name(order[fetched]!)]), { bigint: true }).catch(asError);
        }
        const st = await ahead[i % STAT_AHEAD]!;
        ahead[i % STAT_AHEAD] = undefined;
        const raw = names.name(order[i]!);
        const name = decodeBytes(raw).text;
        const childRel = rel ? `${rel}/${name}` : name;
        if (st instanceof Error) {
          this.warnings.add({ kind: 'unreadable', artifact: 'file', evidence: childRel, offset: 0, message: `cannot stat: ${errorText(st)}` });
          continue;
        }
        const entry = this.entryOf(childRel, st);
        // the path for the system calls below is made only for the entries that need one
        if (entry.type === 'symlink') entry.linkTarget = await this.linkText(Buffer.concat([here, SLASH, raw]), childRel);
        if (entry.type === 'dir') {
          const want = visitor.want(entry);
          if (want !== 'skip') await visitor.visit(entry, null);
          if (visitor.descend(childRel)) await this.walkDir(childRel, visitor, Buffer.concat([here, SLASH, raw]), entry.size, xattrBase);
          continue;
        }
        const want = visitor.want(entry);
        if (want === 'skip') continue;
        if (want === 'content' && entry.type === 'file') {
          let stream: Readable;
          try {
            const fh = await openNoTouch(Buffer.concat([here, SLASH, raw]));
            stream = fh.createReadStream({ highWaterMark: 1 << 20, autoClose: true });
          } catch (e) {
            this.warnings.add({ kind: 'unreadable', artifact: 'file', evidence: childRel, offset: 0, message: `cannot open: ${errorText(e)}` });
            await visitor.visit(entry, null);
            continue;
          }
          try {
            await visitor.visit(entry, stream);
          } finally {
            stream.destroy();
          }
        } else {
          await visitor.visit(entry, null);
        }
      }
    } finally {
      await anchor?.close();
    }
  }

  /**
   * A symlink's target as text (invalid UTF-8 as `\xNN`); undefined, and a warning, when it cannot be
   * read (EACCES, EIO, the link gone since it was listed): the entry is then recorded without target.
   */
  private async linkText(fsPath: string | Buffer, rel: string): Promise<string | undefined> {
    try {
      return decodeBytes(await this.readlink(fsPath)).text;
    } catch (e) {
      this.warnings.add({ kind: 'unreadable', artifact: 'file', evidence: rel, offset: 0, message: `cannot read symlink target (recorded without target): ${errorText(e)}` });
      return undefined;
    }
  }

  /**
   * The opaque folders at and below `rel` (getfattr through the folder's descriptor: its path may be
   * of any length), added to `opaque`. getfattr's own complaints are warnings, except the "File name
   * too long" of folders a later scan from deeper down covers.
   */
  private async readOpaque(rel: string, fsDir: Buffer): Promise<void> {
    if (this.warnedNoGetfattr) return;
    let fh: import('node:fs/promises').FileHandle | null = null;
    try {
      fh = await fsp.open(fsDir, constants.O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    } catch {
      return; // listing it fails too, and says so
    }
    try {
      const scan = PROC_FD ? await opaqueDirsAt(fh.fd) : null;
      if (!scan) {
        this.warnedNoGetfattr = true;
        const why = PROC_FD ? 'getfattr (Debian package attr) is not installed' : 'getfattr is given folders through /proc/self/fd, which this system lacks';
        this.warnings.add({ kind: 'no-xattrs', artifact: 'directory', evidence: rel, offset: 0, message: `${why}: overlay opaque directories cannot be read from a directory evidence, so files they hide are not reported as deleted` });
        return;
      }
      for (const d of scan.dirs) {
        const sub = decodeBytes(d).text;
        this.opaque.add(!sub ? rel : rel ? `${rel}/${sub}` : sub);
      }
      const errors = scan.errors.filter((l) => !l.endsWith(': File name too long'));
      if (errors.length) {
        this.warnings.add({ kind: 'no-xattrs', artifact: 'directory', evidence: rel, offset: 0, message: `getfattr could not read the overlay xattrs of everything below this folder (opaque directories there may be missed): ${errors.slice(0, 3).join('; ')}${errors.length > 3 ? ` (${errors.length} lines)` : ''}` });
      }
    } finally {
      await fh.close();
    }
  }
}

const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

/**
 * The names of one directory as raw bytes, packed: all in one growing byte store with their end
 * offsets (about 4 bytes per entry plus the name itself, instead of a Buffer object per name).
 */
export class NameList {
  private bytes = Buffer.allocUnsafe(256);
  private ends = new Uint32Array(16);
  private used = 0;
  count = 0;

  add(name: Uint8Array): void {
    if (this.used + name.length > this.bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.used + name.length));
      this.bytes.copy(grown, 0, 0, this.used);
      this.bytes = grown;
    }
    this.bytes.set(name, this.used);
    this.used += name.length;
    if (this.count === this.ends.length) {
      const grown = new Uint32Array(this.ends.length * 2);
      grown.set(this.ends);
      this.ends = grown;
    }
    this.ends[this.count++] = this.used;
  }

  /** Name `i` (in the order added) as a view on the store: valid while the list lives, never copied. */
  name(i: number): Buffer {
    return this.bytes.subarray(i === 0 ? 0 : this.ends[i - 1]!, this.ends[i]!);
  }

  /** Indexes of the names in byte order of the names (as `Buffer.compare`). */
  byteOrder(): Uint32Array {
    const order = new Uint32Array(this.count);
    for (let i = 0; i < order.length; i++) order[i] = i;
    const { bytes, ends } = this;
    order.sort((a, b) => {
      let x = a === 0 ? 0 : ends[a - 1]!;
      let y = b === 0 ? 0 : ends[b - 1]!;
      const xe = ends[a]!;
      const ye = ends[b]!;
      for (; x < xe && y < ye; x++, y++) {
        const d = bytes[x]! - bytes[y]!;
        if (d !== 0) return d;
      }
      return (xe - x) - (ye - y);
    });
    return order;
  }
}

/** An error's message without the (possibly 20 KB) path Node puts in it: the warning names the entry already. */
function errorText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return String(err.message).replace(/, \w+ '[\s\S]*'$/, '');
}
