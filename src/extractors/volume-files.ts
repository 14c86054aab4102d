import type { Extractor } from './extractor.js';
import type { Context } from './context.js';
import type { EvidenceEntry } from '../evidence/entry.js';
import { fileTimeEvents } from './file-times.js';
import { HEX64 } from './paths.js';

export interface VolumeFileRecord {
  volume: string;
  /** Path inside the volume (`/upload-001.txt`; `''` for the volume folder itself, `/` for `_data`). */
  path: string;
  entry: EvidenceEntry;
}

const VOLUME_PATH = /^volumes\/([^/]+)(?:\/_data(\/.*)?)?$/s;

/** The containers that mount a volume, with where. */
export function volumeUsers(ctx: Context, volume: string): { containerId: string; name: string; destination: string }[] {
  const out: { containerId: string; name: string; destination: string }[] = [];
  for (const c of ctx.containers.values()) {
    for (const m of c.mounts) if (m.type === 'volume' && m.name === volume) out.push({ containerId: c.id, name: c.name ?? c.id.slice(0, 12), destination: m.destination });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : 1));
}

export const anonymous = (name: string): boolean => HEX64.test(name);

const seen = new WeakMap<Context, Set<string>>();

/** Volumes whose folder was seen in the evidence. */
export function seenVolumes(ctx: Context): Set<string> {
  let s = seen.get(ctx);
  if (!s) seen.set(ctx, (s = new Set()));
  return s;
}

/** `volumes/<name>` and everything under `volumes/<name>/_data`: file times, attributed to every container that mounts the volume. */
export const volumeFiles: Extractor<VolumeFileRecord> = {
  name: 'volume_files',
  artifact: 'volume file',
  phase: 'content',
  needs: 'meta',
  match(rel, entry) {
    // the volume folder itself (not metadata.db or backingFsBlockDev), `_data` and all below it
    return VOLUME_PATH.test(rel) && (rel.includes('/_data') || entry.type === 'dir');
  },
  async extract(ref, _input, out) {
    const m = VOLUME_PATH.exec(ref.rel)!;
    out.record({ volume: m[1]!, path: ref.rel.endsWith('/_data') ? '/' : m[2] ?? '', entry: ref.entry });
  },
  *toEvents(r, ctx) {
    seenVolumes(ctx).add(r.volume);
    const users = volumeUsers(ctx, r.volume);
    const kind = anonymous(r.volume) ? 'anonymous' : 'named';
    const where = users.map((u) => `${u.name}:${u.destination}${r.path === '/' || r.path === '' ? '' : r.path}`);
    const what = r.path === '' ? 'volume folder' : r.path === '/' ? 'volume _data folder' : r.path;
    const info = ctx.volumes.get(r.volume);
    yield* fileTimeEvents(r.entry, ctx, {
      label: `[${kind} volume ${r.volume.length > 20 ? r.volume.slice(0, 12) : r.volume}: ${what}${where.length ? `; mounted as ${where.join(', ')}` : '; mounted by no known container'}]`,
      parser: 'docker_timeline/volume_files',
      containerId: users.length === 1 ? users[0]!.containerId : undefined,
      fields: {
        volume: r.volume, volume_kind: kind, path: r.path || undefined, containers: users.map((u) => u.name).join(', ') || null,
        container_paths: where.join(', ') || null, volume_driver: info?.driver ?? undefined,
        volume_labels: info && Object.keys(info.labels).length ? Object.entries(info.labels).map(([k, v]) => `${k}=${v}`).join(', ') : undefined,
      },
    });
  },
  *finish(ctx, warn) {
    const have = seenVolumes(ctx);
    for (const c of ctx.containers.values()) {
      for (const m of c.mounts) {
        if (m.type !== 'volume' || !m.name || have.has(m.name) || (m.driver && m.driver !== 'local')) continue;
        const root = c.evidence.slice(0, c.evidence.length - `containers/${c.id}/${c.evidence.split('/').at(-1)}`.length);
        warn({
          kind: 'missing-volume', evidence: `${root}volumes/${m.name}`, offset: 0,
          message: `${anonymous(m.name) ? 'anonymous' : 'named'} volume ${m.name} mounted by ${c.name ?? c.id.slice(0, 12)} at ${m.destination} is not in the evidence (removed, or not captured)`,
        });
      }
    }
  },
};
