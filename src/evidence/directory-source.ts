import { constants, promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { EntryType, EvidenceEntry, EvidenceSource, WalkVisitor } from './entry.js';
import type { Warnings } from '../warnings.js';
import { opaqueDirs } from './xattrs.js';

const O_NOATIME = (constants as Record<string, number>).O_NOATIME ?? 0;
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;

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
async function openNoTouch(abs: string): Promise<import('node:fs/promises').FileHandle> {
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

  private async toEntry(rel: string, st: import('node:fs').BigIntStats): Promise<EvidenceEntry> {
    const type = typeOf(st);
    const e: EvidenceEntry = {
      path: rel, type, size: st.size, mode: Number(st.mode), uid: Number(st.uid), gid: Number(st.gid),
      inode: st.ino.toString(), mtime: st.mtimeNs, atime: st.atimeNs, ctime: st.ctimeNs,
    };
    // Node reports birthtime as 0 (or ctime) where the file system or statx gives none.
    if (st.birthtimeNs > 0n) e.birthtime = st.birthtimeNs;
    if (type === 'dir' && this.opaque.has(path.join(this.root, rel))) e.xattrs = { 'trusted.overlay.opaque': 'y' };
    if (type === 'char' || type === 'block') {
      // Linux dev_t: major in bits 8-19 and 32-43, minor in bits 0-7 and 20-31
      const r = st.rdev;
      e.rdev = { major: Number(((r >> 8n) & 0xfffn) | ((r >> 32n) & ~0xfffn)), minor: Number((r & 0xffn) | ((r >> 12n) & ~0xffn)) };
    }
    if (type === 'symlink') {
      try { e.linkTarget = await fsp.readlink(path.join(this.root, rel)); } catch { /* recorded without target */ }
    }
    return e;
  }

  private async walkDir(rel: string, visitor: WalkVisitor): Promise<void> {
    const abs = path.join(this.root, rel);
    if (this.xattrSubtrees?.(rel)) {
      const dirs = await opaqueDirs(abs);
      if (dirs) for (const d of dirs) this.opaque.add(d);
      else if (!this.warnedNoGetfattr) {
        this.warnedNoGetfattr = true;
        this.warnings.add({ kind: 'no-xattrs', artifact: 'directory', evidence: rel, offset: 0, message: 'getfattr (Debian package attr) is not installed: overlay opaque directories cannot be read from a directory evidence, so files they hide are not reported as deleted' });
      }
    }
    let names: string[];
    try {
      names = await fsp.readdir(abs);
    } catch (e) {
      this.warnings.add({ kind: 'unreadable', artifact: 'directory', evidence: rel || '.', offset: 0, message: `cannot list directory: ${(e as Error).message}` });
      return;
    }
    names.sort((a, b) => (Buffer.from(a) < Buffer.from(b) ? -1 : a === b ? 0 : 1));
    for (const name of names) {
      const childRel = rel ? `${rel}/${name}` : name;
      let st: import('node:fs').BigIntStats;
      try {
        st = await fsp.lstat(path.join(this.root, childRel), { bigint: true });
      } catch (e) {
        this.warnings.add({ kind: 'unreadable', artifact: 'file', evidence: childRel, offset: 0, message: `cannot stat: ${(e as Error).message}` });
        continue;
      }
      const entry = await this.toEntry(childRel, st);
      if (entry.type === 'dir') {
        const want = visitor.want(entry);
        if (want !== 'skip') await visitor.visit(entry, null);
        if (visitor.descend(childRel)) await this.walkDir(childRel, visitor);
        continue;
      }
      const want = visitor.want(entry);
      if (want === 'skip') continue;
      if (want === 'content' && entry.type === 'file') {
        let stream: Readable;
        try {
          const fh = await openNoTouch(path.join(this.root, childRel));
          stream = fh.createReadStream({ highWaterMark: 1 << 20, autoClose: true });
        } catch (e) {
          this.warnings.add({ kind: 'unreadable', artifact: 'file', evidence: childRel, offset: 0, message: `cannot open: ${(e as Error).message}` });
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
  }
}
