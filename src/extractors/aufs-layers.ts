import type { Extractor } from './extractor.js';
import { readBounded } from './read-bounded.js';

export interface AufsLayersRecord {
  id: string;
  /** Ancestors, the immediate parent first, down to the base. */
  parents: string[];
}

/** `aufs/layers/<id>`: a layer's ancestors (pre-1.10 data roots have no layerdb: this is the chain). */
export const aufsLayers: Extractor<AufsLayersRecord> = {
  name: 'aufs_layers',
  artifact: 'aufs layer chain',
  phase: 'context',
  needs: 'content',
  match(rel, entry) {
    return entry.type === 'file' && /^aufs\/layers\/[0-9a-z]+(?:-init)?$/.test(rel);
  },
  async extract(ref, input, out) {
    if (!input) return;
    const raw = await readBounded(input, 1 << 20);
    if (!raw) {
      out.warn({ kind: 'too-large', offset: 0, message: 'aufs layer chain larger than 1 MiB; not read' });
      return;
    }
    out.record({ id: ref.rel.slice('aufs/layers/'.length), parents: raw.toString('utf8').split('\n').map((l) => l.trim()).filter(Boolean) });
  },
  remember(r, ctx) {
    ctx.store.aufsParents.set(r.id, r.parents);
  },
  toEvents() {
    return [];
  },
};
