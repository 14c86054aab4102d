import test from 'ava';
import { linkSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makeOutputFile } from '../../src/cli/output-file.ts';
import { cli, INCIDENT } from '../helpers/run.ts';

test('an output file is made before any work: created when missing, emptied in place when it holds anything', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dt-out-'));
  const fresh = path.join(dir, 'fresh.csv');
  await makeOutputFile(fresh);
  t.is(statSync(fresh).size, 0);
  const old = path.join(dir, 'old.csv');
  writeFileSync(old, 'x'.repeat(100_000));
  const inode = statSync(old).ino;
  await makeOutputFile(old);
  t.is(statSync(old).size, 0);
  t.is(statSync(old).ino, inode, 'the same file, emptied (as opening it with "w" did)');
  await t.throwsAsync(makeOutputFile(path.join(dir, 'no-such-folder', 'x.csv')), { code: 'ENOENT' });
  // a file with another name (a hard link: it may be evidence) is never emptied
  const evidence = path.join(dir, 'evidence.tar');
  writeFileSync(evidence, 'archive bytes');
  linkSync(evidence, path.join(dir, 'out.csv'));
  await t.throwsAsync(makeOutputFile(path.join(dir, 'out.csv')), { message: /2 hard links/ });
  t.is(readFileSync(evidence, 'utf8'), 'archive bytes');
  // an empty evidence file (a container's hosts) linked as the output: refused too
  const hosts = path.join(dir, 'hosts');
  writeFileSync(hosts, '');
  linkSync(hosts, path.join(dir, 'out2.csv'));
  await t.throwsAsync(makeOutputFile(path.join(dir, 'out2.csv')), { message: /2 hard links/ });
  t.is(statSync(hosts).size, 0);
});

test('extract and merge over longer old output and warnings files leave exactly the new bytes', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dt-out-'));
  const tar = path.join(INCIDENT, 'dataroot.tar.gz');
  const want = cli(['extract', tar, '--format', 'jsonl', '-q']);
  t.is(want.code, 0, want.stderr);
  const out = path.join(dir, 'timeline.jsonl');
  const warn = path.join(dir, 'warnings.jsonl');
  const junk = 'JUNK\n'.repeat(2_000_000);
  writeFileSync(out, junk);
  writeFileSync(warn, junk);
  const freshWarn = path.join(dir, 'fresh-warnings.jsonl');
  t.is(cli(['extract', tar, '--format', 'jsonl', '-q', '--warnings', freshWarn]).code, 0);
  t.is(cli(['extract', tar, '--format', 'jsonl', '-q', '-o', out, '--warnings', warn]).code, 0);
  t.is(readFileSync(out, 'utf8'), want.stdout);
  t.is(readFileSync(warn, 'utf8'), readFileSync(freshWarn, 'utf8'));
  t.notRegex(readFileSync(warn, 'utf8'), /JUNK/);
  const merged = path.join(dir, 'merged.jsonl');
  writeFileSync(merged, junk);
  t.is(cli(['merge', out, '-o', merged, '--format', 'jsonl']).code, 0);
  const again = cli(['merge', out, '--format', 'jsonl']);
  t.is(readFileSync(merged, 'utf8'), again.stdout);
  t.true(again.stdout.length > 1000);
});
