import { openNoTouch } from './directory-source.js';
import { constants as fsConstants, promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Warnings } from '../warnings.js';

/**
 * The marks of a Docker data root in any path: `<root>/containers/<64 hex>` or
 * `<root>/image/<driver>/{imagedb,layerdb,repositories.json}` or `<root>/overlay2/<layer>/diff`.
 */
const ROOT_MARK = /(?:^|\/)(?:containers\/[0-9a-f]{64}|image\/[^/]+\/(?:imagedb|layerdb|repositories\.json)|overlay2\/[0-9a-z]+(?:-init)?\/diff|overlay\/[0-9a-z]+(?:-init)?\/(?:root|upper)|vfs\/dir\/[0-9a-z]+(?:-init)?|aufs\/(?:diff|layers)\/[0-9a-z]+(?:-init)?|graph\/[0-9a-f]{64}|repositories-[0-9a-z]+|btrfs\/subvolumes\/[0-9a-z]+(?:-init)?|zfs\/graph\/[0-9a-z]+(?:-init)?|volumes\/metadata\.db|linkgraph\.db|volumes\/[^/]+\/_data)(?:\/|$)/;

/**
 * Split an evidence path into its data root and the path inside it, using the first (outermost)
 * mark. Returns null for paths that are not inside a container folder or an image store.
 */
export function splitDataRootPath(p: string): { root: string; rel: string; nested?: string } | null {
  // the top of a `docker save` archive (legacy or OCI) or a `docker export` rootfs
  if (ARCHIVE_TOP.test(p)) return { root: '', rel: p };
  const m = ROOT_MARK.exec(p);
  if (!m) return null;
  const start = m.index + (m[0].startsWith('/') ? 1 : 0);
  const out: { root: string; rel: string; nested?: string } = { root: start === 0 ? '' : p.slice(0, start - 1), rel: p.slice(start) };
  // a data root inside this one (in a layer or a volume: docker-in-docker)
  const inner = CONTAINER_MARK.exec(p.slice(m.index + m[0].length));
  if (inner) out.nested = p.slice(0, m.index + m[0].length + inner.index).replace(/\/$/, '');
  return out;
}

const CONTAINER_MARK = /(?:^|\/)containers\/[0-9a-f]{64}(?:\/|$)/;

/** Top-level members that make an archive a `docker save` (legacy or OCI) or `docker export`. */
const ARCHIVE_TOP = /^(?:manifest\.json|repositories|index\.json|oci-layout|[0-9a-f]{64}\.json|\.dockerenv|blobs\/sha256\/[0-9a-f]{64})$/;

/** The top folders of a data root that the extractors read. */
export const READ_FOLDERS = ['containers', 'image', 'overlay2', 'overlay', 'vfs', 'aufs', 'btrfs', 'zfs', 'graph', 'volumes', 'windowsfilter', 'buildkit', 'swarm', 'containerd', 'network', 'plugins', 'builder', 'devicemapper', 'fuse-overlayfs'] as const;

/** Roots that lie inside another root (a data root inside a layer or volume: docker-in-docker) are set apart. */
export function outermostRoots(roots: Iterable<string>): { keep: string[]; nested: string[] } {
  const all = [...new Set(roots)].sort((a, b) => a.length - b.length);
  const keep: string[] = [];
  const nested: string[] = [];
  for (const r of all) {
    if (keep.some((k) => k === '' || r.startsWith(k + '/'))) nested.push(r);
    else keep.push(r);
  }
  return { keep, nested };
}

/**
 * Resolve an evidence-relative path with symlinks interpreted inside the evidence (as if chrooted):
 * an absolute link target is taken from the evidence root, `..` never climbs above it.
 * Returns null when the path does not exist in the evidence.
 */
export async function resolveInEvidence(root: string, rel: string, depth = 0): Promise<string | null> {
  if (depth > 40) return null;
  const parts = rel.split('/').filter((s) => s && s !== '.');
  const done: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part === '..') { done.pop(); continue; }
    const cur = [...done, part].join('/');
    let st;
    try { st = await fsp.lstat(path.join(root, cur)); } catch { return null; }
    if (st.isSymbolicLink()) {
      const target = await fsp.readlink(path.join(root, cur));
      const base = target.startsWith('/') ? target : [...done, target].join('/');
      const rest = parts.slice(i + 1).join('/');
      return resolveInEvidence(root, rest ? `${base}/${rest}` : base, depth + 1);
    }
    done.push(part);
  }
  return done.join('/');
}

async function isDir(root: string, rel: string): Promise<boolean> {
  try { return (await fsp.lstat(path.join(root, rel))).isDirectory(); } catch { return false; }
}

/** An unpacked image or container archive: `docker save` (manifest.json), an OCI layout (oci-layout), a `docker export` (.dockerenv). */
export async function looksLikeArchive(root: string): Promise<boolean> {
  for (const f of ['manifest.json', 'oci-layout', '.dockerenv']) {
    try {
      if ((await fsp.lstat(path.join(root, f))).isFile()) return true;
    } catch { /* not there */ }
  }
  return false;
}

/** A directory that holds `containers/` or `image/`: it looks like a Docker data root. */
async function looksLikeDataRoot(root: string, rel: string): Promise<boolean> {
  return (await isDir(root, rel ? `${rel}/containers` : 'containers')) || (await isDir(root, rel ? `${rel}/image` : 'image'));
}

/** Read `etc/docker/daemon.json` of a file-system root for `data-root` (or the legacy `graph`). */
async function daemonJsonRoots(root: string, warnings: Warnings): Promise<string[]> {
  const rel = await resolveInEvidence(root, 'etc/docker/daemon.json');
  if (!rel) return [];
  try {
    // never open what is not a regular file (a FIFO here would block the run)
    if (!(await fsp.lstat(path.join(root, rel))).isFile()) return [];
    // (no atime moved, where the owner may: as every evidence file is opened)
    const fh = await openNoTouch(path.join(root, rel), fsConstants.O_NONBLOCK);
    try {
      const st = await fh.stat();
      if (!st.isFile() || st.size > 1 << 20) return [];
      const cfg = JSON.parse((await fh.readFile()).toString('utf8')) as Record<string, unknown>;
      return ['data-root', 'graph'].map((k) => cfg[k]).filter((v): v is string => typeof v === 'string' && v.length > 0);
    } finally {
      await fh.close();
    }
  } catch (e) {
    warnings.add({ kind: 'bad-json', artifact: 'daemon.json', evidence: rel, offset: 0, message: `cannot read data-root from daemon.json: ${(e as Error).message}` });
    return [];
  }
}

/**
 * Data roots in a directory evidence: the evidence itself, a `docker/` folder in it (an unpacked
 * data-root archive), the `data-root`/`graph` of `etc/docker/daemon.json`, `var/lib/docker`, and
 * rootless roots `home/<user>/.local/share/docker` and `root/.local/share/docker`.
 */
export async function findDirectoryDataRoots(root: string, warnings: Warnings): Promise<string[]> {
  const candidates: string[] = ['', 'docker'];
  candidates.push(...(await daemonJsonRoots(root, warnings)).map((p) => p.replace(/^\/+/, '')));
  candidates.push('var/lib/docker', 'root/.local/share/docker');
  try {
    for (const user of (await fsp.readdir(path.join(root, 'home'))).sort()) candidates.push(`home/${user}/.local/share/docker`);
  } catch { /* no home */ }
  const found: string[] = [];
  for (const c of candidates) {
    const resolved = c === '' ? '' : await resolveInEvidence(root, c);
    if (resolved === null || found.includes(resolved)) continue;
    if (await looksLikeDataRoot(root, resolved)) found.push(resolved);
  }
  return outermostRoots(found).keep;
}
