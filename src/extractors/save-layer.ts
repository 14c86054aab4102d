import type { Extractor } from './extractor.js';
import type { LayerFileRecord } from './tar-split.js';
import { maybeGunzip } from './gzip-input.js';
import { maybeUnzstd } from './zstd-input.js';
import { tarMembers } from './tar-members.js';
import { tarSplitEvents } from './tar-split.timemap.js';

/**
 * The layer tars of a `docker save` archive or OCI layout (plain, gzip or zstd) (`<v1id>/layer.tar`; `blobs/sha256/<digest>` in Engine 25+
 * archives), read in place, nested in the outer archive: every member header as a layer file event,
 * attributed through manifest.json to the images and build steps that made the layer.
 */
export const saveLayer: Extractor<LayerFileRecord> = {
  name: 'save_layer',
  artifact: 'docker save layer tar',
  phase: 'content',
  needs: 'content',
  match(rel, entry, ctx) {
    return entry.type === 'file' && ctx.saved.length > 0 && ctx.saved.some((img) => img.layers.includes(rel));
  },
  async extract(ref, input, out) {
    if (!input) return;
    const chunks = maybeUnzstd(maybeGunzip(input, () => undefined, (err, at) => out.warn({ kind: 'bad-gzip', offset: at, message: `layer gzip broken: ${err.message}` })),
      (err) => out.warn({ kind: 'bad-zstd', offset: 0, message: `layer zstd stream broken: ${err.message}; members before it are listed` }));
    try {
      // a member time that is not one is left out, and said (the offset is the member's number in the layer tar)
      const badTime = (n: number, message: string): void => out.warn({ kind: 'bad-time', offset: n, message: `layer tar member #${n}: ${message}` });
      const badValue = (n: number, message: string): void => out.warn({ kind: 'bad-value', offset: n, message: `layer tar member #${n}: ${message}` });
      for await (const header of tarMembers(chunks, badTime, badValue)) out.record({ chainId: '', header, evidence: ref.entry.path, from: 'layer-tar', member: ref.rel } as LayerFileRecord & { member: string });
    } catch (e) {
      out.warn({ kind: 'bad-archive', offset: 0, message: `layer tar unreadable past this point: ${(e as Error).message}; members before it were read` });
    }
  },
  toEvents(r, ctx) {
    const member = (r as LayerFileRecord & { member: string }).member;
    return tarSplitEvents({ ...r, chainId: ctx.savedLayerChains.get(member) ?? '' }, ctx);
  },
};
