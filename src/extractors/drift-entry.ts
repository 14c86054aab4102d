import type { EntryType } from '../evidence/entry.js';
import type { LayerNode } from './drift.js';

/**
 * A layer entry as drift keeps it: one compact line of JSON (path, type, mode, owner, rdev, mtime,
 * ctime, size, capability, flags, evidence path when it is not the layer folder + path, inode),
 * held in memory or in spill runs (drift-store.ts), and its sort key.
 */

/** Paths as drift compares them: `/` + the non-empty parts (as the overlay merge splits them). */
export function normalPath(p: string): string {
  if (!p.includes('//') && (p.length === 1 || !p.endsWith('/')) && p.startsWith('/')) return p;
  return '/' + p.split('/').filter(Boolean).join('/');
}

/**
 * Sort key of a normalised path: `/` becomes NUL (no name holds one), so plain string order is the
 * order of the tree walk: a folder, then its whole subtree, then its next sibling; siblings in
 * UTF-16 code-unit order (as `docker diff` here sorts names). The root is the empty key.
 * (split/join makes a flat string; a replaceAll result costs several times its length in the heap.)
 */
export const pathKey = (p: string): string => (p === '/' ? '' : p.split('/').join('\0'));
export const keyPath = (k: string): string => (k === '' ? '/' : k.replaceAll('\0', '/'));
/** `k` lies strictly below the folder of key `dir`. */
export const isBelow = (k: string, dir: string): boolean => k.length > dir.length && k.charCodeAt(dir.length) === 0 && k.startsWith(dir);
export const cmpKey = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const TYPES: readonly EntryType[] = ['file', 'dir', 'symlink', 'hardlink', 'char', 'block', 'fifo', 'socket', 'other'];
const TYPE_CODE = new Map(TYPES.map((t, i) => [t, i]));

/** One entry read back. */
export interface LayerRecord {
  key: string;
  path: string;
  node: LayerNode;
}

/** The line of an entry at normalised path `np`; `derived`: its evidence path is the layer folder + `np` (not written). */
export function entryLine(np: string, n: LayerNode, derived: boolean): string {
  return JSON.stringify([
    np, TYPE_CODE.get(n.type) ?? 8, n.perm, n.uid, n.gid, n.rdev, n.mtime?.toString() ?? null, n.ctime?.toString() ?? null,
    n.size.toString(), n.cap ?? null, (n.whiteout ? 1 : 0) | (n.opaque ? 2 : 0), derived ? null : n.evidence, n.inode,
  ]);
}

/** The layer folder's evidence path, told by an entry (`docker/overlay2/<id>/diff` of `/etc/passwd`). */
export function folderOf(p: string, evidence: string): string | null {
  if (p === '/') return evidence;
  return evidence.endsWith(p) ? evidence.slice(0, evidence.length - p.length) : null;
}

/** An entry's line read back; `opaque`: folders marked opaque apart from their entry (aufs `.wh..wh..opq`). */
export function decodeEntry(line: string, key: string, prefix: string | null, opaque: ReadonlySet<string> | undefined): LayerRecord {
  const a = JSON.parse(line) as [string, number, number, number | null, number | null, string, string | null, string | null, string, string | null, number, string | null, string | null];
  const p = a[0];
  const node: LayerNode = {
    type: TYPES[a[1]] ?? 'other', perm: a[2], uid: a[3], gid: a[4], rdev: a[5], size: BigInt(a[8]),
    whiteout: (a[10] & 1) !== 0, opaque: (a[10] & 2) !== 0 || (opaque?.has(p) ?? false),
    evidence: a[11] ?? (p === '/' ? prefix! : prefix + p), inode: a[12],
  };
  if (a[6] !== null) node.mtime = BigInt(a[6]);
  if (a[7] !== null) node.ctime = BigInt(a[7]);
  if (a[9] !== null) node.cap = a[9];
  return { key, path: p, node };
}

/** The sort key of a line: its path is the line's first JSON string, read without a full parse. */
export function lineKey(line: string): string {
  return pathKey(JSON.parse(line.slice(1, scanString(line, 1) + 1)) as string);
}

/** Index of the closing quote of the JSON string whose opening quote is at `open`. */
function scanString(s: string, open: number): number {
  for (let i = open + 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 92) i++;
    else if (c === 34) return i;
  }
  throw new Error('drift spill line: unterminated path');
}
