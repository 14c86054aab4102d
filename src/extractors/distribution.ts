import type { Extractor } from './extractor.js';
import type { EvidenceEntry } from '../evidence/entry.js';
import { imageStorePath, bareDigest } from './image-paths.js';
import { isObject, readBounded, str, tryParseJson } from './read-bounded.js';
import { makeEvent } from '../events/build.js';
import { layerUsersOf } from './layer-users.js';
import { formatUtcNs } from '../time/nanotime.js';

export interface DistributionRecord {
  /** Layer diff id (hex). */
  diffId: string;
  /** `image/<driver>/distribution`. */
  driver?: string;
  /** Where the layer was pulled from or pushed to: blob digest and repository. */
  sources: { digest: string; repository: string }[];
  entry: EvidenceEntry;
}

const V2META = /^distribution\/v2metadata-by-diffid\/sha256\/([0-9a-f]{64})$/;

/**
 * `image/<driver>/distribution/v2metadata-by-diffid/sha256/<diffid>`: where each layer was pulled from
 * (or pushed to). These files are written during a pull or push, so their mtime dates it.
 */
export const distribution: Extractor<DistributionRecord> = {
  name: 'distribution',
  artifact: 'distribution metadata',
  phase: 'content',
  needs: 'content',
  match(rel, entry) {
    const p = imageStorePath(rel);
    return entry.type === 'file' && p !== null && V2META.test(p.rest);
  },
  async extract(ref, input, out) {
    if (!input) return;
    const p = imageStorePath(ref.rel)!;
    const diffId = V2META.exec(p.rest)![1]!;
    const raw = await readBounded(input, 1 << 20);
    const parsed = raw ? tryParseJson(raw.toString('utf8')) : null;
    if (!parsed?.ok || !Array.isArray(parsed.value)) {
      out.warn({ kind: 'bad-json', offset: 0, message: 'v2metadata is not a JSON array' });
      return;
    }
    out.record({
      diffId, driver: p.driver, entry: ref.entry,
      sources: parsed.value.filter(isObject).map((m) => ({ digest: str(m.Digest) ?? '', repository: str(m.SourceRepository) ?? '' })),
    });
  },
  /** Time map: the file's mtime → layer.pulled `File Downloaded Time` (a pull, or a push, of the layer). */
  *toEvents(r, ctx) {
    const t = r.entry.mtime;
    if (t === undefined) return;
    // the layer of this driver's layerdb with that diff id (after a driver switch each driver has one)
    let chain: string | undefined;
    for (const l of ctx.store.layers.values()) if (l.diffId && bareDigest(l.diffId) === r.diffId && (r.driver === undefined || l.driver === r.driver)) chain = l.chainId;
    const users = chain ? layerUsersOf(ctx, chain, r.driver) : [];
    const repos = [...new Set(r.sources.map((s) => s.repository))];
    yield makeEvent(ctx, {
      timeNs: t, timestampDesc: 'File Downloaded Time', kind: 'layer.pulled',
      message: `Layer sha256:${r.diffId.slice(0, 12)} pulled from (or pushed to) ${repos.join(', ') || 'an unrecorded repository'}${users.length ? ` [in ${[...new Set(users.map((u) => u.label))].join(', ')}]` : ''}; dated by the mtime of its distribution metadata (${formatUtcNs(t)})`,
      source: 'DOCKER', sourcetype: 'Docker Distribution', dataType: 'docker:layer:distribution', parser: 'docker_timeline/distribution',
      evidence: r.entry.path, offset: 0, imageId: users[0]?.imageId, inode: r.entry.inode,
      fields: {
        diff_id: `sha256:${r.diffId}`, source_repositories: repos.join(', ') || null, blob_digests: r.sources.map((s) => s.digest).join(', ') || null,
        layer: chain ? ctx.store.findLayer(chain, r.driver)?.cacheId ?? null : null, images: users.length ? [...new Set(users.map((u) => u.label))].join(', ') : null,
      },
    });
  },
};
