import test from 'ava';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ID, ID2, configV2, logLine, makeTree } from '../helpers/dataroot.ts';
import { cliIn, tmp } from './helpers/hostile.ts';
import { INCIDENT } from '../helpers/run.ts';

const c = `containers/${ID}`;
const clean = (): string => makeTree({ [`${c}/config.v2.json`]: configV2(ID), [`${c}/${ID}-json.log`]: logLine('fine\n', '2026-01-02T03:04:06Z') });

test('exit codes tell complete (0), complete with warnings (3), failed (1) and usage (2) apart', async (t) => {
  const out = tmp('exit');
  const o = (f: string): string => path.join(out, f);
  const damaged = makeTree({ [`${c}/config.v2.json`]: configV2(ID), [`${c}/${ID}-json.log`]: logLine('fine\n', '2026-01-02T03:04:06Z') + '{"log":"cut' });
  const notDocker = makeTree({ 'home/user/notes.txt': 'nothing of Docker here\n' });
  const whole = readFileSync(path.join(INCIDENT, 'dataroot.tar.gz'));
  const cut = path.join(out, 'cut.tar.gz');
  writeFileSync(cut, whole.subarray(0, Math.floor(whole.length * 0.7)));
  const runs: [string, string[], number, RegExp][] = [
    ['clean data root', ['extract', clean(), '-o', o('a.jsonl')], 0, /1 event|event\(s\) written; no warnings/],
    ['a damaged log', ['extract', damaged, '-o', o('b.jsonl')], 3, /1 warning\(s\) \(bad-json: 1\)/],
    ['one evidence without a data root next to a good one', ['extract', clean(), notDocker, '-o', o('c.jsonl')], 3, /no-data-root: 1/],
    ['no data root anywhere', ['extract', notDocker, '-o', o('d.jsonl')], 1, /no-data-root: 1/],
    ['evidence that does not exist', ['extract', path.join(out, 'missing'), '-o', o('e.jsonl')], 1, /unreadable: 1/],
    ['a data-root archive cut short', ['extract', cut, '-o', o('f.jsonl')], 3, /bad-archive: 1/],
    ['usage: unknown format', ['extract', clean(), '-f', 'xml'], 2, /xml/],
    ['usage: output inside the evidence', ['extract', notDocker, '-o', path.join(notDocker, 'x.jsonl')], 2, /inside the evidence/],
  ];
  for (const [what, args, code, stderr] of runs) {
    const r = await cliIn([...args, '-q'], { timeoutMs: 30_000 });
    t.is(r.code, code, `${what}: ${r.stderr}`);
    t.regex(r.stderr, stderr, what);
  }
  // a complete run with warnings still writes everything it read
  t.deepEqual(readFileSync(o('b.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { kind: string }).kind).filter((k) => k === 'container.log'), ['container.log']);
  t.false(existsSync(path.join(notDocker, 'x.jsonl')));
  // the two ids of the helper are distinct containers (guards the fixture itself)
  t.not(ID, ID2);
});

/**
 * Formerly a bug, now fixed and kept as a regression test (src/cli/output.ts OutputWriter, src/cli/extract-command.ts runExtract): an output file that
 * cannot be created is found only after the whole extraction, and its stream's 'error' has no listener:
 * Node dies with "Unhandled 'error' event" and a stack trace (exit 1 by accident), and the sorter's
 * spill folder is never cleaned up (the `finally` does not run). Fix there: open the output (and
 * --warnings) file before extracting (`await fsp.open(file, 'w')`, a usage or failed exit with one line
 * on stderr), and give OutputWriter an 'error' listener that makes drain()/close() reject.
 */
test('an output file that cannot be created: exit 1 with one line on stderr, no stack trace', async (t) => {
  const r = await cliIn(['extract', clean(), '-f', 'jsonl', '-o', path.join(tmp('exit'), 'no', 'such', 'dir', 'x.jsonl'), '-q']);
  t.is(r.code, 1);
  t.regex(r.stderr, /^docker-timeline: .*ENOENT/m);
  t.notRegex(r.stderr, /Unhandled 'error' event|at .*node:internal/);
});
