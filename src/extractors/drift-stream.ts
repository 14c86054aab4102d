import { statDifferent, type Change, type LayerNode, type ViewNode } from './drift.js';
import { isBelow, keyPath, type LayerCursor } from './drift-store.js';

/** A change, with what the writable layer holds at its path and at its parent folder (to date a deletion). */
export interface StreamChange extends Change {
  upperEntry: LayerNode | undefined;
  upperParent: LayerNode | undefined;
}

/** One layer of the stack: its tree key (the VNode layer id) and its entries in path-key order. */
export interface StreamLayer {
  id: string;
  cursor: LayerCursor;
}

/** A view's state at one path: what `mergeLayers` would hold there, and per layer of the view whether the path's subtree was emptied. */
interface ViewState {
  exists: boolean;
  node: LayerNode | null;
  layer: string | null;
  /** Per position in the view: the path's children (and everything below) were removed while that layer was merged. */
  cleared: Uint8Array;
}

interface Frame {
  key: string;
  path: string;
  /** Node in the new view (always present: frames are opened only for paths of the new view). */
  info: ViewNode;
  /** The old node it was compared with (null: added). */
  old: ViewNode | null;
  newCleared: Uint8Array;
  oldCleared: Uint8Array | null;
  /** Children are matched against the old view's children (the old node is there and the new one a folder). */
  compare: boolean;
  /** Reported itself (A or C). */
  added: boolean;
  /** Something was reported below it (its folder change, if any, is out). */
  inside: boolean;
  /** Deletions among its children, reported when it is left (after everything below it). */
  deleted: StreamChange[];
  upper: LayerNode | undefined;
}

const isDir = (v: ViewNode): boolean => v.node === null || v.node.type === 'dir';

/**
 * The state of one path in one view, from its parent's state and the entries at the path: the
 * rules of `mergeLayers` (drift.ts), layer by layer, lowest first:
 * - the parent's subtree was emptied in this layer (whiteout, replacement, opaque folder above): gone;
 * - a whiteout removes it; an entry that is not a folder, or a folder where there was none (or only
 *   an implied one), replaces it with an empty subtree; a folder on a folder takes its place and keeps
 *   the children (an opaque one drops them);
 * - an entry below it in this layer makes it exist (implied, no node) when it does not.
 */
function viewState(view: readonly number[], parentCleared: Uint8Array, entries: readonly (LayerNode | undefined)[], below: readonly boolean[], ids: readonly string[]): ViewState {
  let exists = false;
  let node: LayerNode | null = null;
  let layer: string | null = null;
  const cleared = new Uint8Array(view.length);
  for (let j = 0; j < view.length; j++) {
    const k = view[j]!;
    let reset = parentCleared[j] === 1;
    if (reset) exists = false;
    const e = entries[k];
    if (e) {
      if (e.whiteout) {
        exists = false;
        reset = true;
      } else if (!exists || e.type !== 'dir' || node?.type !== 'dir') {
        exists = true;
        node = e;
        layer = ids[k]!;
        reset = true;
      } else {
        node = e;
        layer = ids[k]!;
        if (e.opaque) reset = true;
      }
    }
    if (!exists && below[k]) {
      exists = true;
      node = null;
      layer = ids[k]!;
      reset = true;
    }
    if (reset) cleared[j] = 1;
  }
  return { exists, node, layer, cleared };
}

/**
 * `docker diff` of two views of a layer stack (`before` and `after`: positions in `layers`, lowest
 * first), computed in one pass over the layers' entries in path-key order: the same changes, in the
 * same order, as `diffTrees(mergeLayers(after), mergeLayers(before))`, but holding only the folders
 * on the way to the current path (and the deletions found in them) instead of whole trees. `upper`:
 * position of the writable layer (its entries are handed out with each change).
 */
export function* streamDiff(layers: readonly StreamLayer[], before: readonly number[], after: readonly number[], upper: number): Generator<StreamChange> {
  const ids = layers.map((l) => l.id);
  const cursors = layers.map((l) => l.cursor);
  const n = layers.length;
  const entries: (LayerNode | undefined)[] = new Array(n);
  const below: boolean[] = new Array(n);
  const frames: Frame[] = [];

  /** Smallest head key, or null at the end. */
  const minKey = (): string | null => {
    let m: string | null = null;
    for (const c of cursors) {
      const h = c.head;
      if (h && (m === null || h.key < m)) m = h.key;
    }
    return m;
  };
  /** Take the entries at `key` (none for a folder only implied by entries below it) and see which layers hold entries below it; returns the path. */
  const take = (key: string): string => {
    let path: string | null = null;
    for (let k = 0; k < n; k++) {
      const c = cursors[k]!;
      let e: LayerNode | undefined;
      if (c.head && c.head.key === key) {
        e = c.head.node;
        path = c.head.path;
        c.next();
      }
      entries[k] = e;
      below[k] = c.head !== null && isBelow(c.head.key, key);
    }
    return path ?? keyPath(key);
  };
  const skipBelow = (key: string): void => {
    for (const c of cursors) while (c.head && isBelow(c.head.key, key)) c.next();
  };
  /** Changes to hand out before `c`, which lies inside the frames up to `top`: the folder changes of those frames not reported yet, outermost first. */
  const folderChanges = (top: number): StreamChange[] => {
    const out: StreamChange[] = [];
    for (let i = top; i >= 0 && !frames[i]!.inside; i--) {
      const f = frames[i]!;
      f.inside = true;
      if (i > 0 && isDir(f.info) && !f.added) out.push({ kind: 'C', path: f.path, node: f.info, old: f.old, upperEntry: f.upper, upperParent: frames[i - 1]!.upper });
    }
    return out.reverse();
  };

  // the root: never a change itself; its entries (the layer folders) only date deletions at the top
  const rootKey = '';
  take(rootKey);
  frames.push({
    key: rootKey, path: '/', info: { node: null, layer: null }, old: { node: null, layer: null },
    newCleared: new Uint8Array(after.length), oldCleared: new Uint8Array(before.length), compare: true, added: false, inside: false,
    deleted: [], upper: upper >= 0 ? entries[upper] : undefined,
  });

  function* leave(): Generator<StreamChange> {
    const f = frames[frames.length - 1]!;
    if (f.deleted.length) {
      yield* folderChanges(frames.length - 1);
      yield* f.deleted;
    }
    frames.pop();
  }

  /** Open the path `key` (its entries taken): report it, and push its frame when it is in the new view. */
  function* open(key: string, path: string): Generator<StreamChange, boolean> {
    const parent = frames[frames.length - 1]!;
    const now = viewState(after, parent.newCleared, entries, below, ids);
    const was = parent.compare ? viewState(before, parent.oldCleared!, entries, below, ids) : null;
    const upperEntry = upper >= 0 ? entries[upper] : undefined;
    if (!now.exists) {
      if (was?.exists) parent.deleted.push({ kind: 'D', path, node: { node: was.node, layer: was.layer }, old: null, upperEntry, upperParent: parent.upper });
      skipBelow(key);
      return false;
    }
    const info: ViewNode = { node: now.node, layer: now.layer };
    const old: ViewNode | null = was?.exists ? { node: was.node, layer: was.layer } : null;
    let added = false;
    if (old === null) {
      yield* folderChanges(frames.length - 1);
      yield { kind: 'A', path, node: info, old: null, upperEntry, upperParent: parent.upper };
      added = true;
    } else if (info.node && old.node && (statDifferent(old.node, info.node) || old.node.cap !== info.node.cap)) {
      yield* folderChanges(frames.length - 1);
      yield { kind: 'C', path, node: info, old, upperEntry, upperParent: parent.upper };
      added = true;
    }
    frames.push({
      key, path, info, old, newCleared: now.cleared, oldCleared: old ? was!.cleared : null, compare: old !== null && isDir(info),
      added, inside: false, deleted: [], upper: upperEntry,
    });
    return true;
  }

  for (let next = minKey(); next !== null; next = minKey()) {
    while (frames.length > 1 && !isBelow(next, frames[frames.length - 1]!.key)) yield* leave();
    // folders on the way that no layer lists (implied by entries below them)
    let pos = frames[frames.length - 1]!.key.length;
    let inView = true;
    for (let sep = next.indexOf('\0', pos + 1); sep >= 0; sep = next.indexOf('\0', pos + 1)) {
      const mid = next.slice(0, sep);
      if (!(yield* open(mid, take(mid)))) {
        inView = false;
        break;
      }
      pos = sep;
    }
    if (!inView) continue;
    yield* open(next, take(next));
  }
  while (frames.length) yield* leave();
}
