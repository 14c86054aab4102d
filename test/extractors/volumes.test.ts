import test from 'ava';
import path from 'node:path';
import { extract, INCIDENT, FIXTURES } from '../helpers/run.ts';
import { truthContainers } from '../helpers/truth.ts';

const containers = truthContainers(path.join(INCIDENT, 'truth'));

test('lab: volume files are attributed to the container that mounts them, with in-container paths; mounts match docker inspect', async (t) => {
  const { events, warnings } = await extract([path.join(INCIDENT, 'dataroot.tar.gz')]);
  t.deepEqual(warnings.list, []);
  const upload = events.find((e) => e.kind === 'file.mtime' && e.evidence.endsWith('volumes/appdata/_data/upload-001.txt'))!;
  t.is(upload.containerName, 'data');
  t.is(upload.fields.container_paths, 'data:/data/upload-001.txt');
  t.is(upload.fields.volume_kind, 'named');
  t.is(upload.fields.volume_labels, 'purpose=uploads');
  const staged = events.find((e) => e.kind === 'file.mtime' && e.evidence.endsWith('volumes/appdata/_data/stage.tar'))!;
  t.is(staged.fields.container_paths, 'data:/data/stage.tar');
  const c1 = events.find((e) => e.kind === 'file.mtime' && /volumes\/[0-9a-f]{64}\/_data\/c1$/.test(e.evidence))!;
  t.is(c1.fields.volume_kind, 'anonymous');
  t.is(c1.fields.container_paths, 'data:/cache/c1');
  // every mount of every container, as docker inspect's Mounts
  for (const c of containers) {
    const want = (c.inspect.Mounts as { Type: string; Destination: string; Name?: string; Source: string; RW: boolean }[])
      .map((m) => `${m.Type} ${m.Destination} ${m.Type === 'volume' ? m.Name : m.Source} ${m.RW}`).sort();
    const got = events.filter((e) => e.kind === 'container.mount' && e.containerId === c.id)
      .map((e) => `${e.fields.mount_type} ${e.fields.mount_destination} ${e.fields.mount_type === 'volume' ? e.fields.volume : e.fields.mount_source} ${e.fields.mount_rw}`).sort();
    t.deepEqual(got, want, c.name);
  }
  const bind = events.find((e) => e.kind === 'container.mount' && e.fields.mount_type === 'bind' && e.containerName === 'data')!;
  t.regex(bind.message, /outside the data root, not in this evidence/);
});

test('docker-explorer vols.v2: volumes, their containers, the bind mount, and the missing anonymous volume', async (t) => {
  const { events, warnings } = await extract([path.join(FIXTURES, 'docker-explorer/vols.v2.tgz')]);
  t.deepEqual(warnings.list.map((w) => [w.kind, w.evidence]), [['missing-volume', 'docker/volumes/eda9ee495beccf988d963bf91de0276847e838b9531ab9118caef38a33894bb4']]);
  t.regex(warnings.list[0]!.message, /anonymous volume .* mounted by sad_lichterman at \/var\/jenkins_home is not in the evidence/);
  const folders = events.filter((e) => e.kind === 'file.mtime' && /docker\/volumes\/[0-9a-f]{64}$/.test(e.evidence));
  t.is(folders.length, 3);
  t.deepEqual(folders.map((e) => e.fields.container_paths).sort(), ['alpine_vol:/opt/vols/volume', 'alpine_volume:/opt/vols/volume', 'zen_booth:/opt/vols/volume']);
  const bind = events.filter((e) => e.kind === 'container.mount' && e.fields.mount_type === 'bind');
  t.deepEqual(bind.map((e) => [e.containerName, e.fields.mount_source, e.fields.mount_destination]), [['sad_lichterman', '/opt/vols/bind', '/opt']]);
});

test('docker-explorer vols.v2: distribution metadata says the alpine layer was pulled from docker.io/library/alpine, dated by the file', async (t) => {
  const { events } = await extract([path.join(FIXTURES, 'docker-explorer/vols.v2.tgz')]);
  const pulled = events.filter((e) => e.kind === 'layer.pulled');
  t.is(pulled.length, 1);
  t.is(pulled[0]!.fields.source_repositories, 'docker.io/library/alpine');
  t.is(pulled[0]!.fields.diff_id, 'sha256:50644c29ef5a27c9a40c393a73ece2479de78325cae7d762ef3cdc19bf42dd0a');
  t.is(pulled[0]!.fields.images, 'alpine:latest');
  t.is(pulled[0]!.timestampDesc, 'File Downloaded Time');
  t.is(pulled[0]!.timeNs, 1595259135000000000n); // 2020-07-20 15:32:15, the file's mtime in the archive
});
