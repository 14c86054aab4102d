import type { Context } from './context.js';
import type { TimelineEvent } from '../events/event.js';
import type { Warning } from '../warnings.js';
import { makeEvent } from '../events/build.js';
import { bareDigest } from './image-paths.js';
import { nodeMode, type Change, type LayerNode } from './drift.js';
import { streamDiff, type StreamChange } from './drift-stream.js';
import type { LayerCursor } from './drift-store.js';
import { isDiffDriver, treeKey, type LayerDriver } from './layer-layout.js';
import type { LayerTrees } from './layer-files.js';
import { formatUtcNs } from '../time/nanotime.js';

const modeOf = (n: LayerNode): string => nodeMode(n);

/** The image layers of a container, lowest first, from its layerdb mount's parent chain. */
function containerLayers(ctx: Context, parent: string | null, driver: string): string[] | null {
  const ids: string[] = [];
  for (let c = parent ? bareDigest(parent) : null, n = 0; c && n < 1000; n++) {
    const l = ctx.store.findLayer(c, driver);
    if (!l?.cacheId) return null;
    ids.unshift(l.cacheId);
    c = l.parent ? bareDigest(l.parent) : null;
  }
  return ids;
}

/** What changed, in words, and whether the times look forged. */
function describe(c: Change, created: bigint | null): { detail: string; timestomp: string | null } {
  const n = c.node.node;
  if (c.kind === 'D') return { detail: 'deleted', timestomp: null };
  if (!n) return { detail: 'directory: entries inside changed', timestomp: null };
  if (c.kind === 'C' && n.type === 'dir') return { detail: 'directory: entries inside changed', timestomp: null };
  let detail = c.kind === 'A' ? 'added' : 'content changed';
  const o = c.old?.node;
  let metadataOnly = false;
  if (c.kind === 'C' && o && o.mtime === n.mtime && o.size === n.size) {
    metadataOnly = true;
    const what: string[] = [];
    if (o.perm !== n.perm) what.push(`mode ${modeOf(o)} -> ${modeOf(n)}`);
    if (o.uid !== n.uid || o.gid !== n.gid) what.push(`owner ${o.uid}:${o.gid} -> ${n.uid}:${n.gid}`);
    if (o.cap !== n.cap) what.push('file capabilities');
    detail = `metadata change only (${what.join(', ') || 'copied up'}; content and mtime as in the lower layer)`;
  }
  let timestomp: string | null = null;
  if (!metadataOnly && n.type !== 'dir' && n.mtime !== undefined) {
    if (created !== null && n.mtime < created) {
      timestomp = `mtime ${formatUtcNs(n.mtime)} is before the container was created (${formatUtcNs(created)}): likely timestomped, or copied in with its original mtime (docker cp keeps it)`;
    } else if (n.ctime !== undefined && n.ctime - n.mtime > 86_400_000_000_000n) {
      timestomp = `mtime ${formatUtcNs(n.mtime)} is far older than ctime ${formatUtcNs(n.ctime)}: likely timestomped`;
    }
  }
  return { detail, timestomp };
}

interface Stack {
  driver: LayerDriver;
  /** Tree keys of the view before the container (image + init). */
  before: string[];
  /** Tree keys of the container's view. */
  after: string[];
  upper: string;
  /** Layers the stack needs that are not in the evidence. */
  missing: string[];
}

/** A container's layers, per driver: which trees make its view before and after its own changes. */
function containerStack(ctx: Context, cid: string, has: (key: string) => boolean): Stack | null | 'incomplete' {
  const m = ctx.store.mounts.get(cid);
  let driver: LayerDriver;
  let upperDir: string;
  let initDir: string | null;
  let images: string[] | null;
  if (m?.mountId && ['overlay2', 'overlay', 'vfs', 'aufs', 'btrfs', 'zfs'].includes(m.driver)) {
    driver = m.driver as LayerDriver;
    upperDir = m.mountId;
    initDir = m.initId;
    images = containerLayers(ctx, m.parent, m.driver);
  } else if (ctx.store.aufsParents.has(cid)) {
    // pre-1.10 aufs: the container id is its layer; aufs/layers/<id> lists <id>-init, then the image, top first
    driver = 'aufs';
    upperDir = cid;
    const parents = ctx.store.aufsParents.get(cid)!;
    initDir = parents[0]?.endsWith('-init') ? parents[0] : null;
    images = parents.slice(initDir ? 1 : 0).reverse();
  } else {
    return null;
  }
  if (!images) return 'incomplete';
  const k = (dir: string, part: 'diff' | 'root' | 'upper' | 'dir' = 'diff'): string => treeKey(driver, dir, driver === 'overlay' ? part : isDiffDriver(driver) ? 'diff' : 'dir');
  let before: string[];
  let after: string[];
  if (isDiffDriver(driver)) {
    before = [...images.map((id) => k(id)), ...(initDir ? [k(initDir)] : [])];
    after = [...before, k(upperDir)];
  } else if (driver === 'overlay') {
    // overlay v1: one lower (the top image layer's full root/); the container's upper/ starts as a copy of the init layer's
    const top = images.at(-1);
    before = [...(top ? [k(top, 'root')] : []), ...(initDir ? [k(initDir, 'upper')] : [])];
    after = [...(top ? [k(top, 'root')] : []), k(upperDir, 'upper')];
  } else {
    // vfs, btrfs, zfs: every layer is a full copy; compare the container's copy with its parent's (the init layer)
    before = initDir ? [k(initDir)] : images.length ? [k(images.at(-1)!)] : [];
    after = [k(upperDir)];
  }
  const upper = after.at(-1)!;
  const missing = [...new Set([...before, ...after])].filter((key) => !has(key));
  return { driver, before, after, upper, missing };
}

/** The layer trees some container's drift needs (others are not kept: memory). */
export function wantedTreeKeys(ctx: Context): Set<string> {
  const keys = new Set<string>();
  const ids = new Set([...ctx.store.mounts.keys(), ...[...ctx.store.aufsParents.keys()].filter((id) => ctx.containers.has(id))]);
  for (const cid of ids) {
    const st = containerStack(ctx, cid, () => false);
    if (st && st !== 'incomplete') for (const k of [...st.before, ...st.after]) keys.add(k);
  }
  return keys;
}

/**
 * Container drift (`docker diff`), per container whose layers are in the evidence: the view of its
 * image and init layer against its own view, for overlay2 and aufs (diff layers, whiteouts), overlay
 * v1 (one full lower) and vfs (full copies). One event per change:
 *   A, C -> container.drift at the entry's ctime in the writable layer (`Metadata Modification Time`;
 *           mtime where no ctime is held);
 *   D    -> container.drift at the mtime of the parent directory in the writable layer (`Content
 *           Deletion Time`): whiteouts in one layer share one inode and its times, so the parent
 *           folder's mtime is the best date of a deletion (the last change of that folder).
 */
export function* driftEvents(ctx: Context, store: LayerTrees, warn: (w: Omit<Warning, 'artifact'>) => void): Iterable<TimelineEvent> {
  try {
    yield* containersDrift(ctx, store, warn);
  } finally {
    store.entries.cleanup();
  }
}

function* containersDrift(ctx: Context, store: LayerTrees, warn: (w: Omit<Warning, 'artifact'>) => void): Iterable<TimelineEvent> {
  const { entries, root } = store;
  const ids = new Set([...ctx.store.mounts.keys(), ...[...ctx.store.aufsParents.keys()].filter((id) => ctx.containers.has(id))]);
  for (const cid of [...ids].sort()) {
    const stack = containerStack(ctx, cid, (key) => entries.has(key));
    if (stack === null) continue;
    const label = ctx.label(cid);
    if (stack === 'incomplete') {
      warn({ kind: 'drift-incomplete', evidence: `${root}image`, offset: 0, message: `container ${label}: the layer chain of its image is not in layerdb; no drift computed` });
      continue;
    }
    if (!entries.has(stack.upper)) {
      warn({ kind: 'drift-incomplete', evidence: `${root}${stack.driver}`, offset: 0, message: `container ${label}: its writable layer (${stack.upper}) is not in the evidence; no drift computed` });
      continue;
    }
    if (!isDiffDriver(stack.driver) && stack.driver !== 'overlay' && stack.before.some((k) => !entries.has(k))) {
      // a full copy told against nothing would list every file of the container as added
      warn({ kind: 'drift-incomplete', evidence: `${root}${stack.driver}`, offset: 0, message: `container ${label}: the copy its changes are told against (${stack.before.join(', ')}) is not in the evidence; no drift computed${stack.driver === 'zfs' ? ' (a zfs dataset is a folder here only if it was mounted when copied)' : ''}` });
      continue;
    }
    if (stack.missing.length) warn({ kind: 'drift-incomplete', evidence: `${root}${stack.driver}`, offset: 0, message: `container ${label}: ${stack.missing.length} layer(s) missing from the evidence (${stack.missing[0]}${stack.missing.length > 1 ? ', ...' : ''}); changes against them cannot be told apart` });
    // each layer once, read as one stream sorted by path (held in memory or spilled, see drift-store.ts);
    // at most ~512 spill files open for the whole stack
    const keys = [...new Set([...stack.before, ...stack.after])];
    const cursors: LayerCursor[] = [];
    try {
      const layers = keys.map((id) => {
        const cursor = entries.open(id, store.opaque.get(id), Math.floor(512 / keys.length));
        cursors.push(cursor);
        return { id, cursor };
      });
      yield* containerDrift(ctx, cid, label, stack, root, streamDiff(layers, stack.before.map((k) => keys.indexOf(k)), stack.after.map((k) => keys.indexOf(k)), keys.indexOf(stack.upper)), warn);
    } finally {
      for (const c of cursors) c.close();
    }
  }
}

/** The events of one container's changes. */
function* containerDrift(ctx: Context, cid: string, label: string, stack: Stack, root: string, changes: Iterable<StreamChange>,
  warn: (w: Omit<Warning, 'artifact'>) => void): Iterable<TimelineEvent> {
  const created = ctx.containers.get(cid)?.created?.ns ?? null;
  for (const c of changes) {
    const { detail, timestomp } = describe(c, created);
    let timeNs: bigint | undefined;
    let desc: string;
    let dated: string;
    let evidenceNode: LayerNode | undefined;
    if (c.kind === 'D') {
      const parent = c.upperParent;
      const whiteout = c.upperEntry;
      timeNs = parent?.mtime;
      desc = 'Content Deletion Time';
      dated = whiteout?.whiteout
        ? 'dated by the mtime of its parent folder in the writable layer (a whiteout; whiteouts share one inode and its times)'
        : isDiffDriver(stack.driver) ? 'dated by the mtime of its parent folder in the writable layer (hidden by an opaque directory)'
          : 'dated by the mtime of its parent folder in the container\'s copy (absent from it)';
      evidenceNode = whiteout ?? parent;
    } else {
      const n = c.node.node;
      timeNs = n?.ctime ?? n?.mtime;
      desc = n?.ctime !== undefined ? 'Metadata Modification Time' : 'Content Modification Time';
      dated = n?.ctime !== undefined ? 'dated by its ctime in the writable layer' : 'dated by its mtime (no ctime in the evidence)';
      evidenceNode = n ?? undefined;
    }
    if (timeNs === undefined) {
      warn({ kind: 'no-time', evidence: evidenceNode?.evidence ?? `${root}${stack.driver}`, offset: 0, message: `container ${label}: ${c.kind} ${c.path} has no time in the evidence; no event made` });
      continue;
    }
    yield makeEvent(ctx, {
      timeNs, timestampDesc: desc, kind: 'container.drift',
      message: `Container ${label}: ${c.kind} ${c.path} (${detail}); ${dated}${timestomp ? `; TIMESTOMP? ${timestomp}` : ''}`,
      source: 'DOCKER', sourcetype: 'Docker Container Drift', dataType: 'docker:container:drift', parser: 'docker_timeline/drift',
      evidence: evidenceNode?.evidence ?? `${root}${stack.driver}`, offset: 0, containerId: cid, inode: evidenceNode?.inode,
      fields: {
        change: c.kind, path: c.path, change_detail: detail, layer: stack.upper, storage_driver: stack.driver,
        timestomp_suspected: timestomp !== null, timestomp_reason: timestomp,
        mtime: c.node.node?.mtime !== undefined && c.kind !== 'D' ? formatUtcNs(c.node.node.mtime) : null,
        lower_layer: c.old?.layer ?? (c.kind === 'D' ? c.node.layer : null),
      },
    });
  }
}
