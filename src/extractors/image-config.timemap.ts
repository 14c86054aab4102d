import { createHash } from 'node:crypto';
import type { ImageConfigRecord } from './image-config.js';
import type { Context } from './context.js';
import type { FieldValue, TimelineEvent } from '../events/event.js';
import { makeEvent } from '../events/build.js';
import { bareDigest } from './image-paths.js';

/** chainID[0] = diffID[0]; chainID[i] = sha256(chainID[i-1] + " " + diffID[i]) (with `sha256:` prefixes). */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) {
    const diff = `sha256:${bareDigest(d)}`;
    const prev = out.at(-1);
    out.push(prev === undefined ? diff : `sha256:${createHash('sha256').update(`${prev} ${diff}`).digest('hex')}`);
  }
  return out;
}

/** `webapp:1.0, webapp:latest`, or `<untagged>` (a dangling or intermediate image). */
export function imageLabel(ctx: Context, id: string): string {
  const tags = ctx.store.tagsOf(id).filter((t) => !t.includes('@'));
  return tags.length ? tags.join(', ') : `<untagged ${id.slice(0, 12)}>`;
}

/**
 * Time map of an image config (`imagedb/content/sha256/<id>`):
 *   created      -> image.created `Creation Time`: the build or commit time the builder claims (not this host's clock)
 *   history[i]   -> image.history `Creation Time`: each build step, with its command, and the layer it made
 */
export function* imageConfigEvents(r: ImageConfigRecord, ctx: Context): Iterable<TimelineEvent> {
  const imageId = `sha256:${r.id}`;
  const label = imageLabel(ctx, r.id);
  const tags = ctx.store.tagsOf(r.id);
  const meta = ctx.store.meta.get(r.id);
  const chains = chainIds(r.diffIds);
  const base = {
    source: 'DOCKER', sourcetype: 'Docker Image', dataType: 'docker:image:configuration', parser: 'docker_timeline/image_config',
    evidence: r.evidence, imageId, inode: r.inode,
  };
  const common: Record<string, FieldValue> = {
    image_tags: tags.length ? tags.join(', ') : null, dangling: tags.length === 0, storage_driver: r.driver,
    architecture: r.architecture, os: r.os, docker_version: r.dockerVersion, image_author: r.author,
    parent_image: meta?.parent ?? null, built_locally: meta?.builtLocally ?? null, build_container: r.container,
    layers: r.diffIds.length, digest_matches_id: r.digestMatches,
  };
  for (const [k, v] of Object.entries(r.config)) common[`config_${k}`] = v;

  if (r.created) {
    const cmd = r.config.entrypoint || r.config.cmd ? ` ${r.config.entrypoint ?? ''}${r.config.entrypoint && r.config.cmd ? ' ' : ''}${r.config.cmd ?? ''}` : '';
    yield makeEvent(ctx, {
      ...base, timeNs: r.created.ns, timestampDesc: 'Creation Time', kind: 'image.created', offset: r.createdOffset,
      message: `Image ${label} (${imageId}) created, as its builder claims${r.dockerVersion ? ` (docker ${r.dockerVersion})` : ''}; ${r.history.length} history steps, ${r.diffIds.length} layers;${cmd ? ` runs${cmd}` : ''}${r.digestMatches ? '' : '; CONFIG DIGEST DOES NOT MATCH ITS ID'}`,
      fields: { ...common, time_raw: r.rawCreated, comment: r.comment },
    });
  }
  for (const h of r.history) {
    if (!h.created) continue;
    const chain = h.layerIndex !== null ? chains[h.layerIndex] : undefined;
    // the layer in this image's own store (after a driver switch each driver has its own copy)
    const layer = chain ? ctx.store.findLayer(bareDigest(chain), r.driver) : undefined;
    const what = h.createdBy || (h.comment ? `(no command: ${h.comment})` : '(no command recorded)');
    const layerText = h.emptyLayer ? 'empty layer' : layer?.cacheId ? `layer ${layer.cacheId.slice(0, 12)}` : h.layerIndex !== null ? `layer ${h.layerIndex + 1}` : 'layer not in rootfs';
    yield makeEvent(ctx, {
      ...base, timeNs: h.created.ns, timestampDesc: 'Creation Time', kind: 'image.history', offset: h.offset,
      message: `Image ${label} build step ${h.step}/${r.history.length}: ${what} [${layerText}]`,
      fields: {
        ...common, time_raw: h.rawCreated, step: h.step, created_by: h.createdBy || null, comment: h.comment || null, author: h.author || null,
        empty_layer: h.emptyLayer, diff_id: h.layerIndex !== null ? r.diffIds[h.layerIndex] ?? null : null,
        chain_id: chain ?? null, layer: layer?.cacheId ?? null,
      },
    });
  }
}
