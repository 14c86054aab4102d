import type { Context } from './context.js';
import type { TimelineEvent } from '../events/event.js';
import type { Warning } from '../warnings.js';
import { makeEvent } from '../events/build.js';
import { bareDigest } from './image-paths.js';
import { diffTrees, mergeLayers, type Change, type LayerTree, type LayerNode } from './drift.js';
import { formatUtcNs } from '../time/nanotime.js';
import { modeString } from './container-files.timemap.js';

const modeOf = (n: LayerNode): string => modeString(n.entry);
const parentOf = (p: string): string => p.slice(0, p.lastIndexOf('/')) || '/';

/** The image layers of a container, lowest first, from its layerdb mount's parent chain. */
function containerLayers(ctx: Context, parent: string | null): string[] | null {
  const ids: string[] = [];
  for (let c = parent ? bareDigest(parent) : null, n = 0; c && n < 1000; n++) {
    const l = ctx.store.layers.get(c);
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

/**
 * Container drift (`docker diff`), per container with an overlay2 layer: the union of its image
 * layers and init layer against the same plus its writable layer. One event per change:
 *   A, C -> container.drift at the entry's ctime in the writable layer (`Metadata Modification Time`;
 *           mtime where no ctime is held);
 *   D    -> container.drift at the mtime of the parent directory in the writable layer (`Content
 *           Deletion Time`): whiteouts in one layer share one inode and its times, so the parent
 *           folder's mtime is the best date of a deletion (the last change of that folder).
 */
export function* driftEvents(ctx: Context, trees: Map<string, LayerTree>, warn: (w: Omit<Warning, 'artifact'>) => void, root: string): Iterable<TimelineEvent> {
  for (const m of [...ctx.store.mounts.values()].sort((a, b) => (a.containerId < b.containerId ? -1 : 1))) {
    if (m.driver !== 'overlay2' || !m.mountId) continue;
    const upper = trees.get(m.mountId);
    const images = containerLayers(ctx, m.parent);
    const label = ctx.label(m.containerId);
    if (!upper || !images) {
      warn({ kind: 'drift-incomplete', evidence: `${root}overlay2/${m.mountId}`, offset: 0, message: `container ${label}: ${!upper ? 'its writable layer' : 'a layer of its image chain'} is not in the evidence; no drift computed` });
      continue;
    }
    const missing = images.filter((id) => !trees.has(id));
    if (missing.length) warn({ kind: 'drift-incomplete', evidence: `${root}overlay2/${missing[0]}`, offset: 0, message: `container ${label}: ${missing.length} image layer(s) missing from the evidence; changes against them cannot be told apart` });
    const lowers = [...images, ...(m.initId ? [m.initId] : [])].map((id) => ({ id, tree: trees.get(id) ?? new Map() }));
    const oldView = mergeLayers(lowers);
    const newView = mergeLayers([...lowers, { id: m.mountId, tree: upper }]);
    const created = ctx.containers.get(m.containerId)?.created?.ns ?? null;
    for (const c of diffTrees(newView, oldView)) {
      const { detail, timestomp } = describe(c, created);
      let timeNs: bigint | undefined;
      let desc: string;
      let dated: string;
      let evidenceNode: LayerNode | undefined;
      if (c.kind === 'D') {
        const parent = upper.get(parentOf(c.path));
        const whiteout = upper.get(c.path);
        timeNs = parent?.mtime;
        desc = 'Content Deletion Time';
        dated = `dated by the mtime of its parent folder in the writable layer (${whiteout?.whiteout ? 'a whiteout; whiteouts share one inode and its times' : 'hidden by an opaque directory'})`;
        evidenceNode = whiteout ?? parent;
      } else {
        const n = c.node.node;
        timeNs = n?.ctime ?? n?.mtime;
        desc = n?.ctime !== undefined ? 'Metadata Modification Time' : 'Content Modification Time';
        dated = n?.ctime !== undefined ? 'dated by its ctime in the writable layer' : 'dated by its mtime (no ctime in the evidence)';
        evidenceNode = n ?? undefined;
      }
      if (timeNs === undefined) {
        warn({ kind: 'no-time', evidence: evidenceNode?.entry.path ?? `${root}overlay2/${m.mountId}/diff`, offset: 0, message: `container ${label}: ${c.kind} ${c.path} has no time in the evidence; no event made` });
        continue;
      }
      yield makeEvent(ctx, {
        timeNs, timestampDesc: desc, kind: 'container.drift',
        message: `Container ${label}: ${c.kind} ${c.path} (${detail}); ${dated}${timestomp ? `; TIMESTOMP? ${timestomp}` : ''}`,
        source: 'DOCKER', sourcetype: 'Docker Container Drift', dataType: 'docker:container:drift', parser: 'docker_timeline/drift',
        evidence: evidenceNode?.entry.path ?? `${root}overlay2/${m.mountId}/diff`, offset: 0, containerId: m.containerId, inode: evidenceNode?.entry.inode,
        fields: {
          change: c.kind, path: c.path, change_detail: detail, layer: m.mountId, timestomp_suspected: timestomp !== null, timestomp_reason: timestomp,
          mtime: c.node.node?.mtime !== undefined && c.kind !== 'D' ? formatUtcNs(c.node.node.mtime) : null,
          lower_layer: c.old?.layer ?? (c.kind === 'D' ? c.node.layer : null),
        },
      });
    }
  }
}
