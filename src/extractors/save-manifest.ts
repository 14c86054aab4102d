import type { Extractor } from './extractor.js';
import type { Context } from './context.js';
import { isObject, readBounded, str, tryParseJson } from './read-bounded.js';
import { bareDigest } from './image-paths.js';
import { chainIds } from './image-config.timemap.js';

export interface SavedImage {
  /** Config member (`<id>.json`, or `blobs/sha256/<id>` in Engine 25+ archives). */
  config: string;
  repoTags: string[];
  /** Layer members, base first (`<v1id>/layer.tar`, or `blobs/sha256/<digest>`). */
  layers: string[];
}

export interface SaveManifestRecord {
  images: SavedImage[];
}

/** `manifest.json` of a `docker save` archive: which config and which layer tars make each image. */
export const saveManifest: Extractor<SaveManifestRecord> = {
  name: 'save_manifest',
  artifact: 'docker save manifest',
  phase: 'context',
  needs: 'content',
  match(rel, entry) {
    return entry.type === 'file' && rel === 'manifest.json';
  },
  async extract(_ref, input, out) {
    if (!input) return;
    const raw = await readBounded(input);
    const parsed = raw ? tryParseJson(raw.toString('utf8')) : null;
    if (!parsed?.ok || !Array.isArray(parsed.value)) {
      out.warn({ kind: 'bad-json', offset: 0, message: 'manifest.json is not a JSON array' });
      return;
    }
    out.record({
      images: parsed.value.filter(isObject).map((m) => ({
        config: str(m.Config) ?? '', repoTags: Array.isArray(m.RepoTags) ? m.RepoTags.map(String) : [],
        layers: Array.isArray(m.Layers) ? m.Layers.map(String) : [],
      })),
    });
  },
  remember(r, ctx) {
    for (const img of r.images) ctx.saved.push(img);
  },
  settle: (ctx) => linkSavedImages(ctx),
  toEvents() {
    return [];
  },
};

/** The image id a saved config member stands for. */
function configId(member: string): string | null {
  const m = /^(?:([0-9a-f]{64})\.json|blobs\/sha256\/([0-9a-f]{64}))$/.exec(member);
  return m ? (m[1] ?? m[2])! : null;
}

/**
 * Tags from the manifest, and each layer member's chain id (from its image's diff_ids), so a layer
 * tar's files can name the images and build steps that made them. Called once the first pass is done.
 */
export function linkSavedImages(ctx: Context): void {
  for (const img of ctx.saved) {
    const id = configId(img.config);
    if (!id) continue;
    for (const t of img.repoTags) {
      ctx.store.addTag(id, t);
    }
    const config = ctx.images.get(id);
    if (!config) continue;
    const chains = chainIds(config.diffIds);
    img.layers.forEach((member, i) => {
      if (chains[i] && !ctx.savedLayerChains.has(member)) ctx.savedLayerChains.set(member, bareDigest(chains[i]!));
    });
  }
}
