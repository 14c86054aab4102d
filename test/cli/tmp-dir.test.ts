import test from 'ava';
import { mkdirSync, mkdtempSync, readdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cli } from '../helpers/run.ts';
import { ID, configV2, logLine, makeTree } from '../helpers/dataroot.ts';
import { checkTmpDir, insideEvidence } from '../../src/cli/open-evidence.ts';

test('temporary files never go inside the evidence: --tmp-dir in it, linked into it, or the system folder holding it, is refused before any work', (t) => {
  const root = makeTree({ [`containers/${ID}/config.v2.json`]: configV2(ID), [`containers/${ID}/${ID}-json.log`]: logLine('x\n', '2026-01-02T03:04:05Z') });
  const before = readdirSync(root).sort();
  const inside = path.join(root, 'containers');
  const link = path.join(mkdtempSync(path.join(tmpdir(), 'dt-link-')), 'to-evidence');
  symlinkSync(root, link);
  for (const dir of [inside, link, path.join(link, 'new-sub')]) {
    const r = cli(['extract', root, '--format', 'jsonl', '-q', '--tmp-dir', dir]);
    t.is(r.code, 2, dir);
    t.regex(r.stderr, /inside the evidence; give a --tmp-dir outside it/);
    const m = cli(['merge', path.join(tmpdir(), 'none.body'), '--evidence', root, '--tmp-dir', dir]);
    t.is(m.code, 2, `merge ${dir}`);
  }
  t.deepEqual(readdirSync(root).sort(), before);
  t.is(checkTmpDir(undefined, [path.dirname(tmpdir())]), `the folder for temporary files (the system's, ${tmpdir()}) is inside the evidence; give a --tmp-dir outside it`);
  t.is(checkTmpDir(path.join(tmpdir(), 'elsewhere'), [root]), null);
  // an output through a link into the evidence is refused too
  mkdirSync(path.join(path.dirname(link), 'out'));
  t.true(insideEvidence(path.join(link, 'timeline.csv'), [root]));
  const o = cli(['extract', root, '--format', 'jsonl', '-q', '-o', path.join(link, 'timeline.jsonl')]);
  t.is(o.code, 2);
  t.deepEqual(readdirSync(root).sort(), before);
});

test('an empty --tmp-dir is refused (it was checked as the working folder while spill files went to the system\'s)', (t) => {
  const root = makeTree({ [`containers/${ID}/config.v2.json`]: configV2(ID) });
  t.is(checkTmpDir('', [root]), '--tmp-dir is empty; give a folder outside the evidence');
  const r = cli(['extract', root, '--format', 'jsonl', '-q', '--tmp-dir', '']);
  t.is(r.code, 2);
  t.regex(r.stderr, /--tmp-dir is empty/);
});

test('an output that is a --merge input under another name (a symbolic or hard link) is refused, the input untouched', async (t) => {
  const { linkSync, readFileSync, writeFileSync } = await import('node:fs');
  const root = makeTree({ [`containers/${ID}/config.v2.json`]: configV2(ID) });
  const dir = mkdtempSync(path.join(tmpdir(), 'dt-same-'));
  const input = path.join(dir, 'host.body');
  writeFileSync(input, '0|/etc/passwd|1|-rw-r--r--|0|0|10|1700000000|1700000000|1700000000|0\n');
  symlinkSync(input, path.join(dir, 'sym.body'));
  linkSync(input, path.join(dir, 'hard.body'));
  for (const out of ['sym.body', 'hard.body']) {
    const m = cli(['merge', input, '-o', path.join(dir, out), '--format', 'bodyfile']);
    t.is(m.code, 2, out);
    t.regex(m.stderr, /refusing to overwrite the input/);
    const e = cli(['extract', root, '--merge', input, '-o', path.join(dir, out), '--format', 'bodyfile', '-q']);
    t.is(e.code, 2, out);
  }
  t.is(readFileSync(input, 'utf8'), '0|/etc/passwd|1|-rw-r--r--|0|0|10|1700000000|1700000000|1700000000|0\n');
});
