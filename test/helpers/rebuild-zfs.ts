import { readTar, type TarEntry } from './tar-entries.ts';

/**
 * A real vfs data root (fixtures/vfs-small: a 20.10.24 engine's full copies, one per layer) rebuilt
 * into the layout of the zfs driver; no engine here runs zfs (driver-probe.txt: "prerequisites for
 * driver not satisfied (wrong filesystem?)"). Followed in moby's source (20.10 era):
 * - daemon/graphdriver/zfs/zfs.go: Init makes `<root>/zfs` (0710); each layer is a dataset
 *   `<fs>/<id>` (a clone of its parent's snapshot: a full copy, as vfs makes by copying), with
 *   `mountpoint=legacy`, mounted by Get at mountPath(id) = `zfs/graph/<id>` (zfs_linux.go
 *   getMountpoint: the id as it is; MkdirAllAndChown 0755); Init returns a NaiveDiffDriver, so
 *   `docker diff` compares a container's dataset with its parent's (the init layer), as for vfs.
 * - layer/layer_store.go: cache ids, mount ids and `<mount id>-init` as the layer store gives them
 *   (kept from the real engine); layerdb in `image/zfs`; config.v2.json `Driver` is `zfs`.
 * `vfs/backingFsBlockDev` (vfs's quota device) has no zfs counterpart and is left out.
 * Note: Put unmounts a dataset and removes its `zfs/graph/<id>` mount point, so a copy of a stopped
 * engine's data root holds no layer files: they are in the pool. This layout is the one the tool
 * reads: the datasets mounted at their graph folders (a copy taken while they were mounted, or an
 * examiner's `mount -t zfs <fs>/<id> zfs/graph/<id>`). The times are the vfs copies' (a clone would
 * keep its parent's ctimes for files it did not change); the folders and files are the same.
 */
export async function rebuildZfs(source: Buffer): Promise<TarEntry[]> {
  const out: TarEntry[] = [];
  for (const e of await readTar(source)) {
    const name = e.header.name;
    if (name === 'docker/vfs/backingFsBlockDev') continue;
    if (name === 'docker/vfs/' || name === 'docker/vfs/dir/') {
      out.push({ header: { ...e.header, name: name === 'docker/vfs/' ? 'docker/zfs/' : 'docker/zfs/graph/', mode: name === 'docker/vfs/' ? 0o710 : 0o755 }, data: e.data });
    } else if (name.startsWith('docker/vfs/dir/')) {
      out.push({ header: { ...e.header, name: `docker/zfs/graph/${name.slice('docker/vfs/dir/'.length)}` }, data: e.data });
    } else if (name.startsWith('docker/vfs/')) {
      throw new Error(`unexpected vfs entry ${name}`);
    } else if (name.startsWith('docker/image/vfs/')) {
      out.push({ header: { ...e.header, name: name.replace('docker/image/vfs/', 'docker/image/zfs/') }, data: e.data });
    } else if (/^docker\/containers\/[0-9a-f]{64}\/config\.v2\.json$/.test(name)) {
      const json = e.data.toString('utf8');
      if (!json.includes('"Driver":"vfs"')) throw new Error(`${name}: no "Driver":"vfs"`);
      out.push({ header: e.header, data: Buffer.from(json.replace('"Driver":"vfs"', '"Driver":"zfs"')) });
    } else {
      out.push(e);
    }
  }
  return out;
}
