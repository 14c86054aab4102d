import test from 'ava';
import { createReadStream, readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { INCIDENT } from '../helpers/run.ts';
import { ID, configV2, logLine } from '../helpers/dataroot.ts';
import { tarArchive } from './helpers/hostile.ts';
import type { Artifacts, FromWorker } from './helpers/fuzz-worker.ts';

/** Longest a single case may run before it counts as a hang. */
const CASE_MS = 5_000;
const RUNS = Number(process.env.FUZZ_RUNS ?? 500);
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);

/** Real artifacts of the lab data root (fixtures/overlay2-incident/dataroot.tar.gz) to mutate. */
async function realArtifacts(): Promise<Artifacts> {
  const want: [keyof Artifacts, RegExp][] = [
    ['config', /^docker\/containers\/[0-9a-f]{64}\/config\.v2\.json$/],
    ['hostconfig', /^docker\/containers\/[0-9a-f]{64}\/hostconfig\.json$/],
    ['jsonLog', /^docker\/containers\/d60c[0-9a-f]{60}\/d60c[0-9a-f]{60}-json\.log$/],
    ['rotatedGz', /-json\.log\.1\.gz$/],
    ['localLog', /\/local-logs\/container\.log$/],
    ['tarSplitGz', /\/8efdd428[0-9a-f]{56}\/tar-split\.json\.gz$/],
    ['imageConfig', /^docker\/image\/overlay2\/imagedb\/content\/sha256\/[0-9a-f]{64}$/],
  ];
  const found: Partial<Record<keyof Artifacts, unknown>> = {};
  const ex = tar.extract();
  createReadStream(path.join(INCIDENT, 'dataroot.tar.gz')).pipe(createGunzip()).pipe(ex);
  for await (const entry of ex) {
    const hit = want.find(([k, re]) => found[k] === undefined && re.test(entry.header.name));
    if (hit && entry.header.type === 'file') {
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      const bytes = Buffer.concat(chunks);
      found[hit[0]] = hit[0] === 'imageConfig' ? { id: entry.header.name.slice(-64), bytes } : bytes;
    } else entry.resume();
  }
  found.boltdb = readFileSync(path.join(INCIDENT, 'volumes-metadata.db'));
  found.tar = tarArchive([
    { name: `docker/containers/${ID}/config.v2.json`, data: configV2(ID) },
    { name: `docker/containers/${ID}/${ID}-json.log`, data: logLine('hello\n', '2026-01-02T03:04:06Z') },
    { name: `docker/containers/${ID}/hosts`, type: '2', linkname: '/etc/hosts' },
    { name: `docker/containers/${ID}/${'long-name-'.repeat(15)}`, data: 'x', pax: { mtime: '1767323045.123456789' } },
  ]);
  for (const [k] of want) if (found[k] === undefined) throw new Error(`no ${k} in the fixture`);
  return found as Artifacts;
}

test('random bytes and random mutations of real artifacts, fed to every parser: no crash (only warnings), no hang, no time outside 0000-9999', async (t) => {
  t.timeout(120_000);
  const artifacts = await realArtifacts();
  t.log(`seed ${SEED} (FUZZ_SEED=${SEED} repeats this run), ${RUNS} runs per target`);
  // the worker loads TypeScript through tsx, as bin/docker-timeline.js does
  const boot = `import { register } from 'tsx/esm/api'; register(); await import(${JSON.stringify(new URL('./helpers/fuzz-worker.ts', import.meta.url).href)});`;
  const worker = new Worker(boot, { eval: true, workerData: { artifacts, runs: RUNS, seed: SEED } });
  const done: string[] = [];
  const failed: string[] = [];
  let last: Extract<FromWorker, { type: 'case' }> | null = null;
  const outcome = await new Promise<'end' | 'hang' | string>((resolve) => {
    let timer = setTimeout(() => resolve('hang'), CASE_MS * 4);
    const rearm = (): void => { clearTimeout(timer); timer = setTimeout(() => resolve('hang'), CASE_MS); };
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'case') { last = m; rearm(); }
      if (m.type === 'done') { done.push(`${m.target}: ${m.runs} cases in ${m.ms} ms`); rearm(); }
      if (m.type === 'failed') { failed.push(`${m.target}: ${m.error}`); rearm(); }
      if (m.type === 'end') { clearTimeout(timer); resolve('end'); }
    });
    worker.on('error', (e) => { clearTimeout(timer); resolve(`worker error: ${e.stack ?? e.message}`); });
    // a worker whose event loop empties while a case awaits a promise that never settles just exits:
    // that is a hang too (the CLI would stop there, its output cut)
    worker.on('exit', (code) => { clearTimeout(timer); resolve(`worker exited (code ${code}) before the end: a case awaits a promise that never settles`); });
  });
  await worker.terminate();
  for (const d of done) t.log(d);
  const hung = last as Extract<FromWorker, { type: 'case' }> | null;
  if (outcome === 'hang') t.fail(`no progress for ${CASE_MS} ms in ${hung?.target} case ${hung?.n}; input (base64, first 4 KiB): ${hung?.input}`);
  else if (outcome !== 'end') t.fail(`${outcome}; last case: ${hung?.target} case ${hung?.n}; input (base64, first 4 KiB): ${hung?.input}`);
  t.deepEqual(failed, []);
  t.true(done.length >= 20, `${done.length} targets done`);
});
