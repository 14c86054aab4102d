import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { distIsFresh, sourceHash } from '../../bin/fresh.js';
import { ROOT, INCIDENT } from '../helpers/run.ts';
import { ID, configV2, makeTree } from '../helpers/dataroot.ts';
import { bigLog } from '../helpers/big-log.ts';

test('dist/ is used only while it was built from exactly the sources there are now (contents, not times)', (t) => {
  const root = mkdtempSync(path.join(tmpdir(), 'dt-fresh-'));
  mkdirSync(path.join(root, 'src', 'sub'), { recursive: true });
  mkdirSync(path.join(root, 'dist'));
  for (const f of ['src/a.ts', 'src/sub/b.ts', 'tsconfig.json', 'tsconfig.build.json']) writeFileSync(path.join(root, f), f);
  t.false(distIsFresh(root), 'no BUILT: not built');
  const build = (): void => writeFileSync(path.join(root, 'dist', 'BUILT'), `sha256:${sourceHash(root)}\nbuilt\n`);
  build();
  t.true(distIsFresh(root));
  const old = new Date(1_000_000_000_000);
  utimesSync(path.join(root, 'src/sub/b.ts'), old, old);
  t.true(distIsFresh(root), 'a time moved, the contents did not');
  writeFileSync(path.join(root, 'src/sub/b.ts'), 'changed');
  utimesSync(path.join(root, 'src/sub/b.ts'), old, old);
  t.false(distIsFresh(root), 'a source changed, even with an older time (a copy that kept its time)');
  build();
  writeFileSync(path.join(root, 'src/sub/c.ts'), '');
  t.false(distIsFresh(root), 'a file added');
  rmSync(path.join(root, 'src/sub/c.ts'));
  t.true(distIsFresh(root));
  renameSync(path.join(root, 'src/a.ts'), path.join(root, 'src/z.ts'));
  t.false(distIsFresh(root), 'a file renamed');
  renameSync(path.join(root, 'src/z.ts'), path.join(root, 'src/a.ts'));
  writeFileSync(path.join(root, 'tsconfig.build.json'), 'other settings');
  t.false(distIsFresh(root), 'the build settings changed');
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
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }); rmSync(root, { recursive: true, force: true }); });
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
