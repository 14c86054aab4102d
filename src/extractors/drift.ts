import type { EvidenceEntry, EntryType } from '../evidence/entry.js';
import { modeString } from './container-files.timemap.js';

/** What the overlay and `docker diff` need of one entry of a layer directory. */
export interface LayerNode {
  type: EntryType;
  perm: number;
  uid: number | null;
  gid: number | null;
  rdev: string;
  mtime?: bigint;
  ctime?: bigint;
  size: bigint;
  /** `security.capability`, compared as docker does. */
  cap?: string;
  whiteout: boolean;
  opaque: boolean;
  /** Evidence path and inode of the entry (not the whole entry). */
  evidence: string;
  inode: string | null;
}

export function layerNode(e: EvidenceEntry): LayerNode {
  const opaqueAttr = e.xattrs?.['trusted.overlay.opaque'] ?? e.xattrs?.['user.overlay.opaque'];
  const node: LayerNode = {
    type: e.type, perm: e.mode & 0o7777, uid: e.uid, gid: e.gid, rdev: e.rdev ? `${e.rdev.major},${e.rdev.minor}` : '',
    size: e.size, whiteout: e.type === 'char' && e.rdev?.major === 0 && e.rdev.minor === 0,
    opaque: e.type === 'dir' && opaqueAttr === 'y', evidence: e.path, inode: e.inode,
  };
  if (e.mtime !== undefined) node.mtime = e.mtime;
  if (e.ctime !== undefined) node.ctime = e.ctime;
  if (e.xattrs?.['security.capability'] !== undefined) node.cap = e.xattrs['security.capability'];
  return node;
}

/** `ls`-style mode of a node. */
export function nodeMode(n: LayerNode): string {
  return modeString({ type: n.type, mode: n.perm } as EvidenceEntry);
}

/** One layer: path in the container file system (`/etc/passwd`) → its node. */
export type LayerTree = Map<string, LayerNode>;

/** A node of a merged view: the entry in force at a path (null for a folder only implied by entries below it) and the layer it came from. */
export interface ViewNode {
  node: LayerNode | null;
  layer: string | null;
}

/**
 * A directory tree of the union (overlay) view. With `mergeLayers` and `diffTrees` this is the
 * reference form of drift, on whole trees in memory; the timeline computes the same changes in one
 * streaming pass over the layers' sorted entries (drift-stream.ts), and tests check the two agree.
 */
export class VNode implements ViewNode {
  readonly children = new Map<string, VNode>();
  /** Set by the diff when the node is already reported (added or changed). */
  added = false;
  constructor(public node: LayerNode | null, public layer: string | null) {}

  get isDir(): boolean {
    return this.node === null || this.node.type === 'dir';
  }
}

const depth = (p: string): number => (p.match(/\//g) ?? []).length;

/** Union of layers, lowest first: whiteouts remove, opaque directories hide what is below them. */
export function mergeLayers(layers: { id: string; tree: LayerTree }[]): VNode {
  const root = new VNode(null, null);
  for (const { id, tree } of layers) {
    const depths = new Map<string, number>();
    for (const p of tree.keys()) depths.set(p, depth(p));
    const paths = [...tree.keys()].sort((a, b) => depths.get(a)! - depths.get(b)! || (a < b ? -1 : a > b ? 1 : 0));
    for (const p of paths) {
      const n = tree.get(p)!;
      const parts = p.split('/').filter(Boolean);
      if (parts.length === 0) continue;
      let dir = root;
      for (const part of parts.slice(0, -1)) {
        let next = dir.children.get(part);
        if (!next) dir.children.set(part, (next = new VNode(null, id)));
        dir = next;
      }
      const name = parts.at(-1)!;
      if (n.whiteout) {
        dir.children.delete(name);
        continue;
      }
      let v = dir.children.get(name);
      if (!v || n.type !== 'dir' || v.node?.type !== 'dir') {
        v = new VNode(n, id);
        dir.children.set(name, v);
      } else {
        if (n.opaque) v.children.clear();
        v.node = n;
        v.layer = id;
      }
    }
  }
  return root;
}

export interface Change {
  kind: 'A' | 'C' | 'D';
  path: string;
  /** The node in the new view (A, C) or the deleted one in the old view (D). */
  node: ViewNode;
  /** For C: the node it replaced. */
  old: ViewNode | null;
}

/** docker's statDifferent: mode, owner, rdev; and for non-directories mtime and size. */
export function statDifferent(a: LayerNode, b: LayerNode): boolean {
  if (a.type !== b.type || a.perm !== b.perm || a.uid !== b.uid || a.gid !== b.gid || a.rdev !== b.rdev) return true;
  return a.type !== 'dir' && (a.mtime !== b.mtime || a.size !== b.size);
}

/**
 * `docker diff` of two views (moby pkg/archive changes.go addChanges): added, changed (stat or
 * capability differs), deleted (only the top of a deleted subtree), and a directory is reported as
 * changed when anything inside it changed.
 */
export function diffTrees(newRoot: VNode, oldRoot: VNode): Change[] {
  const out: Change[] = [];
  // iterative (an explicit stack): a container can make a folder chain deeper than the call stack
  interface Frame { info: VNode; old: VNode | null; path: string; sizeAtEntry: number; names: string[]; next: number; oldChildren: Map<string, VNode> }
  const enter = (info: VNode, old: VNode | null, path: string): Frame => {
    const sizeAtEntry = out.length;
    if (old === null) {
      out.push({ kind: 'A', path, node: info, old: null });
      info.added = true;
    }
    return { info, old, path, sizeAtEntry, names: [...info.children.keys()].sort(), next: 0, oldChildren: new Map<string, VNode>(old && info.isDir ? old.children : []) };
  };
  const stack: Frame[] = [enter(newRoot, oldRoot, '/')];
  while (stack.length) {
    const f = stack[stack.length - 1]!;
    if (f.next < f.names.length) {
      const name = f.names[f.next++]!;
      const child = f.info.children.get(name)!;
      const oldChild = f.oldChildren.get(name) ?? null;
      const childPath = f.path === '/' ? `/${name}` : `${f.path}/${name}`;
      if (oldChild) {
        if (child.node && oldChild.node && (statDifferent(oldChild.node, child.node) || oldChild.node.cap !== child.node.cap)) {
          out.push({ kind: 'C', path: childPath, node: child, old: oldChild });
          child.added = true;
        }
        f.oldChildren.delete(name);
      }
      stack.push(enter(child, oldChild, childPath));
      continue;
    }
    stack.pop();
    for (const [name, oldChild] of [...f.oldChildren].sort(([a], [b]) => (a < b ? -1 : 1))) {
      out.push({ kind: 'D', path: f.path === '/' ? `/${name}` : `${f.path}/${name}`, node: oldChild, old: null });
    }
    if (out.length > f.sizeAtEntry && f.info.isDir && !f.info.added && f.path !== '/') {
      out.splice(f.sizeAtEntry, 0, { kind: 'C', path: f.path, node: f.info, old: f.old });
    }
  }
  return out;
}
