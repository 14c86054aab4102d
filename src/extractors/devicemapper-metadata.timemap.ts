import type { Context } from './context.js';
import type { FieldValue, TimelineEvent } from '../events/event.js';
import type { Warning } from '../warnings.js';
import { makeEvent } from '../events/build.js';
import { layerOwner } from './layer-files.js';
import { dmRoot, dmRoots, type DmRecord, type DmRoot } from './devicemapper-state.js';

/**
 * Time map of `devicemapper/metadata/` (see devicemapper-metadata.ts for what deviceset.go writes when):
 *   <hash>, base           -> devicemapper.device, the file's mtime
 *   deviceset-metadata     -> devicemapper.deviceset_saved, the file's mtime
 *   transaction-metadata   -> devicemapper.transaction, the file's mtime (at the end: it is read against the device files)
 *
 * All are `Content Modification Time`: the time is the metadata file's mtime, and its content is what
 * the engine last saved (writeMetaFile replaces the file whole), so it is when that state was written;
 * what that state change was is said in the message. `Metadata Modification Time` would tell a reader
 * (and a bodyfile, which puts it in the ctime column) that it is an inode change time, which it is not.
 */
const DESC = 'Content Modification Time';
const COMMON = { source: 'DOCKER', parser: 'docker_timeline/devicemapper_metadata' } as const;

/** An integer field: a number where it is exact, else its decimal text. */
const num = (v: unknown): FieldValue | undefined => (typeof v === 'bigint' ? (v >= -(2n ** 53n) && v <= 2n ** 53n ? Number(v) : v.toString()) : undefined);
const text = (v: unknown): string | undefined => (typeof v === 'bigint' ? v.toString() : typeof v === 'string' ? v : undefined);
const bool = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : undefined);

/** `10 GiB`, `1.5 MiB`, `512 bytes` (the exact number is the event's device_size). */
export function sizeText(n: bigint): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let i = -1;
  while (i < units.length - 1 && n >= 1024n ** BigInt(i + 2)) i++;
  if (i < 0) return `${n} bytes`;
  const v = Number(n) / 1024 ** (i + 1);
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[i]}`;
}

/** A hash as messages show it: 12 characters, and `-init` kept (a container's init layer). */
const shortHash = (h: string): string => `${h.slice(0, 12)}${h.endsWith('-init') && h.length > 17 ? '...-init' : ''}`;

interface DeviceOwner { text: string; role: string; containerId?: string; imageId?: string; users?: string }

/** Whose device a hash is: the base device, a container's writable or init layer, or an image layer (the hash is the graphdriver id). */
function ownerOf(ctx: Context, hash: string): DeviceOwner {
  if (hash === '' || hash === 'base') return { text: 'base device', role: 'base device' };
  const o = layerOwner(ctx, hash);
  const text = o.containerId ? `${ctx.label(o.containerId)} ${o.role}` : `${o.role}${o.users ? ` of ${o.users}` : ''}`;
  return { text, role: o.role, containerId: o.containerId, imageId: o.imageId, users: o.users || undefined };
}

function ownerFields(hash: string, o: DeviceOwner): Record<string, FieldValue | undefined> {
  return { layer: hash === '' || hash === 'base' ? undefined : hash, layer_role: o.role, images: o.users, storage_driver: 'devicemapper' };
}

/** What the time of a device file means, from when deviceset.go saves it. */
function deviceMeaning(r: DmRecord, role: string): string {
  const v = r.values;
  if (r.error) return `metadata not readable (${r.error}); dated by the file's mtime`;
  if (r.refused) return "metadata last written then, but the engine would not load this file (see the warnings); dated by the file's mtime";
  if (r.name === 'base') {
    const unfinished = v.initialized === false ? '; not initialized: its file system was never finished (the engine deletes and remakes it at its next start)' : '';
    return `the file system every bottom image layer is a snapshot of; metadata last written when it was made and its file system created (or grown to dm.basesize)${unfinished}`;
  }
  if (v.deleted === true) return 'marked for deferred deletion: metadata last written when the deletion was deferred (the pool could not drop the device yet; the engine retries later)';
  const when = role === 'image layer' ? ': the layer was pulled, loaded or built here then' : role === 'writable layer' || role === 'init layer' ? ': the container was created then' : '';
  return `metadata written when the device was made${when} (deviceset.go registerDevice; the engine rewrites it only to mark a deferred deletion)`;
}

function deviceEvent(r: DmRecord, ctx: Context): TimelineEvent | null {
  if (r.entry.mtime === undefined) return null;
  const v = r.values;
  const owner = ownerOf(ctx, r.name);
  const parts = [
    v.device_id !== undefined ? `thin id ${v.device_id}` : null,
    typeof v.size === 'bigint' ? sizeText(v.size) : null,
    v.transaction_id !== undefined ? `transaction ${v.transaction_id}` : null,
  ].filter((p) => p !== null);
  const what = r.name === 'base' ? 'base device' : `device ${shortHash(r.name)}`;
  return makeEvent(ctx, {
    ...COMMON, timeNs: r.entry.mtime, timestampDesc: DESC, kind: 'devicemapper.device',
    message: `devicemapper ${what}${parts.length ? ` (${parts.join(', ')})` : ''}${r.name === 'base' ? '' : ` [${owner.text}]`}: ${deviceMeaning(r, owner.role)}`,
    sourcetype: 'Docker devicemapper Device', dataType: 'docker:devicemapper:device',
    evidence: r.entry.path, offset: 0, inode: r.entry.inode, containerId: owner.containerId, imageId: owner.imageId,
    fields: {
      device_hash: r.name, device_id: num(v.device_id), device_size: text(v.size), transaction_id: text(v.transaction_id),
      initialized: bool(v.initialized), deleted: bool(v.deleted), ...ownerFields(r.name, owner),
      unexpected_keys: r.unexpected.length ? r.unexpected.join(', ') : undefined, metadata_error: r.error ?? undefined,
      engine_refuses_file: r.refused ? true : undefined,
    },
  });
}

function deviceSetEvent(r: DmRecord, ctx: Context): TimelineEvent | null {
  if (r.entry.mtime === undefined) return null;
  const v = r.values;
  const parts = [
    v.next_device_id !== undefined ? `next device id ${v.next_device_id}` : null,
    typeof v.BaseDeviceFilesystem === 'string' && v.BaseDeviceFilesystem ? `base file system ${v.BaseDeviceFilesystem}` : null,
    typeof v.BaseDeviceUUID === 'string' && v.BaseDeviceUUID ? `base device UUID ${v.BaseDeviceUUID}` : null,
  ].filter((p) => p !== null);
  return makeEvent(ctx, {
    ...COMMON, timeNs: r.entry.mtime, timestampDesc: DESC, kind: 'devicemapper.deviceset_saved',
    message: `devicemapper device set metadata${parts.length ? ` (${parts.join(', ')})` : ''}: ${r.error ? `not readable (${r.error}); dated by the file's mtime` : r.refused ? "last written then, but the engine would not load it (see the warnings)" : 'last written then; deviceset.go writes it at every orderly engine shutdown and when the base device\'s file system is made or its UUID recorded, so this is usually the last orderly shutdown'}`,
    sourcetype: 'Docker devicemapper Device Set', dataType: 'docker:devicemapper:deviceset',
    evidence: r.entry.path, offset: 0, inode: r.entry.inode,
    fields: {
      next_device_id: num(v.next_device_id), base_device_uuid: text(v.BaseDeviceUUID), base_device_filesystem: text(v.BaseDeviceFilesystem),
      storage_driver: 'devicemapper', unexpected_keys: r.unexpected.length ? r.unexpected.join(', ') : undefined, metadata_error: r.error ?? undefined,
      engine_refuses_file: r.refused ? true : undefined,
    },
  });
}

/** Device records are dated now; the set's transaction waits for every device file (see transactionEvents). */
export function* deviceEvents(r: DmRecord, ctx: Context): Iterable<TimelineEvent> {
  const state = dmRoot(ctx, r.root);
  state.files++;
  if (r.file === 'transaction') {
    state.transactions.push(r);
    return;
  }
  if (r.file === 'deviceset') {
    const e = deviceSetEvent(r, ctx);
    if (e) yield e;
  }
  if (r.file !== 'device') return;
  const tid = r.values.transaction_id;
  const deleted = r.values.deleted;
  state.devices.set(r.name === 'base' ? '' : r.name, { transactionId: typeof tid === 'bigint' ? tid : undefined, deleted: typeof deleted === 'boolean' ? deleted : undefined });
  const e = deviceEvent(r, ctx);
  if (e) yield e;
}

/** What the device files say about the last transaction (openTransaction is called by device creation and deletion only). */
function reading(state: DmRoot, hash: string, open: bigint | undefined): [string, string] {
  if (state.devices.size === 0) return ['no device files in the evidence', 'no device metadata files here to read it against'];
  const d = state.devices.get(hash);
  if (!d) return ['absent', 'the device has no metadata file here: the transaction deleted it (unregisterDevice removes the file once the pool has dropped the device), or it made it and was cut short before the device file was written'];
  if (d.deleted === true) return ['present, marked deleted', 'the device is marked for deferred deletion: the transaction was its deletion, deferred while the device was busy'];
  if (open !== undefined && d.transactionId === open) return ['present, same transaction id', 'the device file carries the same transaction id: the transaction made the device (createRegisterDevice / createRegisterSnapDevice)'];
  return ['present, other transaction id', 'the device file carries another transaction id: the transaction was a deletion of it that failed or did not finish'];
}

/** The set's last opened transaction, read against the device files of its data root. */
export function* transactionEvents(ctx: Context, _warn: (w: Omit<Warning, 'artifact'>) => void): Iterable<TimelineEvent> {
  for (const state of dmRoots(ctx).values()) {
    for (const r of state.transactions) {
      if (r.entry.mtime === undefined) continue;
      const v = r.values;
      const hash = typeof v.device_hash === 'string' ? v.device_hash : undefined;
      const open = typeof v.open_transaction_id === 'bigint' ? v.open_transaction_id : undefined;
      const owner = hash === undefined || hash === '' ? null : ownerOf(ctx, hash);
      const [file, meaning] = hash === undefined ? [undefined, 'no device named'] : reading(state, hash, open);
      const device = hash === undefined ? 'an unnamed device' : hash === '' ? 'the base device' : `device ${shortHash(hash)}`;
      yield makeEvent(ctx, {
        ...COMMON, timeNs: r.entry.mtime, timestampDesc: DESC, kind: 'devicemapper.transaction',
        message: r.error
          ? `devicemapper transaction metadata not readable (${r.error}); dated by the file's mtime`
          : `devicemapper transaction ${open ?? '(no id)'} opened for ${device}${v.device_id !== undefined ? ` (thin id ${v.device_id})` : ''}${owner ? ` [${owner.text}]` : ''}: ${meaning}`,
        sourcetype: 'Docker devicemapper Transaction', dataType: 'docker:devicemapper:transaction',
        evidence: r.entry.path, offset: 0, inode: r.entry.inode, containerId: owner?.containerId, imageId: owner?.imageId,
        fields: {
          open_transaction_id: text(v.open_transaction_id), device_hash: hash === '' ? 'base' : hash, device_id: num(v.device_id), device_file: file,
          ...(owner && hash !== undefined ? ownerFields(hash, owner) : { layer_role: hash === '' ? 'base device' : undefined, storage_driver: 'devicemapper' }),
          unexpected_keys: r.unexpected.length ? r.unexpected.join(', ') : undefined, metadata_error: r.error ?? undefined,
        },
      });
    }
  }
}
