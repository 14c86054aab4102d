import test from 'ava';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { extract, FIXTURES } from './helpers/run.ts';
import { liveCutoff, truthContainers, truthLifecycle, truthLogLines } from './helpers/truth.ts';

const SMALL = path.join(FIXTURES, 'overlay-small');
const smallTruth = truthContainers(path.join(SMALL, 'truth'));
const diffTxt = (dir: string, name: string): string[] =>
  readFileSync(path.join(dir, 'truth/containers', `${name}.diff.txt`), 'utf8').split('\n').filter((l) => /^[ACD] \//.test(l)).sort();

for (const [copy, live] of [['dataroot.tar.gz', false], ['dataroot-live.tar.gz', true]] as const) {
  test(`overlay (v1) ${copy}: drift, lifecycle and logs equal the engine truth`, async (t) => {
    const { events, warnings } = await extract([path.join(SMALL, copy)]);
    t.deepEqual(warnings.list, []);
    const cutoff = live ? liveCutoff(path.join(SMALL, 'actions.log')) : null;
    for (const c of smallTruth) {
      const drift = events.filter((e) => e.containerId === c.id && e.fields.change).map((e) => `${e.fields.change} ${e.fields.path}`).sort();
      t.deepEqual(drift, diffTxt(SMALL, c.name), `${c.name} drift`);
      t.true(events.filter((e) => e.containerId === c.id && e.fields.change).every((e) => e.fields.storage_driver === 'overlay'));
      for (const w of truthLifecycle(c)) {
        if (cutoff !== null && w.ns > cutoff) continue;
        t.true(events.some((e) => e.containerId === c.id && e.timeNs === w.ns && e.kind.startsWith('container.')), `${c.name} ${w.label}`);
      }
      for (const l of truthLogLines(path.join(SMALL, 'truth'), c.name)) {
        if (cutoff !== null && l.ns > cutoff) continue;
        t.true(events.some((e) => e.containerId === c.id && e.timeNs === l.ns && e.kind === 'container.log' && e.message.includes(l.text)), `${c.name} log ${l.text}`);
      }
    }
    const svc = events.filter((e) => e.containerName === 'svc' && e.fields.change);
    t.regex(svc.find((e) => e.fields.path === '/etc/group')!.message, /metadata change only \(mode -rw-r--r-- -> -rwxrwxrwx/);
    t.is(svc.find((e) => e.fields.path === '/etc/motd')!.fields.change, 'D');
  });
}

test('overlay (v1): image layers are full trees of hard links; each file is listed once, not once per layer', async (t) => {
  const { events } = await extract([path.join(SMALL, 'dataroot.tar.gz')]);
  const root = events.filter((e) => e.kind === 'file.mtime' && e.fields.storage_driver === 'overlay' && e.fields.layer_role === 'image layer');
  const paths = root.map((e) => e.fields.path);
  t.is(new Set(paths).size, paths.length);
  t.true(paths.includes('/etc/passwd'));
});

test('aufs, pre-1.10 layout (docker-explorer aufs.v1): three containers, one running, the one it changed', async (t) => {
  const { events, warnings } = await extract([path.join(FIXTURES, 'docker-explorer/aufs.v1.tgz')]);
  t.deepEqual(warnings.list, []);
  const created = events.filter((e) => e.kind === 'container.created');
  t.deepEqual(created.map((e) => e.containerName).sort(), ['angry_rosalind', 'insane_rosalind', 'kickass_mestorf']);
  t.deepEqual(created.filter((e) => e.fields.running === true).map((e) => e.containerName), ['angry_rosalind']);
  t.true(created.every((e) => e.fields.config_format === 'config.json (pre-1.10)'));
  t.deepEqual(events.filter((e) => e.containerName === 'angry_rosalind' && e.kind === 'container.started').map((e) => e.fields.time_raw), ['2018-12-27T10:53:17.409426616Z']);
  t.deepEqual(events.filter((e) => e.containerName === 'kickass_mestorf' && ['container.started', 'container.finished'].includes(e.kind)), [], 'never started');
  const drift = events.filter((e) => e.kind === 'container.drift').map((e) => `${e.containerName} ${e.fields.change} ${e.fields.path}`).sort();
  t.deepEqual(drift, ['angry_rosalind A /root/.ash_history', 'angry_rosalind A /tmp/toto', 'angry_rosalind C /root', 'angry_rosalind C /tmp']);
  // aufs's own entries (.wh..wh.aufs, .wh..wh.plnk, .wh..wh.orph) are not changes
  t.false(events.some((e) => e.kind === 'container.drift' && String(e.fields.path).includes('.wh.')));
  t.is(events.filter((e) => e.kind === 'container.log').length, 1);
});

/**
 * vfs, rebuilt (the real engine-made vfs-small is tested in drivers-real.test.ts): the overlay-small
 * data root is turned into the vfs layout the engine would have written: every layer a full copy (image root; image + init;
 * image + the container's upper, whiteouts applied), layerdb moved to image/vfs. The drift must still
 * equal the engine's docker diff of overlay-small (same story, same actions).
 */
test('vfs layout (overlay-small rebuilt as full copies): drift equals docker diff', async (t) => {
  const { execFileSync } = await import('node:child_process');
  const { mkdtempSync, readFileSync: read, readdirSync, renameSync, mkdirSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const work = mkdtempSync(path.join(tmpdir(), 'dt-vfs-'));
  execFileSync('tar', ['--xattrs', '--xattrs-include=*', '--numeric-owner', '-xzf', path.join(SMALL, 'dataroot.tar.gz'), '-C', work]);
  const d = path.join(work, 'docker');
  const ov = path.join(d, 'overlay');
  mkdirSync(path.join(d, 'vfs/dir'), { recursive: true });
  const sh = (cmd: string): void => { execFileSync('sh', ['-c', cmd]); };
  const layers = readdirSync(ov);
  for (const id of layers.filter((l) => readdirSync(path.join(ov, l)).includes('root'))) sh(`cp -a '${ov}/${id}/root' '${d}/vfs/dir/${id}'`);
  for (const id of layers.filter((l) => readdirSync(path.join(ov, l)).includes('upper'))) {
    const lower = read(path.join(ov, id, 'lower-id'), 'utf8').trim();
    sh(`cp -a '${ov}/${lower}/root' '${d}/vfs/dir/${id}' && cp -a '${ov}/${id}/upper/.' '${d}/vfs/dir/${id}/' && find '${d}/vfs/dir/${id}' -type c -delete`);
  }
  sh(`rm -rf '${ov}'`);
  renameSync(path.join(d, 'image/overlay'), path.join(d, 'image/vfs'));
  const { events, warnings } = await extract([work]);
  t.deepEqual(warnings.list, []);
  for (const c of smallTruth) {
    const drift = events.filter((e) => e.containerId === c.id && e.fields.change);
    t.deepEqual(drift.map((e) => `${e.fields.change} ${e.fields.path}`).sort(), diffTxt(SMALL, c.name), c.name);
    t.true(drift.every((e) => e.fields.storage_driver === 'vfs'));
  }
});
