import type { Extractor } from './extractor.js';
import type { Context } from './context.js';
import type { EvidenceEntry } from '../evidence/entry.js';
import { layerNode } from './drift.js';
import { LayerEntryStore } from './drift-store.js';
import { spillDir } from '../spill/temp-dir.js';
import { fileTimeEvents } from './file-times.js';
import { layerUsersOf } from './layer-users.js';
import { driftEvents, wantedTreeKeys } from './drift.timemap.js';
import { aufsName, layerPath, treeKey, type LayerDriver, type LayerPath } from './layer-layout.js';

export interface LayerFileRecord extends LayerPath {
  entry: EvidenceEntry;
}

export interface Owner { containerId?: string; role: string; imageId?: string; users: string }
const owners = new WeakMap<Context, Map<string, Owner>>();

/** Who a layer folder belongs to: a container (writable or init layer) or image layers. */
export function layerOwner(ctx: Context, dir: string): Owner {
  let cache = owners.get(ctx);
  if (!cache) owners.set(ctx, (cache = new Map()));
  let o = cache.get(dir);
  if (!o) cache.set(dir, (o = findOwner(ctx, dir)));
  return o;
}

function findOwner(ctx: Context, dir: string): Owner {
  for (const m of ctx.store.mounts.values()) {
    if (m.mountId === dir) return { containerId: m.containerId, role: 'writable layer', users: '' };
    if (m.initId === dir) return { containerId: m.containerId, role: 'init layer', users: '' };
  }
  // pre-1.10: the container id is the layer id
  if (ctx.containers.has(dir)) return { containerId: dir, role: 'writable layer', users: '' };
  if (dir.endsWith('-init') && ctx.containers.has(dir.slice(0, -5))) return { containerId: dir.slice(0, -5), role: 'init layer', users: '' };
  for (const l of ctx.store.layers.values()) {
    if (l.cacheId === dir) {
      const users = layerUsersOf(ctx, l.chainId, l.driver || undefined);
      return { role: 'image layer', imageId: users[0]?.imageId, users: [...new Set(users.map((u) => u.label))].join(', ') };
    }
  }
  return { role: 'layer of no known image or container', users: '' };
}

export interface LayerTrees {
  /** What drift needs of each entry of those layers, in bounded memory (spilled to `--tmp-dir`). */
  entries: LayerEntryStore;
  /** Keys of the trees that some container's drift needs; null until the context is complete. */
  wanted: Set<string> | null;
  /** aufs `.wh..wh..opq` markers: tree key → folders made opaque. */
  opaque: Map<string, Set<string>>;
  /** Evidence path of the data root the layers were seen in (`docker/`), for warnings. */
  root: string;
}

const stores = new WeakMap<Context, LayerTrees>();

export function layerTrees(ctx: Context): LayerTrees {
  let s = stores.get(ctx);
  if (!s) stores.set(ctx, (s = { entries: new LayerEntryStore({ tmpDir: spillDir(ctx) }), wanted: null, opaque: new Map(), root: '' }));
  return s;
}

/** Keep what drift needs of an entry, in the driver-neutral form (aufs whiteout names become whiteout nodes). */
function remember(store: LayerTrees, driver: LayerDriver, key: string, r: LayerFileRecord): void {
  store.entries.touch(key);
  if (driver === 'aufs') {
    const a = aufsName(r.path);
    if (a?.kind === 'meta') return;
    if (a?.kind === 'opaque') {
      let s = store.opaque.get(key);
      if (!s) store.opaque.set(key, (s = new Set()));
      s.add(a.dir);
      return;
    }
    if (a?.kind === 'whiteout') {
      store.entries.add(key, a.target, { ...layerNode(r.entry), whiteout: true });
      return;
    }
  }
  store.entries.add(key, r.path, layerNode(r.entry));
}

/**
 * Every entry of every layer folder (`overlay2/<id>/diff`, `overlay/<id>/{root,upper}`, `vfs/dir/<id>`,
 * `aufs/diff/<id>`), with its file-system times, attributed to its container or image; kept
 * (compactly) for the container drift computed at the end.
 */
export const layerFiles: Extractor<LayerFileRecord> = {
  name: 'layer_files',
  artifact: 'layer file',
  phase: 'content',
  needs: 'meta',
  match(rel) {
    return layerPath(rel) !== null;
  },
  async extract(ref, _input, out) {
    out.record({ ...layerPath(ref.rel)!, entry: ref.entry });
  },
  *toEvents(r, ctx) {
    const store = layerTrees(ctx);
    const key = treeKey(r.driver, r.layerDir, r.part);
    store.wanted ??= wantedTreeKeys(ctx);
    if (store.wanted.has(key)) remember(store, r.driver, key, r);
    if (!store.root) {
      const inLayer = r.path === '/' ? '' : r.path;
      const folder = { overlay2: `overlay2/${r.layerDir}/diff`, overlay: `overlay/${r.layerDir}/${r.part}`, vfs: `vfs/dir/${r.layerDir}`,
        aufs: `aufs/diff/${r.layerDir}`, btrfs: `btrfs/subvolumes/${r.layerDir}`, zfs: `zfs/graph/${r.layerDir}` }[r.driver];
      const rel = `${folder}${inLayer}`;
      store.root = r.entry.path.slice(0, r.entry.path.length - rel.length);
    }
    // overlay v1 image layers are full trees that hard-link their parent's files: in an archive such
    // a link repeats a file already listed. Elsewhere a hard link is listed (its target may be missing).
    if (r.entry.type === 'hardlink' && r.driver === 'overlay' && r.part === 'root') return;
    const owner = layerOwner(ctx, r.layerDir);
    const whose = owner.containerId ? `${ctx.label(owner.containerId)} ${owner.role}` : `${owner.role}${owner.users ? ` of ${owner.users}` : ''}`;
    const aufs = r.driver === 'aufs' ? aufsName(r.path) : null;
    yield* fileTimeEvents(r.entry, ctx, {
      label: `[${r.path} in ${whose} ${r.layerDir.slice(0, 12)} (${r.driver})${aufs ? `; aufs ${aufs.kind === 'meta' ? 'metadata' : aufs.kind}` : ''}]`,
      parser: 'docker_timeline/layer_files',
      containerId: owner.containerId, imageId: owner.imageId,
      fields: { path: r.path, layer: r.layerDir, layer_role: owner.role, storage_driver: r.driver, images: owner.users || undefined },
    });
  },
  finish: (ctx, warn) => driftEvents(ctx, layerTrees(ctx), warn),
};
