import { constants, existsSync, promises as fsp, type BigIntStats } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { EntryType, EvidenceEntry, EvidenceSource, WalkVisitor } from './entry.js';
import type { Warnings } from '../warnings.js';
import { opaqueDirs } from './xattrs.js';
import { decodeBytes } from '../extractors/bytes-text.js';

const O_NOATIME = (constants as Record<string, number>).O_NOATIME ?? 0;
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const O_DIRECTORY = constants.O_DIRECTORY ?? 0;
const SLASH = Buffer.from('/');
const EMPTY = Buffer.alloc(0);
/** Where Linux names an open descriptor as a path (null elsewhere: long paths then fail with a warning). */
const PROC_FD = process.platform === 'linux' && existsSync('/proc/self/fd') ? '/proc/self/fd' : null;
/** Paths longer than this (bytes) are re-anchored on an open directory; Linux refuses paths of 4096 bytes or more. */
const LONG_PATH = 1024;
/** Entries of a folder lstat'ed ahead of the one being visited. */
const STAT_AHEAD = 32;

function typeOf(st: import('node:fs').BigIntStats): EntryType {
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
export async function openNoTouch(abs: string | Buffer): Promise<import('node:fs/promises').FileHandle> {
  const flags = constants.O_RDONLY | O_NOFOLLOW | O_NOATIME;
  try {
    return await fsp.open(abs, flags);
  } catch (e) {
    // O_NOATIME is refused (EPERM) for files the caller does not own unless it has CAP_FOWNER.
    if ((e as NodeJS.ErrnoException).code === 'EPERM' && O_NOATIME) {
      return fsp.open(abs, constants.O_RDONLY | O_NOFOLLOW);
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
  private opaque = new Set<string>();
  private warnedNoGetfattr = false;
  constructor(readonly label: string, readonly root: string, private readonly warnings: Warnings) {}

  async walk(visitor: WalkVisitor): Promise<void> {
    await this.walkDir('', visitor);
  }

  /** Open a regular file of the evidence again (read-only, no atime update, never through a symlink). */
  async openFile(rel: string, chunkBytes = 1 << 20): Promise<Readable> {
    const fh = await openNoTouch(path.join(this.root, rel));
    return fh.createReadStream({ highWaterMark: chunkBytes, autoClose: true });
  }

  async statEntry(rel: string): Promise<EvidenceEntry | null> {
    try {
      const st = await fsp.lstat(path.join(this.root, rel), { bigint: true });
      return await this.toEntry(rel, st);
    } catch {
      return null;
    }
  }

  private async toEntry(rel: string, st: import('node:fs').BigIntStats, fsPath: string | Buffer = path.join(this.root, rel), opaqueKey?: () => string): Promise<EvidenceEntry> {
    const type = typeOf(st);
    const e: EvidenceEntry = {
      path: rel, type, size: st.size, mode: Number(st.mode), uid: Number(st.uid), gid: Number(st.gid),
      inode: st.ino.toString(), mtime: st.mtimeNs, atime: st.atimeNs, ctime: st.ctimeNs,
    };
    // Node reports birthtime as 0 (or ctime) where the file system or statx gives none.
    if (st.birthtimeNs > 0n) e.birthtime = st.birthtimeNs;
    if (type === 'dir' && this.opaque.size > 0 && this.opaque.has(opaqueKey ? opaqueKey() : path.join(this.root, rel))) e.xattrs = { 'trusted.overlay.opaque': 'y' };
    if (type === 'char' || type === 'block') {
      // Linux dev_t: major in bits 8-19 and 32-43, minor in bits 0-7 and 20-31
      const r = st.rdev;
      e.rdev = { major: Number(((r >> 8n) & 0xfffn) | ((r >> 32n) & ~0xfffn)), minor: Number((r & 0xffn) | ((r >> 12n) & ~0xffn)) };
    }
    if (type === 'symlink') {
      // the target is data (bytes): kept exactly, invalid UTF-8 written as \xNN
      try { e.linkTarget = decodeBytes(await fsp.readlink(fsPath, { encoding: 'buffer' })).text; } catch { /* recorded without target */ }
    }
    return e;
  }

  /**
   * List one directory and visit its entries, depth first. `rel` is the evidence path as text (names
   * that are not valid UTF-8 get their bytes written as `\xNN`), `lossy` the same path decoded as
   * getfattr's output is (invalid bytes as U+FFFD, for the opaque-directory lookup), and `fsDir` the
   * path the system calls use: the raw bytes, below an open directory (`/proc/self/fd/N`) once the
   * path grows long, so a chain deeper than PATH_MAX (4096 bytes) is still read to its end. The walk
   * awaits each level, so depth costs heap, not stack.
   */
  private async walkDir(rel: string, visitor: WalkVisitor, fsDir: Buffer = Buffer.from(this.root), lossy = rel): Promise<void> {
    if (this.xattrSubtrees?.(rel)) {
      const dirs = await opaqueDirs(path.join(this.root, lossy));
      if (dirs) for (const d of dirs) this.opaque.add(d);
      else if (!this.warnedNoGetfattr) {
        this.warnedNoGetfattr = true;
        this.warnings.add({ kind: 'no-xattrs', artifact: 'directory', evidence: rel, offset: 0, message: 'getfattr (Debian package attr) is not installed: overlay opaque directories cannot be read from a directory evidence, so files they hide are not reported as deleted' });
      }
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
      let names: Buffer[];
      try {
        names = await fsp.readdir(here, { encoding: 'buffer' });
      } catch (e) {
        this.warnings.add({ kind: 'unreadable', artifact: 'directory', evidence: rel || '.', offset: 0, message: `cannot list directory: ${errorText(e)}` });
        return;
      }
      names.sort(Buffer.compare);
      // lstat a few entries ahead (the thread pool works on them together: ten times faster on a
      // folder of 100 000 entries); they are still visited one by one, in order
      const dirPath = here;
      const statOf = (raw: Buffer): Promise<BigIntStats | Error> =>
        fsp.lstat(Buffer.concat([dirPath, SLASH, raw]), { bigint: true }).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
      const ahead: Promise<BigIntStats | Error>[] = [];
      let fetched = 0;
      for (let i = 0; i < names.length; i++) {
        while (fetched < names.length && fetched - i < STAT_AHEAD) ahead.push(statOf(names[fetched++]!));
        const st = await ahead.shift()!;
        const raw = names[i]!;
        names[i] = EMPTY; // what is visited is not held while the walk goes deeper
        const { text: name, escaped } = decodeBytes(raw);
        const childRel = rel ? `${rel}/${name}` : name;
        const childLossy = escaped || lossy !== rel ? (rel ? `${lossy}/${raw.toString('utf8')}` : raw.toString('utf8')) : childRel;
        const childFs = Buffer.concat([here, SLASH, raw]);
        if (st instanceof Error) {
          this.warnings.add({ kind: 'unreadable', artifact: 'file', evidence: childRel, offset: 0, message: `cannot stat: ${errorText(st)}` });
          continue;
        }
        const entry = await this.toEntry(childRel, st, childFs, () => path.join(this.root, childLossy));
        if (entry.type === 'dir') {
          const want = visitor.want(entry);
          if (want !== 'skip') await visitor.visit(entry, null);
          if (visitor.descend(childRel)) await this.walkDir(childRel, visitor, childFs, childLossy);
          continue;
        }
        const want = visitor.want(entry);
        if (want === 'skip') continue;
        if (want === 'content' && entry.type === 'file') {
          let stream: Readable;
          try {
            const fh = await openNoTouch(childFs);
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
}

/** An error's message without the (possibly 20 KB) path Node puts in it: the warning names the entry already. */
function errorText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return String(err.message).replace(/, \w+ '[\s\S]*'$/, '');
}
