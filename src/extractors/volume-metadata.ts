import type { Extractor } from './extractor.js';
import { isObject, readBounded, str, tryParseJson } from './read-bounded.js';
import { BoltReader } from '../formats/boltdb.js';

export interface VolumeInfo {
  name: string;
  driver: string | null;
  labels: Record<string, string>;
  options: Record<string, string>;
}

export interface VolumeMetadataRecord {
  volumes: VolumeInfo[];
}

const strMap = (v: unknown): Record<string, string> => (isObject(v) ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)])) : {});

/** `volumes/metadata.db` (BoltDB, bucket `volumes`): every volume's name, driver, labels and options. */
export const volumeMetadata: Extractor<VolumeMetadataRecord> = {
  name: 'volume_metadata',
  artifact: 'volume metadata (BoltDB)',
  phase: 'context',
  needs: 'content',
  match(rel, entry) {
    return entry.type === 'file' && rel === 'volumes/metadata.db';
  },
  async extract(_ref, input, out) {
    if (!input) return;
    const raw = await readBounded(input);
    if (!raw) {
      out.warn({ kind: 'too-large', offset: 0, message: 'metadata.db larger than the 64 MiB read limit; not read' });
      return;
    }
    const volumes: VolumeInfo[] = [];
    try {
      const db = new BoltReader(raw);
      for (const { key, value } of db.bucket(['volumes'])) {
        const parsed = tryParseJson(value.toString('utf8'));
        const v = parsed.ok && isObject(parsed.value) ? parsed.value : {};
        if (!parsed.ok) out.warn({ kind: 'bad-json', offset: 0, message: `volume ${JSON.stringify(key.toString('utf8'))}: value is not JSON` });
        volumes.push({ name: str(v.Name) ?? key.toString('utf8'), driver: str(v.Driver) ?? null, labels: strMap(v.Labels), options: strMap(v.Options) });
      }
    } catch (e) {
      out.warn({ kind: 'bad-boltdb', offset: 0, message: `${(e as Error).message}; ${volumes.length} volume(s) read before it` });
    }
    out.record({ volumes });
  },
  remember(r, ctx) {
    for (const v of r.volumes) ctx.volumes.set(v.name, v);
  },
  toEvents() {
    return [];
  },
};
