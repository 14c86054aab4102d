import { createGunzip } from 'node:zlib';
import type { Extractor } from './extractor.js';
import { layerdbPath } from './image-paths.js';
import { isObject } from './read-bounded.js';
import { LineSplitter } from './line-splitter.js';
import { ContentlessTarParser, type TarHeader } from './tar-header.js';
import { tarSplitEvents } from './tar-split.timemap.js';

export interface LayerFileRecord {
  /** Chain id (hex) of the layer. */
  chainId: string;
  /** The driver whose layerdb holds the tar-split (`image/<driver>/layerdb`); none for graph layers and saved layer tars. */
  driver?: string;
  header: TarHeader;
  evidence: string;
  /** Where the header was read: rebuilt from tar-split, or a layer tar (docker save). */
  from?: 'tar-split' | 'layer-tar';
}

/**
 * `layerdb/sha256/<chain>/tar-split.json.gz` (pre-1.10: `graph/<id>/tar-data.json.gz`): every file header of an image layer, rebuilt from the
 * tar-split segments (contents are not stored there, so only headers come out), even when the
 * layer's directory is gone or altered.
 */
export const tarSplit: Extractor<LayerFileRecord> = {
  name: 'tar_split',
  artifact: 'layer tar-split',
  phase: 'content',
  needs: 'content',
  match(rel, entry) {
    if (entry.type !== 'file') return false;
    const p = layerdbPath(rel);
    return (p?.kind === 'layer' && p.file === 'tar-split.json.gz') || /^graph\/[0-9a-f]{64}\/tar-data\.json\.gz$/.test(rel);
  },
  async extract(ref, input, out) {
    if (!input) return;
    // a layerdb chain id, or (pre-1.10) the graph layer id
    const p = layerdbPath(ref.rel);
    const chainId = p?.id ?? ref.rel.split('/')[1]!;
    const parser = new ContentlessTarParser(
      (header) => out.record({ chainId, ...(p ? { driver: p.driver } : {}), header, evidence: ref.entry.path }),
      (offset, message) => out.warn({ kind: 'bad-tar-header', offset, message: `${message} (offset in the rebuilt header stream)` }),
    );
    let bad = 0;
    const splitter = new LineSplitter((line, offset) => {
      if (parser.done || line.length === 0) return;
      let o: unknown;
      try {
        o = JSON.parse(line.toString('utf8'));
      } catch {
        if (bad++ === 0) out.warn({ kind: 'bad-json', offset, message: 'tar-split entry is not JSON; skipped (offset in the decompressed stream)' });
        return;
      }
      if (isObject(o) && o.type === 2 && typeof o.payload === 'string') parser.push(Buffer.from(o.payload, 'base64'));
    }, (offset, length) => out.warn({ kind: 'overlong-line', offset, message: `tar-split entry of ${length} bytes skipped` }));
    const gunzip = createGunzip();
    input.on('error', (e) => gunzip.destroy(e));
    input.pipe(gunzip);
    try {
      for await (const chunk of gunzip as AsyncIterable<Buffer>) splitter.push(chunk);
      splitter.end();
    } catch (e) {
      splitter.end();
      out.warn({ kind: 'bad-gzip', offset: splitter.bytes, message: `tar-split stream broken at decompressed offset ${splitter.bytes}: ${(e as Error).message}; headers before it are kept` });
    }
  },
  toEvents: tarSplitEvents,
};
