/**
 * A devicemapper data root built as a 20.10 engine leaves it (no engine here runs devicemapper: Debian's
 * docker.io 20.10.24 refuses it, "driver not supported"). The metadata files are written as
 * moby's daemon/graphdriver/devmapper/deviceset.go writes them: json.Marshal of its structs, so
 * the fields in struct order, Go's spelling, no white space, no newline:
 *   devInfo     {"device_id":int,"size":uint64,"transaction_id":uint64,"initialized":bool,"deleted":bool}
 *   DeviceSet   {"next_device_id":int,"BaseDeviceUUID":string,"BaseDeviceFilesystem":string}
 *   transaction {"open_transaction_id":uint64,"device_hash":string,"device_id":int}
 * The layer database is an overlay2-style one under image/devicemapper/ (the layer store is the same
 * for every driver): one image with one layer, container `web` with its mount and init layers.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { configV2, makeTree } from './dataroot.ts';

const hexId = (word: string): string => createHash('sha256').update(word).digest('hex');

export const DM = {
  container: hexId('dm container web'),
  mount: hexId('dm mount of web'),
  oldMount: hexId('dm mount of a removed container'),
  layerDiff: hexId('dm diff of the busybox layer'),
  cache: hexId('dm cache of the busybox layer'),
  /** A layer of an image being removed, marked for deferred deletion (the pool was busy). */
  busy: hexId('dm cache of a busy layer'),
  uuid: '6f1e3a4c-2b9d-4e0f-9a8b-7c6d5e4f3a2b',
  /** defaultBaseFsSize: 10 GiB; snapshots take the base device's size. */
  size: 10737418240n,
} as const;

/** Modification times of the metadata files (`seconds.nanoseconds`), as the engine's saves left them. */
export const DM_TIMES = {
  base: '1767323000.100000001',
  layer: '1767323010.200000002',
  init: '1767323040.400000004',
  mount: '1767323040.500000005',
  busy: '1767323100.300000003',
  transaction: '1767323200.600000006',
  deviceset: '1767323300.700000007',
} as const;

export const nsOf = (t: string): bigint => BigInt(t.replace('.', ''));

/** json.Marshal(devInfo). */
export function devInfoJson(d: { id: number | bigint; size: bigint; tid: number | bigint; init: boolean; del: boolean }): string {
  return `{"device_id":${d.id},"size":${d.size},"transaction_id":${d.tid},"initialized":${d.init},"deleted":${d.del}}`;
}

/** json.Marshal(&devices.transaction). */
export function transactionJson(open: number | bigint, hash: string, id: number): string {
  return `{"open_transaction_id":${open},"device_hash":${JSON.stringify(hash)},"device_id":${id}}`;
}

/** json.Marshal(DeviceSet). */
export function deviceSetJson(next: number, uuid: string, fs: string): string {
  return `{"next_device_id":${next},"BaseDeviceUUID":${JSON.stringify(uuid)},"BaseDeviceFilesystem":${JSON.stringify(fs)}}`;
}

/** Set a file's mtime to the nanosecond (`touch -d @s.ns`; Node's utimes takes a float of seconds). */
export function setMtime(file: string, t: string): void {
  execFileSync('touch', ['-h', '-m', '-d', `@${t}`, file]);
}

/**
 * History: base device (thin id 1, transaction 1), the busybox layer (2), a busy layer (3, later
 * marked for deferred deletion), web's init and writable layers (4, 5), a removed container's (6, 7;
 * their files gone: deleteTransaction removed them; the init layer's deletion, transaction 10, was the
 * last), the device set saved at shutdown. `loop`: the loop-lvm pool files, as sparse files of their
 * default sizes (100 GB, 2 GB: never to be read), as small files, or none (a direct-lvm pool).
 */
export function makeDevicemapperRoot(o: { loop?: 'sparse' | 'small' | 'none'; transaction?: string; extra?: Record<string, string | Buffer | { symlink: string }> } = {}): { root: string; imageId: string } {
  const image = JSON.stringify({
    architecture: 'amd64', os: 'linux', created: '2025-12-01T00:00:00Z', config: { Cmd: ['sh'] },
    history: [{ created: '2025-12-01T00:00:00Z', created_by: '/bin/sh -c #(nop) ADD file:busybox in / ' }],
    rootfs: { type: 'layers', diff_ids: [`sha256:${DM.layerDiff}`] },
  });
  const imageId = createHash('sha256').update(image).digest('hex');
  const md = 'devicemapper/metadata';
  const files: Record<string, string | Buffer | { symlink: string }> = {
    [`containers/${DM.container}/config.v2.json`]: configV2(DM.container, { Driver: 'devicemapper', Image: `sha256:${imageId}`, Name: '/web' }),
    [`image/devicemapper/imagedb/content/sha256/${imageId}`]: image,
    'image/devicemapper/repositories.json': JSON.stringify({ Repositories: { busybox: { 'busybox:latest': `sha256:${imageId}` } } }),
    [`image/devicemapper/layerdb/sha256/${DM.layerDiff}/diff`]: `sha256:${DM.layerDiff}`,
    [`image/devicemapper/layerdb/sha256/${DM.layerDiff}/cache-id`]: DM.cache,
    [`image/devicemapper/layerdb/sha256/${DM.layerDiff}/size`]: '1234',
    [`image/devicemapper/layerdb/mounts/${DM.container}/mount-id`]: DM.mount,
    [`image/devicemapper/layerdb/mounts/${DM.container}/init-id`]: `${DM.mount}-init`,
    [`image/devicemapper/layerdb/mounts/${DM.container}/parent`]: `sha256:${DM.layerDiff}`,
    [`${md}/base`]: devInfoJson({ id: 1, size: DM.size, tid: 1, init: true, del: false }),
    [`${md}/${DM.cache}`]: devInfoJson({ id: 2, size: DM.size, tid: 2, init: false, del: false }),
    [`${md}/${DM.busy}`]: devInfoJson({ id: 3, size: DM.size, tid: 3, init: false, del: true }),
    [`${md}/${DM.mount}-init`]: devInfoJson({ id: 4, size: DM.size, tid: 4, init: false, del: false }),
    [`${md}/${DM.mount}`]: devInfoJson({ id: 5, size: DM.size, tid: 5, init: false, del: false }),
    [`${md}/transaction-metadata`]: o.transaction ?? transactionJson(10, `${DM.oldMount}-init`, 6),
    [`${md}/deviceset-metadata`]: deviceSetJson(7, DM.uuid, 'xfs'),
    ...o.extra,
  };
  const root = makeTree(files);
  const at = (rel: string, t: string): void => setMtime(path.join(root, md, rel), t);
  at('base', DM_TIMES.base);
  at(DM.cache, DM_TIMES.layer);
  at(DM.busy, DM_TIMES.busy);
  at(`${DM.mount}-init`, DM_TIMES.init);
  at(DM.mount, DM_TIMES.mount);
  at('transaction-metadata', DM_TIMES.transaction);
  at('deviceset-metadata', DM_TIMES.deviceset);
  const loop = o.loop ?? 'sparse';
  if (loop !== 'none') {
    for (const [name, size] of [['data', 100 * 2 ** 30], ['metadata', 2 * 2 ** 30]] as const) {
      const f = path.join(root, 'devicemapper/devicemapper', name);
      execFileSync('mkdir', ['-p', path.dirname(f)]);
      writeFileSync(f, '');
      truncateSync(f, loop === 'sparse' ? size : 4096);
    }
  }
  return { root, imageId };
}

/** The data root as an uncompressed pax tar (GNU tar keeps the nanosecond mtimes as pax records). */
export function tarOf(root: string): string {
  const archive = `${root}.tar`;
  execFileSync('tar', ['--format=posix', '--sort=name', '-C', root, '-cf', archive, '.']);
  return archive;
}
