/**
 * `<root>/devicemapper/metadata/`: the devicemapper storage driver's record of each thin device.
 *
 * Followed: moby's daemon/graphdriver/devmapper/deviceset.go of the 20.10 era (moby/moby, the version
 * with os.CreateTemp; the 17.06+ copy vendored in kubernetes has the same structs and file handling):
 * - `type devInfo struct { Hash string json:"-"; DeviceID int json:"device_id"; Size uint64 json:"size";
 *   TransactionID uint64 json:"transaction_id"; Initialized bool json:"initialized"; Deleted bool json:"deleted" }`,
 *   written by saveMetadata as json.Marshal(info), so `{"device_id":1,"size":10737418240,"transaction_id":1,
 *   "initialized":true,"deleted":false}`, to metadataFile(info) = `metadata/<hash>` (`base` for the base
 *   device, whose hash is ""). The hash is the graphdriver id: driver.go Create(id, parent) is
 *   AddDevice(id, parent), and the layer store's ids are layer cache ids, container mount ids and `<mount id>-init`.
 * - saveMetadata runs in registerDevice (when a device is made: initialized false, and only the base
 *   device is ever set initialized, by createBaseImage), in checkGrowBaseDeviceFS (base, dm.basesize),
 *   in markForDeferredDeletion (deleted true) and in migrateOldMetaData (pre-1.0 `devicemapper/json`);
 *   unregisterDevice removes the file when the pool has dropped the device.
 * - writeMetaFile writes a `.tmp*` file in the folder, syncs it and renames it over the old one, so the
 *   file's mtime is the time of its last save.
 * - `deviceset-metadata` = json.Marshal(DeviceSet): only NextDeviceID (`next_device_id`, int),
 *   BaseDeviceUUID and BaseDeviceFilesystem (strings, untagged) are written; saved at Shutdown, and when
 *   the base device's file system is made (saveBaseDeviceFilesystem) or its UUID recorded.
 * - `transaction-metadata` = json.Marshal(&devices.transaction): `open_transaction_id` (uint64),
 *   `device_hash` (string), `device_id` (int); written by openTransaction (every device creation and
 *   deletion) and refreshTransaction, removed only by rollbackTransaction.
 * - loadDeviceFilesOnStart / deviceFileWalkFunction: names ending `.migrated` or starting with `.`,
 *   and the two set files, are not devices; loadMetadata refuses a file json.Unmarshal fails on and a
 *   device_id above maxDeviceID (0xffffff).
 * - The loop-lvm pool files are `devicemapper/devicemapper/data` and `metadata` (ensureImage: sparse
 *   files of 100 GB and 2 GB by default); with direct-lvm or dm.thinpooldev the pool is a block device.
 *   The files inside each device are only in the pool: see devicemapper-pool.ts.
 */
import type { Extractor } from './extractor.js';
import type { DmRecord } from './devicemapper-state.js';
import { readBounded } from './read-bounded.js';
import { FlatJsonError, readFlatObject } from '../formats/flat-json.js';
import { readGoFields, type GoType } from './go-json-fields.js';
import { deviceEvents, transactionEvents } from './devicemapper-metadata.timemap.js';

/** A devInfo is about 100 bytes; anything far larger is not the engine's. */
export const MAX_DM_METADATA = 64 * 1024;

const FILES: Record<'device' | 'deviceset' | 'transaction', { fields: Record<string, GoType>; refusal: string }> = {
  device: {
    fields: { device_id: 'int', size: 'uint64', transaction_id: 'uint64', initialized: 'bool', deleted: 'bool' },
    refusal: "deviceset.go loadMetadata refuses the file, and the engine's start-up scan of this folder stops there",
  },
  deviceset: {
    fields: { next_device_id: 'int', BaseDeviceUUID: 'string', BaseDeviceFilesystem: 'string' },
    refusal: 'deviceset.go loadDeviceSetMetaData returns the error and the driver does not start',
  },
  transaction: {
    fields: { open_transaction_id: 'uint64', device_hash: 'string', device_id: 'int' },
    refusal: 'deviceset.go loadTransactionMetaData ignores the error and keeps what it could store',
  },
};

const MAX_DEVICE_ID = 0xffffff;

/** Which file of `devicemapper/metadata/` a name is, as deviceFileWalkFunction tells them apart. */
function fileOf(name: string): DmRecord['file'] {
  if (name === 'deviceset-metadata') return 'deviceset';
  if (name === 'transaction-metadata') return 'transaction';
  if (name.endsWith('.migrated') || name.startsWith('.')) return 'other';
  return 'device';
}

const DESCRIBE: Record<string, string> = { dir: 'a directory', symlink: 'a symbolic link', hardlink: 'a hard link', fifo: 'a FIFO', socket: 'a socket', char: 'a character device', block: 'a block device' };

export const devicemapperMetadata: Extractor<DmRecord> = {
  name: 'devicemapper_metadata',
  artifact: 'devicemapper metadata',
  phase: 'content',
  needs: 'content',
  match(rel) {
    return /^devicemapper\/metadata\/[^/]+$/.test(rel);
  },
  async extract(ref, input, out) {
    const name = ref.rel.slice('devicemapper/metadata/'.length);
    const file = fileOf(name);
    const base = { root: ref.root, name, entry: ref.entry, values: {}, unexpected: [], error: null };
    if (ref.entry.type !== 'file') {
      const what = DESCRIBE[ref.entry.type] ?? `a ${ref.entry.type} entry`;
      const link = ref.entry.linkTarget !== undefined ? ` to ${JSON.stringify(ref.entry.linkTarget)}` : '';
      const engine = ref.entry.type === 'dir' ? 'the engine skips directories here' : ref.entry.type === 'symlink' ? 'the engine would follow it: os.ReadFile' : 'the engine writes only regular files here';
      out.warn({
        kind: 'not-a-file', offset: 0,
        message: `${what}${link} where the engine keeps ${file === 'device' ? "a device's metadata file" : `its ${name} file`}; recorded, not ${ref.entry.type === 'dir' ? 'read' : 'followed or opened'} (${engine})`,
      });
      out.record({ ...base, file: 'other', error: `${what}${link}` });
      return;
    }
    if (file === 'other') {
      out.warn({ kind: 'not-read', level: 'notice', offset: 0, message: 'not a device file (the engine skips names starting with "." or ending in ".migrated": leftover temporary files of a save, migrated files); not read' });
      out.record({ ...base, file });
      return;
    }
    if (ref.entry.mtime === undefined) out.warn({ kind: 'no-time', offset: 0, message: 'the archive gives this file no modification time: no event' });
    const tooBig = (): void => {
      out.warn({ kind: 'too-large', offset: 0, message: `${ref.entry.size} bytes: larger than the ${MAX_DM_METADATA}-byte limit for a metadata file (the engine writes about 100); not read` });
      out.record({ ...base, file, error: `larger than ${MAX_DM_METADATA} bytes, not read` });
    };
    // the source could not open it (and said so)
    if (!input) return out.record({ ...base, file, error: 'not opened' });
    // never read a large file: the walk only drains (an archive) or closes (a directory) what is left
    if (ref.entry.size > BigInt(MAX_DM_METADATA)) return tooBig();
    const raw = await readBounded(input, MAX_DM_METADATA);
    if (!raw) return tooBig();
    let members;
    try {
      members = readFlatObject(raw);
    } catch (e) {
      if (!(e instanceof FlatJsonError)) throw e;
      out.warn({ kind: e.truncated ? 'truncated' : 'bad-json', offset: e.offset, message: `${e.message} (${raw.length} bytes; ${FILES[file].refusal})` });
      out.record({ ...base, file, error: e.message, refused: file !== 'transaction' });
      return;
    }
    const spec = FILES[file];
    const got = readGoFields(members, spec.fields, spec.refusal);
    for (const p of got.problems) out.warn(p);
    const values = Object.fromEntries(got.values);
    let refused = got.failed && file !== 'transaction';
    if (file === 'device' && typeof values.device_id === 'bigint' && (values.device_id < 0n || values.device_id > BigInt(MAX_DEVICE_ID))) {
      refused ||= values.device_id > BigInt(MAX_DEVICE_ID);
      out.warn({ kind: 'bad-value', offset: got.offsets.get('device_id') ?? 0, message: `device_id ${values.device_id} is outside the thin pool's 24-bit device ids (0 to ${MAX_DEVICE_ID})${values.device_id > 0n ? '; deviceset.go loadMetadata refuses the device' : ''}` });
    }
    if (got.unexpected.length) out.warn({ kind: 'odd-key', offset: got.unexpectedAt, message: `keys the engine does not write here (json.Unmarshal ignores them): ${got.unexpected.map((k) => JSON.stringify(k)).join(', ')}` });
    out.record({ ...base, file, values, unexpected: got.unexpected, refused });
  },
  toEvents: deviceEvents,
  finish: transactionEvents,
};
