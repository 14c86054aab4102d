import test from 'ava';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { extract, INCIDENT, type Extracted } from './helpers/run.ts';
import { labTar, removeLabCopies, type LabCopy } from './helpers/real-lab.ts';
import { saveRebuilt, writeTar } from './helpers/tar-entries.ts';
import { rebuildAufs, type AufsRebuild } from './helpers/rebuild-aufs.ts';
import { rebuildZfs } from './helpers/rebuild-zfs.ts';
import { containerStack, loadStory, statTruth } from './helpers/rebuilt-truth.ts';
import { checker, checkTimeline, type Rebuilt } from './helpers/rebuilt-checks.ts';

/**
 * aufs (1.10+ layout) and zfs cannot run here (the lab's driver-probe.txt, dockerd 20.10.24 on kernel
 * 6.18.44: aufs "AUFS was not found in /proc/filesystems ... driver not supported"; zfs "error
 * initializing graphdriver: prerequisites for driver not satisfied (wrong filesystem?)"), so their
 * layouts are rebuilt in the test from real engine evidence, following the drivers' source (see
 * helpers/rebuild-aufs.ts, rebuild-zfs.ts): aufs from overlay2-incident (a 20.10.24 engine's
 * overlay2 root: diff layers, whiteouts, an opaque folder, BuildKit and committed layers), zfs from
 * vfs-small (the same engine's full copies), dead-box and live, as a tar and unpacked. Nothing is
 * written to fixtures/. The timelines are compared value by value with each story's engine truth.
 */
const aufsStory = loadStory('overlay2-incident');
const zfsStory = loadStory('vfs-small');
const COPIES: [string, LabCopy, boolean][] = [
  ['dead-box tar', 'dataroot', false], ['live tar', 'dataroot-live', false],
  ['dead-box unpacked', 'dataroot', true], ['live unpacked', 'dataroot-live', true],
];
const dirs: string[] = [];
test.after.always(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  removeLabCopies();
});

const built = new Map<string, Promise<{ archive: string; unpacked: string; aufs?: AufsRebuild }>>();
function rebuilt(driver: 'aufs' | 'zfs', copy: LabCopy): Promise<{ archive: string; unpacked: string; aufs?: AufsRebuild }> {
  const key = `${driver} ${copy}`;
  if (!built.has(key)) {
    built.set(key, (async () => {
      const aufs = driver === 'aufs' ? await rebuildAufs(readFileSync(path.join(INCIDENT, `${copy}.tar.gz`))) : undefined;
      const saved = saveRebuilt(await writeTar(aufs ? aufs.entries : await rebuildZfs(labTar('vfs-small', copy))), copy);
      dirs.push(path.dirname(saved.archive));
      return { ...saved, aufs };
    })());
  }
  return built.get(key)!;
}
const runs = new Map<string, Promise<Extracted>>();
const run = (driver: 'aufs' | 'zfs', copy: LabCopy, unpacked: boolean): Promise<Extracted> => {
  const key = `${driver} ${copy} ${unpacked}`;
  if (!runs.has(key)) runs.set(key, rebuilt(driver, copy).then((b) => extract([unpacked ? b.unpacked : b.archive])));
  return runs.get(key)!;
};

const SOURCE = { aufs: (layer: string, p: string) => `docker/overlay2/${layer}/diff${p}`, zfs: (layer: string, p: string) => `docker/vfs/dir/${layer}${p}` };
const FOLDER = { aufs: /(?:^|\/)aufs\/diff\/([0-9a-z]+(?:-init)?)(?:\/|$)/, zfs: /(?:^|\/)zfs\/graph\/([0-9a-z]+(?:-init)?)(?:\/|$)/ };

for (const [driver, story] of [['aufs', aufsStory], ['zfs', zfsStory]] as const) {
  const stat = statTruth(story);
  for (const [label, copy, unpacked] of COPIES) {
    test(`${driver} layout rebuilt from ${story.name} (${label}): containers, names, lifecycle, every log line, images, layer order and attribution, drift equal the engine truth`, async (t) => {
      const { events, warnings } = await run(driver, copy, unpacked);
      t.deepEqual(warnings.list, []);
      const r: Rebuilt = {
        story, driver, diffLayers: driver === 'aufs', live: copy === 'dataroot-live', unpacked,
        layerOf: (e) => FOLDER[driver].exec(e)?.[1] ?? null,
        statTime: copy === 'dataroot' ? (layer, p, which) => stat.get(SOURCE[driver](layer, p))?.[which] : undefined,
      };
      const v = checker(t);
      checkTimeline(v, r, events);
      t.log(`${v.count} values equal the engine truth`);
      t.true(v.count > (driver === 'aufs' ? 1000 : 100), `${v.count} values`);
    });
  }

  for (const unpacked of [false, true]) {
    test(`${driver} layout rebuilt from ${story.name} (dead-box ${unpacked ? 'unpacked: mtime' : 'tar: mtime, atime, ctime'}): every layer entry kept from the engine has its stat-truth times; ${driver === 'aufs' ? 'the only others are aufs\'s whiteouts, opaque markers and metadata' : 'there is no other'}`, async (t) => {
      const { events } = await run(driver, 'dataroot', unpacked);
      const { aufs } = await rebuilt(driver, 'dataroot');
      const made: string[] = [];
      let compared = 0;
      for (const e of events) {
        if (e.parser !== 'docker_timeline/layer_files' || !['file.mtime', 'file.atime', 'file.ctime'].includes(e.kind) || (unpacked && e.kind !== 'file.mtime')) continue;
        const layer = FOLDER[driver].exec(e.evidence)![1]!;
        const p = String(e.fields.path) === '/' ? '' : String(e.fields.path);
        const truth = stat.get(SOURCE[driver](layer, p));
        if (!truth) {
          if (e.kind === 'file.mtime') made.push(`${layer}${p}`);
          continue;
        }
        t.is(e.timeNs, truth[e.kind.slice(5) as 'mtime' | 'atime' | 'ctime'], `${e.evidence} ${e.kind}`);
        compared++;
      }
      t.log(`${compared} times compared`);
      t.true(compared > (driver === 'aufs' ? 450 : 1400) * (unpacked ? 1 : 3), `${compared} times`);
      if (driver === 'zfs') return t.deepEqual(made, []);
      // aufs: its metadata in each folder it mounted, a .wh.<name> per overlay whiteout device, a .wh..wh..opq per opaque folder
      const want: string[] = [];
      for (const l of aufs!.mounted) want.push(`${l}/.wh..wh.aufs`, `${l}/.wh..wh.orph`, `${l}/.wh..wh.plnk`);
      for (const [p, row] of stat) {
        const m = /^docker\/overlay2\/([0-9a-z]+(?:-init)?)\/diff((?:\/.+)?)\/([^/]+)$/.exec(p);
        if (m && row.type === 'c' && row.dev === '0,0') want.push(`${m[1]}${m[2]}/.wh.${m[3]}`);
        if (m && row.type === 'd' && row.xattrs.includes('trusted.overlay.opaque=')) want.push(`${m[1]}${m[2]}/${m[3]}/.wh..wh..opq`);
      }
      t.deepEqual(made.sort(), want.sort());
    });
  }

  test(`${driver} layout rebuilt from ${story.name}: every tar-split header of an image layer is an entry of its folder (same mtime to the second), which holds nothing else${driver === 'aufs' ? ' but aufs\'s metadata' : ''}`, async (t) => {
    const { events } = await run(driver, 'dataroot', false);
    const onDisk = new Map<string, bigint>();
    for (const e of events) {
      if (e.kind !== 'file.mtime' || e.fields.layer_role !== 'image layer' || /\/\.wh\.\.wh\.(aufs|plnk|orph)(\/|$)/.test(String(e.fields.path))) continue;
      onDisk.set(`${FOLDER[driver].exec(e.evidence)![1]} ${e.fields.path}`, e.timeNs / 1_000_000_000n);
    }
    const headers = events.filter((e) => e.kind === 'layer.file.mtime');
    // a layer folder itself ('/'): in the tar of an import, not in one docker made of a container's changes
    const noRoot = (k: string): boolean => !k.endsWith(' /');
    t.deepEqual(headers.map((e) => `${e.fields.layer} ${e.fields.path}`).filter(noRoot).sort(), [...onDisk.keys()].filter(noRoot).sort());
    // and the folder was made before the tar was untarred into it: not dated by its header
    const differ = headers.filter((e) => onDisk.get(`${e.fields.layer} ${e.fields.path}`) !== e.timeNs / 1_000_000_000n).map((e) => e.fields.path);
    t.deepEqual([...new Set(differ)], ['/']);
    t.true(headers.length > 250);
  });
}

test('aufs layout rebuilt from overlay2-incident: aufs/layers/<id> lists the ancestors newest first, as the engine stacked each container and image', async (t) => {
  const { aufs } = await rebuilt('aufs', 'dataroot');
  for (const c of aufsStory.containers) {
    const stack = containerStack(aufsStory, c);
    t.deepEqual(aufs!.layers.get(stack.at(-1)!), stack.slice(0, -1).reverse(), `${c.name} writable layer`);
    t.deepEqual(aufs!.layers.get(stack.at(-2)!), stack.slice(0, -2).reverse(), `${c.name} init layer`);
  }
  for (const [id, layers] of aufsStory.imageLayers) t.deepEqual(aufs!.layers.get(layers.at(-1)!), layers.slice(0, -1).reverse(), id);
});

test('aufs layout rebuilt from overlay2-incident: aufs\'s own .wh..wh.aufs, .wh..wh.plnk, .wh..wh.orph are layer files marked as aufs metadata and never changes; whiteouts and the opaque marker are named as such', async (t) => {
  const { events } = await run('aufs', 'dataroot', false);
  const { aufs } = await rebuilt('aufs', 'dataroot');
  const meta = events.filter((e) => e.kind === 'file.mtime' && /\/\.wh\.\.wh\.(aufs|plnk|orph)$/.test(String(e.fields.path)));
  t.is(meta.length, 3 * aufs!.mounted.size);
  t.true(aufs!.mounted.size >= 24);
  t.true(meta.every((e) => e.fields.storage_driver === 'aufs' && e.message.includes('; aufs metadata]')));
  t.false(events.some((e) => e.kind === 'container.drift' && String(e.fields.path).includes('.wh.')));
  const web = events.filter((e) => e.containerName === 'web' && e.kind === 'file.mtime' && e.fields.layer_role === 'writable layer');
  t.regex(web.find((e) => e.fields.path === '/etc/.wh.motd')!.message, /; aufs whiteout\]/);
  t.regex(web.find((e) => e.fields.path === '/var/www/static/.wh..wh..opq')!.message, /; aufs opaque\]/);
  const drift = (p: string) => events.find((e) => e.containerName === 'web' && e.kind === 'container.drift' && e.fields.path === p)!;
  t.is(drift('/etc/motd').fields.change, 'D');
  t.regex(drift('/etc/motd').message, /whiteouts share one inode/);
  t.regex(drift('/var/www/static/app.js').message, /hidden by an opaque directory/);
  t.regex(String(drift('/etc/shadow').fields.change_detail), /^metadata change only \(mode -rw-r----- -> -rw-rw-rw-/);
  t.true(drift('/tmp/.x/tool.sh').fields.timestomp_suspected);
});

/**
 * zfs as a copy of a running engine really holds it: Put unmounts a dataset and removes its mount
 * point, so only mounted datasets (a running container's writable layer) are folders under
 * zfs/graph; its init layer and the image layer are not. Told against nothing, every file of that
 * full copy would look added (the tool said so, 298 "A" changes for svc, before drift.timemap.ts
 * refused to compare a full copy without its parent).
 */
test('zfs layout as a copy of the running engine holds it (only the running container\'s dataset mounted): no drift is made up, a warning says why', async (t) => {
  const svc = zfsStory.containers.find((c) => c.name === 'svc')!;
  const mount = zfsStory.mounts.get(svc.id)!;
  const entries = (await rebuildZfs(labTar('vfs-small', 'dataroot-live'))).filter((e) => !/^docker\/zfs\/graph\/[^/]+\//.test(e.header.name) || e.header.name.startsWith(`docker/zfs/graph/${mount}/`));
  const saved = saveRebuilt(await writeTar(entries), 'mounted-only');
  dirs.push(path.dirname(saved.archive));
  for (const evidence of [saved.archive, saved.unpacked]) {
    const { events, warnings } = await extract([evidence]);
    t.deepEqual(events.filter((e) => e.kind === 'container.drift'), [], evidence);
    t.deepEqual(warnings.list.map((w) => `${w.kind} ${/^container (\S+):/.exec(w.message)?.[1]}`).sort(), ['drift-incomplete oneshot', 'drift-incomplete svc']);
    t.regex(warnings.list.find((w) => w.message.startsWith('container svc'))!.message, new RegExp(`the copy its changes are told against \\(zfs:${mount}-init\\) is not in the evidence; no drift computed \\(a zfs dataset is a folder here only if it was mounted`));
    // its files are still in the timeline, as the container's writable layer
    t.true(events.some((e) => e.containerName === 'svc' && e.fields.layer_role === 'writable layer' && e.fields.path === '/tmp/dropper.sh'));
  }
});
