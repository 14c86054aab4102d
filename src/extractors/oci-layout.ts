import type { Extractor } from './extractor.js';
import type { ImageConfigRecord } from './image-config.js';
import { parseImageConfig } from './image-config.js';
import { imageConfigEvents } from './image-config.timemap.js';
import { isObject, readBounded, str, tryParseJson } from './read-bounded.js';
import { bareDigest } from './image-paths.js';

/** What an OCI blob that is JSON turned out to be. */
export type OciBlobRecord =
  | { kind: 'config'; config: ImageConfigRecord }
  | { kind: 'manifest'; digest: string; config: string; layers: { digest: string; mediaType: string }[] }
  | { kind: 'index'; refs: { digest: string; name: string | null }[] };

const SMALL = 4 * 1024 * 1024;

function indexRefs(v: Record<string, unknown>): { digest: string; name: string | null }[] {
  return (Array.isArray(v.manifests) ? v.manifests.filter(isObject) : []).map((m) => ({
    digest: bareDigest(str(m.digest) ?? ''),
    name: isObject(m.annotations) ? str(m.annotations['io.containerd.image.name']) ?? str(m.annotations['org.opencontainers.image.ref.name']) ?? null : null,
  }));
}

/**
 * An OCI image layout (`oci-layout`, `index.json`, `blobs/sha256/`): small JSON blobs are read in the
 * first pass and sorted out by shape (index, manifest, image config); each manifest becomes an image of
 * the archive, like a `docker save` manifest.json entry, so its layer blobs are read the same way.
 */
export const ociBlob: Extractor<OciBlobRecord> = {
  name: 'oci_blob',
  artifact: 'OCI blob',
  phase: 'context',
  needs: 'content',
  match(rel, entry) {
    return entry.type === 'file' && entry.size <= BigInt(SMALL) && (rel === 'index.json' || /^blobs\/sha256\/[0-9a-f]{64}$/.test(rel));
  },
  async extract(ref, input, out) {
    if (!input) return;
    const raw = await readBounded(input, SMALL);
    if (!raw || raw[0] !== 0x7b) return; // not JSON: a layer (read in the second pass)
    const parsed = tryParseJson(raw.toString('utf8'));
    if (!parsed.ok || !isObject(parsed.value)) return;
    const v = parsed.value;
    const digest = ref.rel === 'index.json' ? '' : ref.rel.slice('blobs/sha256/'.length);
    if (Array.isArray(v.manifests)) out.record({ kind: 'index', refs: indexRefs(v) });
    else if (Array.isArray(v.layers) && isObject(v.config)) {
      out.record({
        kind: 'manifest', digest, config: bareDigest(str(v.config.digest) ?? ''),
        layers: v.layers.filter(isObject).map((l) => ({ digest: bareDigest(str(l.digest) ?? ''), mediaType: str(l.mediaType) ?? '' })),
      });
    } else if (isObject(v.rootfs) && digest) {
      const config = parseImageConfig(raw, digest, 'oci', ref.entry, out.warn);
      if (config) out.record({ kind: 'config', config });
    }
  },
  remember(r, ctx) {
    if (r.kind === 'config' && !ctx.images.has(r.config.id)) ctx.images.set(r.config.id, r.config);
    if (r.kind === 'index') for (const x of r.refs) ctx.ociRefs.set(x.digest, [...(ctx.ociRefs.get(x.digest) ?? []), ...(x.name ? [x.name] : [])]);
    if (r.kind === 'manifest') ctx.ociManifests.push(r);
  },
  settle(ctx) {
    for (const m of ctx.ociManifests) {
      const config = `blobs/sha256/${m.config}`;
      if (ctx.saved.some((s) => s.config === config)) continue; // docker save 25+ lists it in manifest.json too
      ctx.saved.push({ config, repoTags: ctx.ociRefs.get(m.digest) ?? [], layers: m.layers.map((l) => `blobs/sha256/${l.digest}`) });
    }
  },
  toEvents(r, ctx) {
    return r.kind === 'config' ? imageConfigEvents(r.config, ctx) : [];
  },
};
