import test from 'ava';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { extract } from '../helpers/run.ts';
import { DM, DM_TIMES, devInfoJson, makeDevicemapperRoot as make, nsOf, setMtime, tarOf as tar, transactionJson } from '../helpers/devicemapper.ts';
import type { TimelineEvent } from '../../src/events/event.ts';

// No engine here runs devicemapper: the data roots are built as moby's deviceset.go (20.10) writes
// its metadata (test/helpers/devicemapper.ts), with a layer database for attribution.

const made: string[] = [];
test.after.always(() => { for (const p of made) rmSync(p, { recursive: true, force: true }); });
const makeDevicemapperRoot = (...a: Parameters<typeof make>): ReturnType<typeof make> => { const r = make(...a); made.push(r.root); return r; };
const tarOf = (root: string): string => { const f = tar(root); made.push(f); return f; };

const MD = 'devicemapper/metadata';
const dm = (events: TimelineEvent[]): TimelineEvent[] => events.filter((e) => e.kind.startsWith('devicemapper.'));
const byFile = (events: TimelineEvent[], name: string): TimelineEvent => dm(events).find((e) => e.evidence === `${MD}/${name}`)!;
const hex = (n: number): string => String(n).repeat(64);

test('one event per device file, dated by its mtime to the nanosecond, with the values deviceset.go wrote and the layer the device is', async (t) => {
  const { root, imageId } = makeDevicemapperRoot();
  const { events, warnings } = await extract([root]);
  t.deepEqual(warnings.list, []);
  const devices = dm(events).filter((e) => e.kind === 'devicemapper.device');
  t.deepEqual(devices.map((e) => [e.evidence.slice(MD.length + 1), e.timeNs]), [
    ['base', nsOf(DM_TIMES.base)],
    [DM.cache, nsOf(DM_TIMES.layer)],
    [`${DM.mount}-init`, nsOf(DM_TIMES.init)],
    [DM.mount, nsOf(DM_TIMES.mount)],
    [DM.busy, nsOf(DM_TIMES.busy)],
  ]);
  for (const e of devices) {
    t.is(e.timestampDesc, 'Content Modification Time');
    t.is(e.source, 'DOCKER');
    t.is(e.parser, 'docker_timeline/devicemapper_metadata');
    t.is(e.offset, 0);
  }
  const base = byFile(events, 'base');
  t.deepEqual(base.fields, { device_hash: 'base', device_id: 1, device_size: '10737418240', transaction_id: '1', initialized: true, deleted: false, layer_role: 'base device', storage_driver: 'devicemapper' });
  t.is(base.message, 'devicemapper base device (thin id 1, 10 GiB, transaction 1): the file system every bottom image layer is a snapshot of; metadata last written when it was made and its file system created (or grown to dm.basesize)');
  t.is(base.containerId, undefined);

  const layer = byFile(events, DM.cache);
  t.deepEqual(layer.fields, {
    device_hash: DM.cache, device_id: 2, device_size: '10737418240', transaction_id: '2', initialized: false, deleted: false,
    layer: DM.cache, layer_role: 'image layer', images: 'busybox:latest', storage_driver: 'devicemapper',
  });
  t.is(layer.imageId, `sha256:${imageId}`);
  t.is(layer.message, `devicemapper device ${DM.cache.slice(0, 12)} (thin id 2, 10 GiB, transaction 2) [image layer of busybox:latest]: metadata written when the device was made: the layer was pulled, loaded or built here then (deviceset.go registerDevice; the engine rewrites it only to mark a deferred deletion)`);

  const init = byFile(events, `${DM.mount}-init`);
  t.like(init, { containerId: DM.container, containerName: 'web', imageId: `sha256:${imageId}` });
  t.like(init.fields, { device_id: 4, transaction_id: '4', layer: `${DM.mount}-init`, layer_role: 'init layer' });
  t.regex(init.message, /^devicemapper device [0-9a-f]{12}\.\.\.-init \(thin id 4, 10 GiB, transaction 4\) \[web init layer\]: .*the container was created then/);
  const rw = byFile(events, DM.mount);
  t.like(rw, { containerId: DM.container, containerName: 'web' });
  t.like(rw.fields, { device_id: 5, layer: DM.mount, layer_role: 'writable layer' });

  const busy = byFile(events, DM.busy);
  t.like(busy.fields, { device_id: 3, deleted: true, layer_role: 'layer of no known image or container' });
  t.regex(busy.message, /marked for deferred deletion: metadata last written when the deletion was deferred/);
});

test('deviceset-metadata: next device id, base file system and UUID, dated by its mtime (the last orderly shutdown)', async (t) => {
  const { root } = makeDevicemapperRoot();
  const { events } = await extract([root]);
  const set = byFile(events, 'deviceset-metadata');
  t.is(set.kind, 'devicemapper.deviceset_saved');
  t.is(set.timeNs, nsOf(DM_TIMES.deviceset));
  t.is(set.timestampDesc, 'Content Modification Time');
  t.deepEqual(set.fields, { next_device_id: 7, base_device_uuid: DM.uuid, base_device_filesystem: 'xfs', storage_driver: 'devicemapper' });
  t.regex(set.message, /usually the last orderly shutdown/);
});

test('transaction-metadata is read against the device files: deleted, made, deletion deferred, deletion unfinished, the base device', async (t) => {
  const cases: [string, string, string, RegExp, Partial<TimelineEvent>][] = [
    ['a removed container (default)', transactionJson(10, `${DM.oldMount}-init`, 6), 'absent', /transaction 10 opened for device [0-9a-f]{12}\.\.\.-init \(thin id 6\) \[layer of no known image or container\]: the device has no metadata file here: the transaction deleted it/, {}],
    ['web created', transactionJson(5, DM.mount, 5), 'present, same transaction id', /\[web writable layer\]: .*the transaction made the device/, { containerId: DM.container, containerName: 'web' }],
    ['the busy layer', transactionJson(8, DM.busy, 3), 'present, marked deleted', /the transaction was its deletion, deferred/, {}],
    ['the image layer', transactionJson(11, DM.cache, 2), 'present, other transaction id', /\[image layer of busybox:latest\]: .*a deletion of it that failed or did not finish/, {}],
    ['the base device', transactionJson(1, '', 1), 'present, same transaction id', /opened for the base device \(thin id 1\): .*the transaction made the device/, {}],
  ];
  for (const [what, json, file, message, like] of cases) {
    const { root } = makeDevicemapperRoot({ loop: 'none', transaction: json });
    setMtime(path.join(root, MD, 'transaction-metadata'), DM_TIMES.transaction);
    const { events, warnings } = await extract([root]);
    t.deepEqual(warnings.list, [], what);
    const tx = dm(events).filter((e) => e.kind === 'devicemapper.transaction');
    t.is(tx.length, 1, what);
    t.is(tx[0]!.timeNs, nsOf(DM_TIMES.transaction), what);
    t.is(tx[0]!.evidence, `${MD}/transaction-metadata`, what);
    t.is(tx[0]!.fields.device_file, file, what);
    t.regex(tx[0]!.message, message, what);
    t.is(tx[0]!.containerId, like.containerId, what);
    t.is(tx[0]!.containerName, like.containerName, what);
  }
  const { events } = await extract([makeDevicemapperRoot({ loop: 'none' }).root]);
  const tx = dm(events).find((e) => e.kind === 'devicemapper.transaction')!;
  t.deepEqual(tx.fields, {
    open_transaction_id: '10', device_hash: `${DM.oldMount}-init`, device_id: 6, device_file: 'absent',
    layer: `${DM.oldMount}-init`, layer_role: 'layer of no known image or container', storage_driver: 'devicemapper',
  });
});

test('the thin pool: one notice per data root naming its loop files (100 GB sparse: never read), or the block device; no other devicemapper notice', async (t) => {
  const started = Date.now();
  const { events, warnings } = await extract([makeDevicemapperRoot({ loop: 'sparse' }).root]);
  t.true(Date.now() - started < 20_000, 'reading the 100 GB pool file would take far longer');
  t.deepEqual(warnings.list, []);
  t.is(dm(events).length, 7);
  const notices = warnings.notices.filter((n) => /devicemapper/.test(n.message + n.evidence));
  t.deepEqual(notices.map((n) => [n.kind, n.level, n.artifact, n.evidence, n.offset]), [['not-read', 'notice', 'devicemapper thin pool', 'devicemapper', 0]]);
  t.is(notices[0]!.message, "devicemapper: each thin device's metadata (devicemapper/metadata/) is read; the files inside the devices (layer and container contents, so their file times and drift) are only in the thin pool, which this tool does not read: here the loop-lvm pool files devicemapper/devicemapper/data (107374182400 bytes, not opened) and devicemapper/devicemapper/metadata (2147483648 bytes, not opened)");
  t.is(warnings.notices.length, 1);

  const lvm = await extract([makeDevicemapperRoot({ loop: 'none' }).root]);
  t.deepEqual(lvm.warnings.notices.map((n) => n.message.replace(/^.*does not read: /, '')), ['no loop-lvm pool files (devicemapper/devicemapper/data, metadata) here: the pool was a block device (direct-lvm, dm.thinpooldev) outside the data root, or they are not in this evidence']);

  // a devicemapper folder with nothing in it (a driver tried once): the notice says only that
  const empty = makeDevicemapperRoot({ loop: 'none' }).root;
  rmSync(path.join(empty, MD), { recursive: true });
  const none = await extract([empty]);
  t.deepEqual(dm(none.events), []);
  t.deepEqual(none.warnings.notices.map((n) => [n.evidence, n.message.replace(/^.*does not read: /, '')]), [['devicemapper', 'neither device metadata nor loop-lvm pool files (devicemapper/devicemapper/data, metadata) are here']]);
});

test('as a tar: the same events (nanosecond times from pax records), the same warnings and notice as the directory', async (t) => {
  const { root } = makeDevicemapperRoot({
    loop: 'small',
    extra: { [`${MD}/${hex(1)}`]: '{"device_id":9,"size":1e3}', [`${MD}/${hex(2)}`]: { symlink: '/etc/passwd' } },
  });
  const dir = await extract([root]);
  const tar = await extract([tarOf(root)]);
  const view = (events: TimelineEvent[]): unknown[] => dm(events).map((e) => [e.timeNs, e.kind, e.evidence, e.message, e.fields, e.containerId, e.imageId]);
  t.is(dm(dir.events).length, 8);
  t.deepEqual(view(tar.events), view(dir.events));
  const warn = (w: typeof dir.warnings): unknown[] => [...w.list, ...w.notices].map((x) => [x.kind, x.evidence, x.offset, x.message]);
  t.deepEqual(warn(tar.warnings), warn(dir.warnings));
  t.deepEqual(dir.warnings.list.map((w) => [w.kind, w.evidence, w.offset]), [['bad-value', `${MD}/${hex(1)}`, 22], ['not-a-file', `${MD}/${hex(2)}`, 0]]);
});

test('hostile metadata files: warnings with path and offset, never a crash, nothing followed, nothing large read', async (t) => {
  const big = Buffer.concat([Buffer.from('{"device_id":1,"size":'), Buffer.alloc(10 << 20, 0x31), Buffer.from('}')]);
  const { root } = makeDevicemapperRoot({
    loop: 'none',
    extra: {
      [`${MD}/${hex(1)}`]: devInfoJson({ id: 11, size: 5n, tid: 11, init: false, del: false }).slice(0, 30),
      [`${MD}/${hex(2)}`]: '{"device_id":7,,"size":1}',
      [`${MD}/${hex(3)}`]: '{"device_id":"8","size":10737418240,"transaction_id":8,"initialized":1,"deleted":null}',
      [`${MD}/${hex(4)}`]: '{"device_id":16777216,"size":18446744073709551616,"transaction_id":18446744073709551615,"initialized":false,"deleted":false}',
      [`${MD}/${hex(5)}`]: '{"device_id":5,"size":1e3,"transaction_id":-1,"initialized":false,"deleted":false}',
      [`${MD}/${hex(6)}`]: '{"Device_ID":9,"size":1,"size":2,"transaction_id":9,"initialized":false,"deleted":false,"extra":1}',
      [`${MD}/${hex(7)}`]: big,
      [`${MD}/${hex(8)}/inside`]: devInfoJson({ id: 12, size: 5n, tid: 12, init: false, del: false }),
      [`${MD}/${hex(9)}`]: { symlink: 'base' },
      [`${MD}/${'a'.repeat(64)}`]: { symlink: '/etc/passwd' },
      [`${MD}/.tmp123456`]: devInfoJson({ id: 13, size: 5n, tid: 13, init: false, del: false }),
      // nesting 30 000 deep (checked without recursion), where an int belongs
      [`${MD}/${hex(0)}`]: `{"device_id":${'['.repeat(30000)}${']'.repeat(30000)},"size":1}`,
      [`${MD}/${'b'.repeat(64)}`]: '[1]',
    },
  });
  const started = Date.now();
  const { events, warnings } = await extract([root]);
  t.true(Date.now() - started < 20_000);
  const at = (n: string): string => `${MD}/${n}`;
  t.deepEqual(warnings.list.map((w) => [w.kind, w.evidence, w.offset]), [
    ['bad-value', at(hex(0)), 13],
    ['truncated', at(hex(1)), 30],
    ['bad-json', at(hex(2)), 15],
    ['bad-value', at(hex(3)), 13],
    ['bad-value', at(hex(3)), 69],
    ['bad-value', at(hex(3)), 81],
    ['bad-value', at(hex(4)), 29],
    ['bad-value', at(hex(4)), 13],
    ['bad-value', at(hex(5)), 22],
    ['bad-value', at(hex(5)), 43],
    ['odd-key', at(hex(6)), 1],
    ['duplicate-key', at(hex(6)), 24],
    ['odd-key', at(hex(6)), 88],
    ['too-large', at(hex(7)), 0],
    ['not-a-file', at(hex(8)), 0],
    ['not-a-file', at(hex(9)), 0],
    ['not-a-file', at('a'.repeat(64)), 0],
    ['bad-json', at('b'.repeat(64)), 0],
  ]);
  const msg = (n: string, i = 0): string => warnings.list.filter((w) => w.evidence === at(n))[i]!.message;
  t.regex(msg(hex(0)), /^device_id: array \[{40}\.\.\. \(60000 bytes\) where Go's int takes an integer; not used/);
  t.regex(msg('b'.repeat(64)), /^not a JSON object \(byte 0 starts something else\)/);
  t.regex(msg(hex(1)), /^the text ends at byte 30 .*: cut short \(30 bytes; deviceset.go loadMetadata refuses the file/);
  t.regex(msg(hex(3)), /^device_id: string "8" where Go's int takes an integer; not used/);
  t.regex(msg(hex(3), 2), /^deleted: null where the engine writes true or false; json.Unmarshal leaves the field unchanged$/);
  t.regex(msg(hex(4)), /^size: number 18446744073709551616 overflows Go's uint64/);
  t.regex(msg(hex(4), 1), /^device_id 16777216 is outside the thin pool's 24-bit device ids \(0 to 16777215\); deviceset.go loadMetadata refuses the device$/);
  t.regex(msg(hex(5)), /^size: number 1e3 where Go's uint64 takes an integer from 0 to 18446744073709551615/);
  t.regex(msg(hex(6)), /^key "Device_ID" is not spelled as the engine writes it \("device_id"\); Go's json.Unmarshal matches keys without regard to case/);
  t.is(msg(hex(7)), '10485783 bytes: larger than the 65536-byte limit for a metadata file (the engine writes about 100); not read');
  t.is(msg(hex(9)), 'a symbolic link to "base" where the engine keeps a device\'s metadata file; recorded, not followed or opened (the engine would follow it: os.ReadFile)');
  t.regex(msg('a'.repeat(64)), /^a symbolic link to "\/etc\/passwd" .*recorded, not followed or opened/);
  t.regex(msg(hex(8)), /^a directory where the engine keeps a device's metadata file; recorded, not read/);
  t.deepEqual(warnings.notices.map((n) => [n.kind, n.evidence]), [['not-read', at('.tmp123456')], ['not-read', 'devicemapper']]);

  // an event for each regular device file (its mtime is evidence), none for the link, the folder, the .tmp file
  const f = (n: string): TimelineEvent['fields'] | undefined => byFile(events, n)?.fields;
  t.is(dm(events).length, 7 + 9);
  for (const n of [hex(8), hex(9), 'a'.repeat(64), '.tmp123456', `${hex(8)}/inside`]) t.false(dm(events).some((e) => e.evidence === at(n)), n);
  t.like(f(hex(1)), { metadata_error: 'the text ends at byte 30 where the end of a string should follow: cut short', device_id: undefined });
  t.like(f(hex(3)), { device_id: undefined, device_size: '10737418240', transaction_id: '8', initialized: undefined, deleted: undefined, engine_refuses_file: true });
  t.like(f(hex(4)), { device_id: 16777216, device_size: undefined, transaction_id: '18446744073709551615', engine_refuses_file: true });
  t.like(f(hex(6)), { device_id: 9, device_size: '2', unexpected_keys: 'extra', engine_refuses_file: undefined });
  t.like(f(hex(7)), { metadata_error: 'larger than 65536 bytes, not read' });
  t.regex(byFile(events, hex(3)).message, /the engine would not load this file \(see the warnings\)/);
});
