import test from 'ava';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseString } from 'fast-csv';
import { runMerge, type MergeArgs } from '../../src/cli/merge-command.ts';
import { runExtract, UsageError } from '../../src/cli/extract-command.ts';
import { cli } from '../helpers/run.ts';
import { DR, fixture, jsonLines, makeDataRoot } from './helpers.ts';

const tmp = (): string => mkdtempSync(path.join(tmpdir(), 'dt-merge-cmd-'));

async function merge(over: Partial<MergeArgs> & { inputs: string[] }): Promise<{ code: number; stderr: string; out: string }> {
  const out = over.output ?? path.join(tmp(), 'merged.jsonl');
  let stderr = '';
  const code = await runMerge({ format: 'jsonl', timezone: 'UTC', csvGuard: true, output: out, ...over }, (s) => { stderr += s; });
  return { code, stderr, out };
}

const ALL = ['host.body', 'plaso.l2t.csv', 'plaso-cet.l2t.csv', 'plaso.json_line.jsonl', 'timesketch.csv', 'timesketch.jsonl'].map(fixture);

test('--dedup drops an event equal to an earlier one in time, description, file and message; off by default', async (t) => {
  const dir = tmp();
  const a = path.join(dir, 'a.csv'), b = path.join(dir, 'b.csv');
  copyFileSync(fixture('plaso.l2t.csv'), a);
  copyFileSync(fixture('plaso.l2t.csv'), b);
  const all = await merge({ inputs: [a, b, fixture('plaso.json_line.jsonl')] });
  t.is(jsonLines(all.out).length, 4 + 4 + 4);
  const once = await merge({ inputs: [a, b, fixture('plaso.json_line.jsonl')], dedup: true });
  const events = jsonLines(once.out);
  t.is(events.length, 4 + 4);
  t.regex(once.stderr, /4 duplicate\(s\) dropped/);
  // the first of each pair is kept (a.csv sorts before b.csv), and M and C of one line are not duplicates
  t.deepEqual(events.filter((e) => e.kind === 'plaso.l2tcsv').map((e) => e.evidence), ['a.csv', 'a.csv', 'a.csv', 'a.csv']);
  t.is(events.filter((e) => String(e.message).includes('/etc/passwd Type: file') && e.kind === 'plaso.l2tcsv').length, 2);
  // two json_line events at one microsecond with different messages both stay
  t.is(events.filter((e) => e.time === '2012-06-27T18:17:01.000000000Z').length, 3);
});

test('--after is inclusive, --before exclusive; --slice keeps [T - size, T + size], both ends included (psort)', async (t) => {
  const times = async (o: Partial<MergeArgs>): Promise<string[]> =>
    jsonLines((await merge({ inputs: [fixture('timesketch.csv')], ...o })).out).map((e) => String(e.time).slice(11, 26));
  t.deepEqual(await times({}), ['10:57:02.877297', '10:57:03.000000', '10:57:04.000000', '10:57:05.000001', '10:57:06.000000']);
  t.deepEqual(await times({ after: '2024-07-24T10:57:03Z', before: '2024-07-24T10:57:06Z' }), ['10:57:03.000000', '10:57:04.000000', '10:57:05.000001']);
  t.deepEqual(await times({ slice: '2024-07-24T10:58:04Z', sliceSize: 1 }), ['10:57:04.000000', '10:57:05.000001', '10:57:06.000000']);
  t.deepEqual(await times({ slice: '2024-07-24T10:56:03Z', sliceSize: 1 }), ['10:57:02.877297', '10:57:03.000000']);
  t.deepEqual(await times({ slice: '2024-07-24T12:57:04+02:00' }), ['10:57:02.877297', '10:57:03.000000', '10:57:04.000000', '10:57:05.000001', '10:57:06.000000']);
  t.deepEqual(await times({ slice: '2024-07-24T10:57:04Z', sliceSize: 1, before: '2024-07-24T10:57:04Z' }), ['10:57:02.877297', '10:57:03.000000']);
  const { stderr } = await merge({ inputs: [fixture('timesketch.csv')], after: '2024-07-24T10:57:05Z' });
  t.regex(stderr, /2 event\(s\) written, 3 outside the time window/);
});

test('every output format takes the merged events: bodyfile through the real mactime, Timesketch CSV, L2T', async (t) => {
  const json = await merge({ inputs: ALL });
  t.is(json.code, 3); // the fixtures hold malformed lines on purpose
  const n = jsonLines(json.out).length;
  t.is(n, 15 + 4 + 4 + 4 + 5 + 2);
  const body = await merge({ inputs: ALL, format: 'bodyfile', output: path.join(tmp(), 'merged.body') });
  const lines = readFileSync(body.out, 'utf8').split('\n').filter(Boolean);
  t.is(lines.length, n);
  const mactime = execFileSync('mactime', ['-b', body.out, '-d', '-y', '1970-01-02'], { env: { ...process.env, TZ: 'UTC' } }).toString('utf8');
  const rows: Record<string, string>[] = [];
  await new Promise<void>((resolve, reject) => {
    parseString(mactime, { headers: true }).on('error', reject).on('data', (r: Record<string, string>) => rows.push(r)).on('end', () => resolve());
  });
  // one letter per event; the event before 1970 is left out by mactime
  t.is(rows.reduce((s, r) => s + r.Type!.replace(/\./g, '').length, 0), n - 1);
  t.true(rows.some((r) => r['File Name']!.startsWith('[docker:host.bodyfile] /file|with|pipes Owner identifier: 48')));
  const csv = await merge({ inputs: ALL, format: 'timesketch-csv', output: path.join(tmp(), 'merged.csv') });
  const tsRows: Record<string, string>[] = [];
  await new Promise<void>((resolve, reject) => {
    parseString(readFileSync(csv.out, 'utf8'), { headers: true }).on('error', reject).on('data', (r: Record<string, string>) => tsRows.push(r)).on('end', () => resolve());
  });
  t.is(tsRows.length, n);
  t.true(tsRows.every((r) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d$/.test(r.datetime!) || r.datetime!.startsWith('1969')));
  t.is(tsRows.find((r) => r.kind === 'timesketch.csv' && r.message!.startsWith('multi-line'))!.message, 'multi-line\r\nmessage with "quotes"');
  const l2t = await merge({ inputs: ALL, format: 'l2tcsv', output: path.join(tmp(), 'merged.l2t.csv'), timezone: 'Europe/Berlin' });
  const l2tLines = readFileSync(l2t.out, 'utf8').split('\n').filter(Boolean);
  t.true(l2tLines.slice(1).every((l) => l.split(',').length === 17));
  t.true(l2tLines.some((l) => l.startsWith('01/22/2012,08:52:33,CET,M...,LOG,Log File,Content Modification Time,-,-,[client  pid: 30840]')));
  // and what merge wrote in L2T reads back as the same instants
  const back = await merge({ inputs: [l2t.out] });
  t.deepEqual(jsonLines(back.out).map((e) => e.time), [...new Set(jsonLines(json.out).map((e) => e.time))].flatMap((time) => jsonLines(json.out).filter((e) => e.time === time).map(() => time)));
});

test('host paths in L2T, json_line and Timesketch rows are attributed with --evidence; events extract made are not touched again', async (t) => {
  const dir = tmp();
  const { root } = makeDataRoot(dir, 'docker');
  const r = await merge({ inputs: [fixture('plaso.l2t.csv'), fixture('plaso.json_line.jsonl'), fixture('timesketch.jsonl')], evidence: [root] });
  const events = jsonLines(r.out);
  const passwd = events.filter((e) => String(e.message).includes(`overlay2/${DR.mount}/diff/etc/passwd`));
  t.is(passwd.length, 3); // L2T M and C, json_line M
  for (const e of passwd) {
    t.is(e.container_id, DR.container);
    t.is(e.container_name, 'web');
    t.is(e.path, '/etc/passwd');
    t.is(e.layer_role, 'writable layer');
    t.regex(String(e.message), /\[docker: \/etc\/passwd in web writable layer [0-9a-f]{12}\]$/);
  }
  // a container the evidence does not know: its id from the path, its in-container path
  const hostname = events.find((e) => e.message === `Another message [docker: hostname of container ${'a'.repeat(12)} (its /etc/hostname)]`);
  t.truthy(hostname);
  t.is(hostname!.container_id, 'a'.repeat(64));
  t.is(hostname!.container_name, undefined);
  t.regex(r.stderr, /4 attributed to containers, layers or volumes/);
  // extract's own jsonl of the same root: attributed already, left as it is
  const jsonl = path.join(dir, 'docker.jsonl');
  await runExtract({ evidence: [root], output: jsonl, format: 'jsonl', timezone: 'UTC', csvGuard: true, quiet: true }, () => {});
  const again = jsonLines((await merge({ inputs: [jsonl], evidence: [root] })).out);
  const original = jsonLines(jsonl);
  t.is(again.length, original.length);
  t.deepEqual(again.map((e) => e.message).sort(), original.map((e) => e.message).sort());
});

test('a large input is sorted through spilled runs and comes out complete and in order', async (t) => {
  const dir = tmp();
  const file = path.join(dir, 'big.body');
  let text = '';
  let seed = 7;
  const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < 20_000; i++) text += `0|/data/file-${i}|${i + 100}|r/rrw-r--r--|0|0|1|${1_600_000_000 + Math.floor(rand() * 1e6)}.${String(i).padStart(9, '0')}|0|0|0\n`;
  writeFileSync(file, text);
  const spill = path.join(dir, 'spill');
  execFileSync('mkdir', [spill]);
  const r = await merge({ inputs: [file], sortMemoryMb: 0.5, tmpDir: spill });
  t.is(r.code, 0);
  const times = jsonLines(r.out).map((e) => String(e.time));
  t.is(times.length, 20_000);
  t.deepEqual(times, [...times].sort());
  t.deepEqual(readdirSync(spill), []); // spill files removed
});

test('usage errors; an input that nothing can read fails the run', async (t) => {
  const body = fixture('host.body');
  await t.throwsAsync(merge({ inputs: [body], inputFormat: 'csv' }), { instanceOf: UsageError, message: /unknown --input-format csv/ });
  await t.throwsAsync(merge({ inputs: [body], inputTimezone: 'Mars/Olympus' }), { instanceOf: UsageError, message: /--input-timezone: unknown time zone/ });
  await t.throwsAsync(merge({ inputs: [body], output: body }), { instanceOf: UsageError, message: /refusing to overwrite the input/ });
  await t.throwsAsync(merge({ inputs: [body], sliceSize: 3 }), { instanceOf: UsageError, message: /--slice-size needs --slice/ });
  await t.throwsAsync(merge({ inputs: [body], after: 'yesterday' }), { instanceOf: UsageError, message: /--after yesterday is not ISO 8601/ });
  const dir = tmp();
  const { root } = makeDataRoot(dir, 'docker');
  await t.throwsAsync(merge({ inputs: [body], evidence: [root], output: path.join(root, 'out.jsonl') }), { instanceOf: UsageError, message: /inside the evidence/ });
  const notes = path.join(dir, 'notes.txt');
  writeFileSync(notes, 'nothing to see\n');
  const r = await merge({ inputs: [notes] });
  t.is(r.code, 1);
  t.regex(r.stderr, /\[unknown-format\]/);
});

test('the CLI: merge is a subcommand with the documented options and exit codes', (t) => {
  const help = cli(['merge', '--help']);
  for (const opt of ['--input-format', '--input-timezone', '--slice-size', '--dedup', '--evidence', '--before', '--after']) t.true(help.stdout.includes(opt), opt);
  const ok = cli(['merge', fixture('timesketch.jsonl'), fixture('plaso-cet.l2t.csv'), '--input-timezone', 'Europe/Berlin', '--format', 'jsonl']);
  t.is(ok.code, 3, ok.stderr); // the fixture's bad lines are warnings
  t.is(ok.stdout.split('\n').filter(Boolean).length, 2 + 5);
  t.is(cli(['merge', fixture('host.body'), '--input-format', 'nope', '--format', 'jsonl']).code, 2);
  t.is(cli(['merge', fixture('host.body'), '-o', path.join(tmp(), 'x.csv')]).code, 2); // .csv needs --format
});
