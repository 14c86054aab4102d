import { HEX64 } from './paths.js';

/** `image/<driver>/<rest>` → driver and rest. */
export function imageStorePath(rel: string): { driver: string; rest: string } | null {
  if (!rel.startsWith('image/')) return null;
  const slash = rel.indexOf('/', 6);
  if (slash < 0) return null;
  return { driver: rel.slice(6, slash), rest: rel.slice(slash + 1) };
}

/**
 * `image/<driver>/imagedb/content/sha256/<id>` → the image id (hex). In a `docker save` archive the
 * same config is `<id>.json` at the top (driver `docker-save`).
 */
export function imageContentId(rel: string): { driver: string; id: string } | null {
  const saved = /^([0-9a-f]{64})\.json$/.exec(rel);
  if (saved) return { driver: 'docker-save', id: saved[1]! };
  const p = imageStorePath(rel);
  if (!p || !p.rest.startsWith('imagedb/content/sha256/')) return null;
  const id = p.rest.slice('imagedb/content/sha256/'.length);
  return HEX64.test(id) ? { driver: p.driver, id } : null;
}

/** `image/<driver>/imagedb/metadata/sha256/<id>/<file>` → id and file name. */
export function imageMetadataPath(rel: string): { driver: string; id: string; file: string } | null {
  const p = imageStorePath(rel);
  const m = p && /^imagedb\/metadata\/sha256\/([0-9a-f]{64})\/([^/]+)$/.exec(p.rest);
  return m ? { driver: p!.driver, id: m[1]!, file: m[2]! } : null;
}

/** `image/<driver>/layerdb/sha256/<chain>/<file>` or `layerdb/mounts/<container>/<file>`. */
export function layerdbPath(rel: string): { driver: string; kind: 'layer' | 'mount'; id: string; file: string } | null {
  const p = imageStorePath(rel);
  const m = p && /^layerdb\/(sha256|mounts)\/([0-9a-f]{64})\/([^/]+)$/.exec(p.rest);
  return m ? { driver: p!.driver, kind: m[1] === 'sha256' ? 'layer' : 'mount', id: m[2]!, file: m[3]! } : null;
}

/** Strip `sha256:` and lower-case. */
export function bareDigest(s: string): string {
  return s.trim().toLowerCase().replace(/^sha256:/, '');
}
