import type { Readable } from 'node:stream';

export type EntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo' | 'socket' | 'other';

/** One entry of the evidence: its metadata, never followed, never opened unless it is a regular file. */
export interface EvidenceEntry {
  /** Path relative to the evidence root, `/`-separated, no leading or trailing `/`. */
  path: string;
  type: EntryType;
  size: bigint;
  mode: number;
  uid: number | null;
  gid: number | null;
  inode: string | null;
  /** Times in UTC nanoseconds; undefined where the evidence does not hold them. */
  mtime?: bigint;
  atime?: bigint;
  ctime?: bigint;
  birthtime?: bigint;
  /** For symlinks and hardlinks: the recorded target, never resolved on the host. */
  linkTarget?: string;
  /** Device numbers of a character or block device (a 0/0 character device is an overlay whiteout). */
  rdev?: { major: number; minor: number };
  /**
   * Extended attributes, where the evidence holds them: pax `SCHILY.xattr.*` records of an archive.
   * (Node cannot read xattrs of a directory evidence: undefined there.)
   */
  xattrs?: Record<string, string>;
}

/** Decides, per entry, whether a walk wants its content (a stream), its metadata only, or nothing below it. */
export type WalkWant = 'content' | 'meta' | 'skip';

export interface WalkVisitor {
  /** Called for directories before descending: false prunes the subtree (directory sources only). */
  descend(path: string): boolean;
  want(entry: EvidenceEntry): WalkWant;
  /** For `content` entries the stream must be consumed (or destroyed) before the promise resolves. */
  visit(entry: EvidenceEntry, content: Readable | null): Promise<void>;
}

/** An evidence source: a directory tree or an archive, read in place and never written. */
export interface EvidenceSource {
  /** The argument as given. */
  readonly label: string;
  readonly kind: 'OS' | 'TAR';
  /** Visit every entry (archive order for tar, sorted by name for directories). */
  walk(visitor: WalkVisitor): Promise<void>;
}

/** Join evidence-relative paths. */
export function joinPath(a: string, b: string): string {
  if (!a) return b;
  if (!b) return a;
  return `${a}/${b}`;
}

/** Normalise an archive member name to an evidence-relative path (no `./`, no leading `/`, no trailing `/`). */
export function normaliseMemberName(name: string): string {
  let p = name.replace(/\/+/g, '/');
  while (p.startsWith('./')) p = p.slice(2);
  p = p.replace(/^\/+/, '').replace(/\/+$/, '');
  return p === '.' ? '' : p;
}
