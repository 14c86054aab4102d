import type { Extractor } from './extractor.js';
import type { Context } from './context.js';
import type { EvidenceEntry } from '../evidence/entry.js';
import type { TimelineEvent } from '../events/event.js';
import { layerNode, type LayerTree } from './drift.js';
import { fileTimeEvents } from './file-times.js';
import { layerUsers } from './layer-users.js';
import { driftEvents } from './drift.timemap.js';

export interface LayerFileRecord {
  /** The layer's directory name under `overlay2/` (cache id, mount id, or `<mount id>-init`). */
  layerDir: string;
  /** Path inside the container or image file system (`/etc/passwd`; `/` for the diff folder itself). */
  path: string;
  entry: EvidenceEntry;
}

const LAYER_PATH = /^overlay2\/([0-9a-z]+(?:-init)?)\/diff(?:\/(.+))?$/;

/** Who a layer directory belongs to: a container (read/write or init layer) or image layers. */
export function layerOwner(ctx: Context, dir: string): Owner {
  let cache = owners.get(ctx);
  if (!cache) owners.set(ctx, (cache = new Map()));
  let o = cache.get(dir);
  if (!o) cache.set(dir, (o = findOwner(ctx, dir)));
  return o;
}

interface Owner { containerId?: string; role: string; imageId?: string; users: string }
const owners = new WeakMap<Context, Map<string, Owner>>();

function findOwner(ctx: Context, dir: string): Owner {
  for (const m of ctx.store.mounts.values()) {
    if (m.mountId === dir) return { containerId: m.containerId, role: 'writable layer', users: '' };
    if (m.initId === dir) return { containerId: m.containerId, role: 'init layer', users: '' };
  }
  for (const l of ctx.store.layers.values()) {
    if (l.cacheId === dir) {
      const users = layerUsers(ctx).get(l.chainId) ?? [];
      return { role: 'image layer', imageId: users[0]?.imageId, users: [...new Set(users.map((u) => u.label))].join(', ') };
    }
  }
  return { role: 'layer of no known image or container', users: '' };
}

/**
 * `overlay2/<layer>/diff/**`: every entry of every layer directory, with its file-system times,
 * attributed to its container or image; kept (compactly) for the container drift computed at the end.
 */
export const layerFiles: Extractor<LayerFileRecord> = {
  name: 'layer_files',
  artifact: 'layer file',
  phase: 'content',
  needs: 'meta',
  match(rel) {
    return LAYER_PATH.test(rel);
  },
  async extract(ref, _input, out) {
    const m = LAYER_PATH.exec(ref.rel)!;
    out.record({ layerDir: m[1]!, path: `/${m[2] ?? ''}`, entry: ref.entry });
  },
  *toEvents(r, ctx) {
    const trees = layerTrees(ctx);
    let t = trees.get(r.layerDir);
    if (!t) trees.set(r.layerDir, (t = new Map()));
    t.set(r.path, layerNode(r.entry));
    if (!roots.has(ctx)) roots.set(ctx, r.entry.path.slice(0, r.entry.path.length - `overlay2/${r.layerDir}/diff${r.path === '/' ? '' : r.path}`.length));
    const owner = layerOwner(ctx, r.layerDir);
    const whose = owner.containerId ? `${ctx.label(owner.containerId)} ${owner.role}` : `${owner.role}${owner.users ? ` of ${owner.users}` : ''}`;
    yield* fileTimeEvents(r.entry, ctx, {
      label: `[${r.path} in ${whose} ${r.layerDir.slice(0, 12)}]`, parser: 'docker_timeline/layer_files',
      containerId: owner.containerId, imageId: owner.imageId,
      fields: { path: r.path, layer: r.layerDir, layer_role: owner.role, images: owner.users || undefined },
    });
  },
  finish: (ctx, warn) => driftEvents(ctx, layerTrees(ctx), warn, roots.get(ctx) ?? ''),
};

const trees = new WeakMap<Context, Map<string, LayerTree>>();
/** Evidence path of the data root the layers were seen in (`docker/`), for warnings. */
const roots = new WeakMap<Context, string>();

/** The layer trees seen so far in this evidence (layer directory → tree). */
export function layerTrees(ctx: Context): Map<string, LayerTree> {
  let t = trees.get(ctx);
  if (!t) trees.set(ctx, (t = new Map()));
  return t;
}

export type { TimelineEvent };
