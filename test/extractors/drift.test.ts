import test from 'ava';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import path from 'node:path';
import { extract, INCIDENT, unpack, type Extracted } from '../helpers/run.ts';
import { truthContainers } from '../helpers/truth.ts';
import { secondsFractionToNs } from '../../src/time/nanotime.ts';

const TRUTH = path.join(INCIDENT, 'truth');
const containers = truthContainers(TRUTH);
const cache = new Map<string, Promise<Extracted>>();
const run = (f: string): Promise<Extracted> => cache.get(f) ?? cache.set(f, extract([path.join(INCIDENT, f)])).get(f)!;

function truthDiff(name: string): string[] {
  return readFileSync(path.join(TRUTH, 'containers', `${name}.diff.txt`), 'utf8').split('\n').filter((l) => /^[ACD] \//.test(l)).sort();
}

for (const [copy, unpacked] of [['dataroot.tar.gz', false], ['dataroot-live.tar.gz', false], ['dataroot.tar.gz', true], ['dataroot-live.tar.gz', true]] as const) {
  test(`${copy}${unpacked ? ' unpacked (whiteout devices, xattrs through getfattr)' : ''}: every container's drift equals its docker diff`, async (t) => {
    const { events, warnings } = unpacked ? await extract([unpack(path.join(INCIDENT, copy), ['docker'])]) : await run(copy);
    t.deepEqual(warnings.list, []);
    for (const c of containers) {
      const got = events.filter((e) => e.containerId === c.id && e.fields.change).map((e) => `${e.fields.change} ${e.fields.path}`).sort();
      t.deepEqual(got, truthDiff(c.name), c.name);
    }
    t.true(containers.some((c) => truthDiff(c.name).length > 10));
  });
}

test('web: the timestomped tool.sh is flagged, the chmod of /etc/shadow is a metadata change, deletions are dated by the parent folder', async (t) => {
  const { events } = await run('dataroot.tar.gz');
  const drift = (p: string) => events.find((e) => e.containerName === 'web' && e.kind === 'container.drift' && e.fields.path === p)!;
  const tool = drift('/tmp/.x/tool.sh');
  t.true(tool.fields.timestomp_suspected);
  t.regex(tool.message, /TIMESTOMP\? mtime 2020-01-01T00:00:00\.000000000Z is before the container was created/);
  t.is(tool.fields.mtime, '2020-01-01T00:00:00.000000000Z');
  t.is(tool.timestampDesc, 'Metadata Modification Time'); // dated by ctime, the real time
  const shadow = drift('/etc/shadow');
  t.regex(String(shadow.fields.change_detail), /^metadata change only \(mode -rw-r----- -> -rw-rw-rw-/);
  t.false(shadow.fields.timestomp_suspected);
  t.regex(drift('/etc/passwd').message, /content changed/);
  const motd = drift('/etc/motd');
  t.is(motd.timestampDesc, 'Content Deletion Time');
  t.regex(motd.message, /parent folder .*whiteouts share one inode/);
  const etcDir = events.find((e) => e.containerName === 'web' && e.kind === 'file.mtime' && e.fields.path === '/etc' && e.fields.layer_role === 'writable layer')!;
  t.is(motd.timeNs, etcDir.timeNs);
  t.regex(drift('/var/www/static/app.js').message, /hidden by an opaque directory/);
});

test('layer file times equal the stat truth of every overlay2 diff entry (mtime, atime, ctime from pax)', async (t) => {
  const { events } = await run('dataroot.tar.gz');
  const rows = gunzipSync(readFileSync(path.join(TRUTH, 'dataroot.stat.tsv.gz'))).toString('utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
  const byPath = new Map<string, Map<string, bigint>>();
  for (const e of events) {
    if (e.parser !== 'docker_timeline/layer_files') continue;
    const m = byPath.get(e.evidence) ?? byPath.set(e.evidence, new Map()).get(e.evidence)!;
    m.set(e.kind, e.timeNs);
  }
  let compared = 0;
  for (const [p, , , , , , mtime, atime, ctime] of rows) {
    if (!/^docker\/overlay2\/[0-9a-z]+(-init)?\/diff(\/|$)/.test(p!)) continue;
    const got = byPath.get(p!.replace(/\/$/, ''));
    t.truthy(got, p);
    t.is(got!.get('file.mtime'), secondsFractionToNs(mtime!)!, `${p} mtime`);
    t.is(got!.get('file.atime'), secondsFractionToNs(atime!)!, `${p} atime`);
    t.is(got!.get('file.ctime'), secondsFractionToNs(ctime!)!, `${p} ctime`);
    compared++;
  }
  t.true(compared > 300, `${compared} entries`);
});

test('layer files are attributed to their container (writable or init layer) or to the images whose layer they are', async (t) => {
  const { events } = await run('dataroot.tar.gz');
  const files = events.filter((e) => e.parser === 'docker_timeline/layer_files' && e.kind === 'file.mtime');
  const tools = files.filter((e) => e.fields.path === '/tmp/.x/tool.sh');
  // in web's writable layer, and in the image layer that docker commit made of it
  t.deepEqual(tools.map((e) => e.fields.layer_role).sort(), ['image layer', 'writable layer']);
  t.is(tools.find((e) => e.fields.layer_role === 'writable layer')!.containerName, 'web');
  t.regex(String(tools.find((e) => e.fields.layer_role === 'image layer')!.fields.images), /webapp:backdoored/);
  t.true(files.some((e) => e.containerName === 'web' && e.fields.layer_role === 'init layer' && e.fields.path === '/.dockerenv'));
  const passwd = files.filter((e) => e.fields.path === '/etc/passwd' && e.fields.layer_role === 'image layer');
  t.true(passwd.length >= 2);
  t.true(passwd.every((e) => typeof e.imageId === 'string' && String(e.fields.images).length > 0));
});
