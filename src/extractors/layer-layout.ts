/** Where each storage driver keeps a layer's files, and what a path in it means. */
export type LayerDriver = 'overlay2' | 'overlay' | 'vfs' | 'aufs' | 'btrfs' | 'zfs';

export interface LayerPath {
  driver: LayerDriver;
  /** The layer's folder name (cache id, mount id, `<id>-init`, or a pre-1.10 layer/container id). */
  layerDir: string;
  /** overlay (v1): `root` (an image layer's full tree) or `upper` (a container or init layer). */
  part: 'diff' | 'root' | 'upper' | 'dir';
  /** Path in the container or image file system (`/etc/passwd`; `/` for the layer folder itself). */
  path: string;
}

const ID = '([0-9a-z]+(?:-init)?)';
const LAYOUTS: [RegExp, LayerDriver, LayerPath['part'] | null][] = [
  // the `s` flag: a name may hold a line break (`.` must match it)
  [new RegExp(`^overlay2/${ID}/diff(?:/(.+))?$`, 's'), 'overlay2', 'diff'],
  [new RegExp(`^overlay/${ID}/(root|upper)(?:/(.+))?$`, 's'), 'overlay', null],
  [new RegExp(`^vfs/dir/${ID}(?:/(.+))?$`, 's'), 'vfs', 'dir'],
  [new RegExp(`^aufs/diff/${ID}(?:/(.+))?$`, 's'), 'aufs', 'diff'],
  // btrfs subvolumes and zfs datasets, where they are present as plain folders: full copies, like vfs
  [new RegExp(`^btrfs/subvolumes/${ID}(?:/(.+))?$`, 's'), 'btrfs', 'dir'],
  [new RegExp(`^zfs/graph/${ID}(?:/(.+))?$`, 's'), 'zfs', 'dir'],
];

export function layerPath(rel: string): LayerPath | null {
  for (const [re, driver, part] of LAYOUTS) {
    const m = re.exec(rel);
    if (!m) continue;
    if (part === null) return { driver, layerDir: m[1]!, part: m[2] as 'root' | 'upper', path: `/${m[3] ?? ''}` };
    return { driver, layerDir: m[1]!, part, path: `/${m[2] ?? ''}` };
  }
  return null;
}

/** Key of a layer tree: overlay v1 keeps an image layer's `root/` and a container's `upper/` in one folder name space. */
export const treeKey = (driver: LayerDriver, layerDir: string, part: LayerPath['part'] = 'diff'): string =>
  `${driver}:${layerDir}${driver === 'overlay' ? `/${part}` : ''}`;

/** Layers that hold only their own changes (whiteouts mark deletions), vs. full copies of the tree. */
export const isDiffDriver = (d: LayerDriver): boolean => d === 'overlay2' || d === 'aufs';

/**
 * aufs: `.wh.<name>` deletes `<name>`; `.wh..wh..opq` makes its folder opaque; other `.wh..wh.*` are
 * aufs's own. A name of exactly `.wh.` whites out nothing (there is no empty name to delete): aufs
 * lists it as an ordinary entry (fs/aufs/vdir.c fillvdir: a whiteout is a name *longer* than the
 * prefix), so it is an ordinary file here too, never a deletion of its own folder. (Docker's `docker
 * diff` on aufs would report that folder deleted: pkg/archive aufsDeletedFile joins the folder with
 * the empty name.)
 */
export function aufsName(path: string): { kind: 'whiteout'; target: string } | { kind: 'opaque'; dir: string } | { kind: 'meta' } | null {
  const slash = path.lastIndexOf('/');
  const base = path.slice(slash + 1);
  const dir = path.slice(0, slash) || '/';
  if (path.split('/').some((s) => s.startsWith('.wh..wh.') && s !== '.wh..wh..opq')) return { kind: 'meta' };
  if (base === '.wh..wh..opq') return { kind: 'opaque', dir };
  if (base.startsWith('.wh.') && base.length > 4) return { kind: 'whiteout', target: `${dir === '/' ? '' : dir}/${base.slice(4)}` };
  return null;
}
