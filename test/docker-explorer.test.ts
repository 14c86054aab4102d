import test from 'ava';
import path from 'node:path';
import { extract, FIXTURES } from './helpers/run.ts';

// google/docker-explorer's real overlay2 data root (test_data/overlay2.v2.tgz); facts from its README and configs.
const EVIDENCE = path.join(FIXTURES, 'docker-explorer/overlay2.v2.tgz');
const LIFECYCLE = new Set(['container.created', 'container.started', 'container.finished']);

test('docker-explorer overlay2.v2: 5 containers, one running, lifecycle times exactly as in their configs', async (t) => {
  const { events, warnings } = await extract([EVIDENCE]);
  t.is(warnings.total, 0);
  const created = events.filter((e) => e.kind === 'container.created');
  t.is(created.length, 5);
  t.deepEqual(created.filter((e) => e.fields.running === true).map((e) => e.containerName), ['festive_perlman']);
  const fp = events.filter((e) => e.containerName === 'festive_perlman' && LIFECYCLE.has(e.kind)).map((e) => [e.kind, e.fields.time_raw]);
  t.deepEqual(fp, [['container.created', '2018-05-16T10:51:39.271019533Z'], ['container.started', '2018-05-16T10:51:39.62598903Z']]);
  const of = events.filter((e) => e.containerName === 'objective_franklin' && LIFECYCLE.has(e.kind));
  t.deepEqual(of.map((e) => `${e.kind} ${e.timeNs}`), [
    'container.created 1526467864837524240',
    'container.started 1526467865177987135',
    'container.finished 1526467876550014883',
  ]);
  // never started: zero StartedAt/FinishedAt make no events
  t.deepEqual(events.filter((e) => e.containerName === 'reverent_wing' && LIFECYCLE.has(e.kind)).map((e) => e.kind), ['container.created']);
});

test('docker-explorer overlay2.v2: its 3 json-file log lines', async (t) => {
  const { events } = await extract([EVIDENCE]);
  const logs = events.filter((e) => e.kind === 'container.log');
  t.is(logs.length, 3);
  t.deepEqual(logs.map((e) => [e.containerName, e.stream]), [['objective_franklin', 'stdout'], ['zealous_lalande', 'stderr'], ['reverent_wing', 'stderr']]);
  t.is(logs[0]!.message, '[objective_franklin] stdout: ohai');
});

test('docker-explorer overlay2.v2: the one file written inside the running container is its only drift', async (t) => {
  const { events } = await extract([EVIDENCE]);
  const drift = events.filter((e) => e.kind === 'container.drift');
  t.deepEqual(drift.map((e) => [e.containerName, e.fields.change, e.fields.path]), [['festive_perlman', 'A', '/tets']]);
  const tets = events.find((e) => e.kind === 'file.mtime' && e.fields.path === '/tets')!;
  t.is(tets.fields.size, '5');
  t.is(tets.containerName, 'festive_perlman');
});
