import test from 'ava';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { extract } from '../helpers/run.ts';
import { ID, ID2, configV2, makeTree } from '../helpers/dataroot.ts';
import { outermostRoots, splitDataRootPath } from '../../src/evidence/locate.ts';

const created = async (root: string) => (await extract([root])).events.filter((e) => e.kind === 'container.created');

test('splitDataRootPath finds the outermost data root in a path', (t) => {
  t.deepEqual(splitDataRootPath(`var/lib/docker/containers/${ID}/config.v2.json`), { root: 'var/lib/docker', rel: `containers/${ID}/config.v2.json` });
  t.deepEqual(splitDataRootPath(`containers/${ID}`), { root: '', rel: `containers/${ID}` });
  t.is(splitDataRootPath('containers/notanid/x'), null);
  t.deepEqual(splitDataRootPath('docker/image/overlay2/imagedb/content/sha256/ab'), { root: 'docker', rel: 'image/overlay2/imagedb/content/sha256/ab' });
  t.deepEqual(splitDataRootPath('image/vfs/repositories.json'), { root: '', rel: 'image/vfs/repositories.json' });
  t.is(splitDataRootPath('docker/image/overlay2/other'), null);
  t.deepEqual(outermostRoots(['docker', 'docker/overlay2/x/diff/var/lib/docker', 'home/u/.local/share/docker']), { keep: ['docker', 'home/u/.local/share/docker'], nested: ['docker/overlay2/x/diff/var/lib/docker'] });
});

test('a mounted file-system root: var/lib/docker, rootless home roots, and daemon.json data-root are all found', async (t) => {
  const root = makeTree({
    [`var/lib/docker/containers/${ID}/config.v2.json`]: configV2(ID, { Name: '/system' }),
    [`home/alice/.local/share/docker/containers/${ID2}/config.v2.json`]: configV2(ID2, { Name: '/rootless' }),
    'etc/docker/daemon.json': JSON.stringify({ 'data-root': '/srv/docker' }),
    [`srv/docker/containers/${'d'.repeat(64)}/config.v2.json`]: configV2('d'.repeat(64), { Name: '/moved' }),
  });
  t.deepEqual((await created(root)).map((e) => e.containerName).sort(), ['moved', 'rootless', 'system']);
});

test('the legacy daemon.json "graph" key is honoured, and a symlinked /var/lib/docker is resolved inside the evidence', async (t) => {
  const root = makeTree({
    'etc/docker/daemon.json': JSON.stringify({ graph: '/data/dockergraph' }),
    [`data/dockergraph/containers/${ID}/config.v2.json`]: configV2(ID, { Name: '/viagraph' }),
    [`mnt/real/containers/${ID2}/config.v2.json`]: configV2(ID2, { Name: '/vialink' }),
    'var/lib/docker': { symlink: '/mnt/real' },
  });
  t.deepEqual((await created(root)).map((e) => e.containerName).sort(), ['viagraph', 'vialink']);
});

test('a symlink out of the evidence is not followed', async (t) => {
  const outside = makeTree({ [`containers/${ID}/config.v2.json`]: configV2(ID, { Name: '/outside' }) });
  const root = makeTree({ 'var/lib/docker': { symlink: outside } });
  const { events, warnings } = await extract([root]);
  t.is(events.length, 0);
  t.is(warnings.list[0]!.kind, 'no-data-root');
});

test('a tar of a file-system root is read in place; a data root inside a layer (docker-in-docker) is set apart with a warning', async (t) => {
  const dir = makeTree({
    [`rootfs/var/lib/docker/containers/${ID}/config.v2.json`]: configV2(ID, { Name: '/host' }),
    [`rootfs/var/lib/docker/overlay2/abc/diff/var/lib/docker/containers/${ID2}/config.v2.json`]: configV2(ID2, { Name: '/inner' }),
  });
  const tarFile = path.join(dir, 'evidence.tgz');
  execFileSync('tar', ['-czf', tarFile, '-C', path.join(dir, 'rootfs'), '.']);
  const { events, warnings } = await extract([tarFile]);
  t.deepEqual(events.filter((e) => e.kind === 'container.created').map((e) => e.containerName), ['host']);
  t.deepEqual(warnings.list.map((w) => [w.kind, w.evidence]), [['nested-data-root', 'var/lib/docker/overlay2/abc/diff/var/lib/docker']]);
});

test('an uncompressed .tar works as well as .tar.gz, and a truncated archive keeps what came before', async (t) => {
  const dir = makeTree({
    [`docker/containers/${ID}/config.v2.json`]: configV2(ID, { Name: '/first' }),
    [`docker/containers/${ID}/${ID}-json.log`]: Array.from({ length: 3000 }, (_, i) => JSON.stringify({ log: `l${i}\n`, stream: 'stdout', time: '2026-01-02T03:04:06Z' }) + '\n').join(''),
  });
  const tarFile = path.join(dir, 'e.tar');
  execFileSync('tar', ['-cf', tarFile, '-C', dir, 'docker']);
  t.is((await created(tarFile)).length, 1);
  const gz = path.join(dir, 'e.tar.gz');
  execFileSync('sh', ['-c', `gzip -c ${tarFile} > ${gz}.full && head -c $(( $(stat -c %s ${gz}.full) / 2 )) ${gz}.full > ${gz}`]);
  const { events, warnings } = await extract([gz]);
  t.is(events.filter((e) => e.kind === 'container.created').length, 1);
  t.true(warnings.list.some((w) => w.kind === 'bad-archive' && w.offset > 0));
});
