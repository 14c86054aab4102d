import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { distIsFresh } from '../../bin/fresh.js';
import { ROOT, INCIDENT } from '../helpers/run.ts';
import { ID, configV2, makeTree } from '../helpers/dataroot.ts';
import { bigLog } from '../helpers/big-log.ts';

test('dist/ is used only while it is as new as every file and folder under src/ and the tsconfig files', (t) => {
  const root = mkdtempSync(path.join(tmpdir(), 'dt-fresh-'));
  mkdirSync(path.join(root, 'src', 'sub'), { recursive: true });
  mkdirSync(path.join(root, 'dist'));
  for (const f of ['src/a.ts', 'src/sub/b.ts', 'tsconfig.json', 'tsconfig.build.json']) writeFileSync(path.join(root, f), '');
  const at = (s: number): Date => new Date(1_800_000_000_000 + s * 1000);
  const setAll = (s: number): void => {
    for (const f of ['src/a.ts', 'src/sub/b.ts', 'src/sub', 'src', 'tsconfig.json', 'tsconfig.build.json']) utimesSync(path.join(root, f), at(s), at(s));
  };
  t.false(distIsFresh(root), 'no BUILT: not built');
  writeFileSync(path.join(root, 'dist', 'BUILT'), '');
  setAll(0);
  utimesSync(path.join(root, 'dist', 'BUILT'), at(1), at(1));
  t.true(distIsFresh(root));
  utimesSync(path.join(root, 'src/sub/b.ts'), at(2), at(2));
  t.false(distIsFresh(root), 'a source changed after the build');
  setAll(0);
  utimesSync(path.join(root, 'src/sub'), at(2), at(2));
  t.false(distIsFresh(root), 'a file added, removed or renamed in a folder');
  setAll(0);
  utimesSync(path.join(root, 'tsconfig.build.json'), at(2), at(2));
  t.false(distIsFresh(root), 'the build settings changed');
  setAll(0);
  t.true(distIsFresh(root));
  rmSync(path.join(root, 'tsconfig.json'));
  t.false(distIsFresh(root), 'unreadable: not fresh');
});

test('the compiled tool (tsc, as npm ci builds it) writes the bytes the sources write, worker threads included', (t) => {
  // compiled into a folder of its own inside the repository (node_modules resolves from there),
  // so the dist/ that other tests may be running is never touched
  const out = mkdtempSync(path.join(ROOT, '.dist-test-'));
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', out], { stdio: 'pipe' });
  // a log over the direct-merge size, so that the worker threads format it
  const root = makeTree({
    [`containers/${ID}/config.v2.json`]: configV2(ID),
    [`containers/${ID}/${ID}-json.log`]: bigLog(9, 1_800_000_000, [(time) => `{"log":"bad \\x escape\\n","stream":"stdout","time":"${time}"}`]),
  });
  const dir = mkdtempSync(path.join(tmpdir(), 'dt-compiled-'));
  for (const format of ['l2tcsv', 'jsonl']) {
    const run = (name: string, entry: string, env: NodeJS.ProcessEnv) => {
      const file = path.join(dir, `${name}.${format}`);
      const r = spawnSync(process.execPath, [entry, 'extract', root, path.join(INCIDENT, 'dataroot.tar.gz'), '-o', file, '--format', format, '-q', '--warnings', file + '.w'],
        { env: { ...process.env, ...env }, encoding: 'utf8' });
      return { code: r.status, stderr: r.stderr, out: readFileSync(file), warnings: readFileSync(file + '.w', 'utf8') };
    };
    const compiled = run('compiled', path.join(out, 'main.js'), {});
    const source = run('source', path.join(ROOT, 'bin/docker-timeline.js'), { DOCKER_TIMELINE_FROM_SOURCE: '1' });
    t.is(compiled.code, 3, compiled.stderr);
    t.is(compiled.stderr, source.stderr);
    t.true(compiled.out.equals(source.out), `${format}: outputs differ`);
    t.is(compiled.warnings, source.warnings);
    t.regex(compiled.warnings, /bad-json/);
    t.notRegex(compiled.warnings, /worker-failed/, 'the compiled worker threads ran');
    t.true(compiled.out.length > 20 << 20);
  }
});
