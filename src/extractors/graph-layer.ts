import type { Extractor } from './extractor.js';
import { isObject, readBounded, str, tryParseJson } from './read-bounded.js';
import { parseRfc3339, type ParsedTime } from '../time/nanotime.js';
import { argv, makeEvent } from '../events/build.js';

export interface GraphLayerRecord {
  id: string;
  parent: string | null;
  created: ParsedTime | null;
  rawCreated: string | null;
  /** The build step: `container_config.Cmd`. */
  command: string;
  dockerVersion: string | null;
  author: string | null;
  comment: string | null;
  container: string | null;
  evidence: string;
  inode: string | null;
}

/** `graph/<id>/json` of a pre-1.10 data root: each layer is an image with a parent, a creation time and the command that made it. */
export const graphLayer: Extractor<GraphLayerRecord> = {
  name: 'graph_layer',
  artifact: 'graph layer config (pre-1.10)',
  phase: 'context',
  needs: 'content',
  match(rel, entry) {
    return entry.type === 'file' && /^graph\/[0-9a-f]{64}\/json$/.test(rel);
  },
  async extract(ref, input, out) {
    if (!input) return;
    const raw = await readBounded(input);
    const parsed = raw ? tryParseJson(raw.toString('utf8')) : null;
    if (!parsed?.ok || !isObject(parsed.value)) {
      out.warn({ kind: 'bad-json', offset: 0, message: raw ? 'graph layer json is not a JSON object' : 'graph layer json larger than the read limit' });
      return;
    }
    const j = parsed.value;
    const cc = isObject(j.container_config) ? j.container_config : {};
    const cmd = Array.isArray(cc.Cmd) ? cc.Cmd.map(String) : [];
    const id = ref.rel.split('/')[1]!;
    out.record({
      id, parent: str(j.parent) ?? null, created: parseRfc3339(j.created), rawCreated: str(j.created) ?? null,
      command: argv(cmd).replace(/^\/bin\/sh -c #\(nop\) /, '#(nop) '), dockerVersion: str(j.docker_version) ?? null,
      author: str(j.author) || null, comment: str(j.comment) || null, container: str(j.container) || null, evidence: ref.entry.path, inode: ref.entry.inode,
    });
  },
  remember(r, ctx) {
    ctx.store.metaOf(r.id).parent = r.parent;
  },
  /** Time map: `created` → image.created `Creation Time` (plaso docker:layer:configuration). */
  *toEvents(r, ctx) {
    if (!r.created) return;
    const tags = ctx.store.tagsOf(r.id);
    yield makeEvent(ctx, {
      timeNs: r.created.ns, timestampDesc: 'Creation Time', kind: 'image.created',
      message: `Layer identifier: ${r.id}, Command: ${r.command || '(none)'}${tags.length ? ` [${tags.join(', ')}]` : ''} (pre-1.10 graph layer, created as its builder claims)`,
      source: 'DOCKER', sourcetype: 'Docker Layer', dataType: 'docker:layer:configuration', parser: 'docker_timeline/graph_layer',
      evidence: r.evidence, offset: 0, imageId: r.id, inode: r.inode,
      fields: {
        time_raw: r.rawCreated, created_by: r.command || null, parent_image: r.parent, docker_version: r.dockerVersion, image_author: r.author,
        comment: r.comment, build_container: r.container, image_tags: tags.join(', ') || null, storage_layout: 'graph (pre-1.10)',
      },
    });
  },
};

export interface LegacyRepositoriesRecord {
  refs: [string, string][];
}

/** `repositories-<driver>` of a pre-1.10 data root: tags of graph layers. */
export const legacyRepositories: Extractor<LegacyRepositoriesRecord> = {
  name: 'legacy_repositories',
  artifact: 'repositories (pre-1.10)',
  phase: 'context',
  needs: 'content',
  match(rel, entry) {
    return entry.type === 'file' && /^repositories-[0-9a-z-]+$/.test(rel);
  },
  async extract(_ref, input, out) {
    if (!input) return;
    const raw = await readBounded(input);
    const parsed = raw ? tryParseJson(raw.toString('utf8')) : null;
    if (!parsed?.ok || !isObject(parsed.value) || !isObject(parsed.value.Repositories)) {
      out.warn({ kind: 'bad-json', offset: 0, message: 'repositories file is not the expected JSON' });
      return;
    }
    const refs: [string, string][] = [];
    for (const [repo, tags] of Object.entries(parsed.value.Repositories)) {
      if (!isObject(tags)) continue;
      for (const [tag, id] of Object.entries(tags)) if (typeof id === 'string') refs.push([`${repo}:${tag}`, id]);
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
