import type { Extractor } from './extractor.js';
import { bareDigest, imageStorePath } from './image-paths.js';
import { isObject, readBounded, tryParseJson } from './read-bounded.js';

export interface RepositoriesRecord {
  /** [reference, image id (hex)] */
  refs: [string, string][];
}

/** `image/<driver>/repositories.json`: tags and digests of every image (no times of its own). */
export const repositories: Extractor<RepositoriesRecord> = {
  name: 'repositories',
  artifact: 'image repositories',
  phase: 'context',
  needs: 'content',
  match(rel, entry) {
    return entry.type === 'file' && imageStorePath(rel)?.rest === 'repositories.json';
  },
  async extract(_ref, input, out) {
    if (!input) return;
    const raw = await readBounded(input);
    const parsed = raw ? tryParseJson(raw.toString('utf8')) : null;
    if (!parsed || !parsed.ok || !isObject(parsed.value)) {
      out.warn({ kind: 'bad-json', offset: 0, message: raw ? 'repositories.json is not a JSON object' : 'repositories.json larger than the read limit' });
      return;
    }
    const repos = isObject(parsed.value.Repositories) ? parsed.value.Repositories : {};
    const refs: [string, string][] = [];
    for (const tags of Object.values(repos)) {
      if (!isObject(tags)) continue;
      for (const [ref, id] of Object.entries(tags)) if (typeof id === 'string') refs.push([ref, bareDigest(id)]);
    }
    out.record({ refs });
  },
  remember(r, ctx) {
    for (const [ref, id] of r.refs) {
      ctx.store.addTag(id, ref);
    }
  },
  toEvents() {
    return [];
  },
};
