import test from 'ava';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cli, FIXTURES, INCIDENT } from '../helpers/run.ts';
import { ID, configV2, makeTree } from '../helpers/dataroot.ts';
import { L2T_HEADER } from '../../src/sinks/l2tcsv.ts';

const DEAD = path.join(INCIDENT, 'dataroot.tar.gz');
const out = () => mkdtempSync(path.join(tmpdir(), 'dt-out-'));

test('the README command: extract the embedded fixture to every format; format inferred from .jsonl and .body', (t) => {
  const dir = out();
  const runs: [string, string[]][] = [
    ['t.jsonl', []], ['t.body', []], ['t.csv', ['--format', 'l2tcsv']], ['ts.csv', ['--format', 'timesketch-csv']], ['ts.jsonl', ['--format', 'timesketch-jsonl']],
  ];
  const lines: Record<string, number> = {};
  for (const [name, extra] of runs) {
    const r = cli(['extract', DEAD, '-o', path.join(dir, name), ...extra]);
    t.is(r.code, 0, r.stderr);
    lines[name] = readFileSync(path.join(dir, name), 'utf8').split('\n').filter(Boolean).length;
  }
  t.is(lines['t.body'], lines['t.jsonl']);
  t.is(lines['ts.jsonl'], lines['t.jsonl']);
  t.is(lines['ts.csv'], lines['t.jsonl']! + 1);
  t.true(lines['t.csv']! < lines['t.jsonl']! + 1, 'L2T merges file times of one file at one time into one line');
  t.is(readFileSync(path.join(dir, 't.csv'), 'utf8').split('\n')[0], L2T_HEADER);
});

test('stdout when no -o; --after inclusive and --before exclusive', (t) => {
  const all = cli(['extract', DEAD, '-f', 'jsonl']).stdout.trim().split('\n').map((l) => JSON.parse(l) as { time: string });
  const times = [...new Set(all.map((e) => e.time))];
  const after = times[Math.floor(times.length / 3)]!;
  const before = times[Math.floor(times.length / 2)]!;
  const some = cli(['extract', DEAD, '-f', 'jsonl', '--after', after, '--before', before]).stdout.trim().split('\n').map((l) => JSON.parse(l) as { time: string });
  t.true(some.length > 10);
  t.true(some.some((e) => e.time === after), 'the --after time itself is included');
  t.false(some.some((e) => e.time === before), 'the --before time is not');
  t.true(some.every((e) => e.time >= after && e.time < before));
  t.is(some.length, all.filter((e) => e.time >= after && e.time < before).length);
});

test('usage errors exit 2: unknown format, .csv without --format, bad zone, output inside the evidence', (t) => {
  const dir = out();
  t.is(cli(['extract', DEAD, '-f', 'xml']).code, 2);
  t.is(cli(['extract', DEAD, '-o', path.join(dir, 'x.csv')]).code, 2);
  t.is(cli(['extract', DEAD, '-f', 'l2tcsv', '-z', 'Mars/Olympus']).code, 2);
  const ev = makeTree({ [`containers/${ID}/config.v2.json`]: configV2(ID) });
  const r = cli(['extract', ev, '-o', path.join(ev, 'out.jsonl')]);
  t.is(r.code, 2);
  t.regex(r.stderr, /inside the evidence/);
  t.false(existsSync(path.join(ev, 'out.jsonl')));
});

test('exit 3 with warnings written to --warnings as JSON lines; exit 1 when no data root is found', (t) => {
  const dir = out();
  const ev = makeTree({ [`containers/${ID}/config.v2.json`]: configV2(ID), [`containers/${ID}/${ID}-json.log`]: '{"broken\n' });
  const r = cli(['extract', ev, '-f', 'jsonl', '--warnings', path.join(dir, 'w.jsonl')]);
  t.is(r.code, 3);
  const w = readFileSync(path.join(dir, 'w.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  t.is(w.length, 1);
  t.like(w[0], { kind: 'bad-json', artifact: 'json-file log', evidence: `containers/${ID}/${ID}-json.log`, offset: 0 });
  t.regex(r.stderr, /1 warning/);
  t.is(cli(['extract', out(), '-f', 'jsonl']).code, 1);
});

test('extract --merge folds a host bodyfile into the extraction: one sorted timeline holding both', (t) => {
  const dir = out();
  const alone = cli(['extract', DEAD, '-f', 'jsonl', '-q']);
  const merged = cli(['extract', DEAD, '--merge', path.join(FIXTURES, 'merge/host.body'), '-o', path.join(dir, 'm.jsonl'), '-q']);
  t.true(merged.code === 0 || merged.code === 3, merged.stderr);
  const lines = readFileSync(path.join(dir, 'm.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { time: string; kind: string });
  const docker = alone.stdout.trim().split('\n').length;
  const host = lines.filter((e) => e.kind === 'host.bodyfile');
  t.true(host.length > 5);
  t.is(lines.length, docker + host.length);
  for (let i = 1; i < lines.length; i++) t.true(lines[i - 1]!.time <= lines[i]!.time, `sorted at ${i}`);
  t.is(cli(['extract', DEAD, '--merge', path.join(dir, 'm.jsonl'), '-o', path.join(dir, 'm.jsonl')]).code, 2, 'never overwrites a merge input');
});
