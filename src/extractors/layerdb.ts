import type { Extractor } from './extractor.js';
import { bareDigest, layerdbPath } from './image-paths.js';
import { readBounded } from './read-bounded.js';

export interface LayerdbRecord {
  driver: string;
  kind: 'layer' | 'mount';
  id: string;
  file: string;
  text: string;
}

const LAYER_FILES = new Set(['diff', 'size', 'cache-id', 'parent']);
const MOUNT_FILES = new Set(['mount-id', 'init-id', 'parent']);

/** `layerdb/sha256/<chain>/{diff,size,cache-id,parent}` and `layerdb/mounts/<container>/{mount-id,init-id,parent}`. */
export const layerdb: Extractor<LayerdbRecord> = {
  name: 'layerdb',
  artifact: 'layer database',
  phase: 'context',
  needs: 'content',
  match(rel, entry) {
    const p = layerdbPath(rel);
    return entry.type === 'file' && p !== null && (p.kind === 'layer' ? LAYER_FILES : MOUNT_FILES).has(p.file);
  },
  async extract(ref, input, out) {
    if (!input) return;
    const p = layerdbPath(ref.rel)!;
    const raw = await readBounded(input, 1 << 16);
    if (!raw) {
      out.warn({ kind: 'too-large', offset: 0, message: `${p.file} is larger than 64 KiB; not read` });
      return;
    }
    out.record({ driver: p.driver, kind: p.kind, id: p.id, file: p.file, text: raw.toString('utf8').trim() });
  },
  remember(r, ctx) {
    if (r.kind === 'layer') {
      const l = ctx.store.layer(r.id, r.driver);
      if (r.file === 'diff') l.diffId = `sha256:${bareDigest(r.text)}`;
      if (r.file === 'cache-id') l.cacheId = r.text;
      if (r.file === 'parent') l.parent = `sha256:${bareDigest(r.text)}`;
      if (r.file === 'size') l.size = r.text;
    } else {
      const m = ctx.store.mount(r.id);
      m.driver = r.driver;
      if (r.file === 'mount-id') m.mountId = r.text;
      if (r.file === 'init-id') m.initId = r.text;
      if (r.file === 'parent') m.parent = `sha256:${bareDigest(r.text)}`;
    }
  },
  toEvents() {
    return [];
  },
};
