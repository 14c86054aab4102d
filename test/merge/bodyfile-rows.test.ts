import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseString } from 'fast-csv';
import type { TimelineEvent } from '../../src/events/event.ts';
import { compareEvents } from '../../src/events/compare.ts';
import { JsonlSink } from '../../src/sinks/jsonl.ts';
import { BodyfileSink } from '../../src/sinks/bodyfile.ts';
import { Warnings } from '../../src/warnings.ts';
import { Attributor } from '../../src/merge/attribution.ts';
import { runMerge, timeWindow, type MergeArgs } from '../../src/cli/merge-command.ts';
import { runSink } from '../sinks/make-event.ts';
import { DR, fixture, lineOffsets, makeDataRoot, read } from './helpers.ts';

/**
 * `merge` keeps bodyfile rows whole and makes their events only when it writes them
 * (src/merge/bodyfile-rows.ts); the reader alone makes them at once. Both must give the same events
 * in the same order: checked here against the reader's events sorted as the timeline sorts them.
 */

const made: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(path.join(tmpdir(), 'dt-merge-rows-'));
  made.push(d);
  return d;
};
test.after.always(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** A bodyfile in every shape the reader knows, with times that tie across columns, rows and inputs. */
function bodyfile(rows: number, seed = 11): string {
  let s = seed;
  const rand = (n: number): number => Math.floor((s = (s * 1103515245 + 12345) % 2147483648) / 65536) % n;
  const time = (): string => {
    const r = rand(20);
    if (r === 0) return '0';
    if (r === 1) return `-${rand(100)}.${rand(10)}`; // before 1970
    if (r < 6) return `${1_700_000_000 + rand(50)}`; // few distinct seconds: many ties
    if (r < 9) return `${1_700_000_000 + rand(50)}.${String(rand(1_000_000_000)).padStart(9, '0')}`;
    if (r === 9) return `${1_700_000_000 + rand(50)}.5`;
    return `${1_600_000_000 + rand(100_000_000)}.${rand(1000)}`;
  };
  const names = ['/etc/passwd', '/var/lib/docker/overlay2/' + DR.mount + '/diff/etc/shadow', `/var/lib/docker/containers/${DR.container}/hostname`,
    '/var/lib/docker/volumes/appdata/_data/x', '/home/u/a\\|b', '/home/u/raw|pipe', '/tmp/x (deleted)', '/tmp/y (deleted-realloc)', '/tmp/%7Cp%25', '/usr/lib/Grüße'];
  let text = '# a comment\n';
  for (let i = 0; i < rows; i++) {
    const name = `${names[rand(names.length)]}-${i}`;
    const link = rand(10) === 0;
    const t = [time(), time(), time(), time()];
    if (rand(4) === 0) t[2] = t[1]!; // ctime = mtime: two events of one row at one time
    text += `${rand(30) === 0 ? 'd41d8cd98f00b204e9800998ecf8427e' : '0'}|${link ? `${name} -> /target` : name}|${i + 2}|${link ? 'l/lrwxrwxrwx' : 'r/rrw-r--r--'}|${rand(3) ? rand(2000) : ''}|${rand(2000)}|${rand(100000)}|${t.join('|')}\n`;
  }
  // beyond exact numbers (read at once), beyond 20 digits (no event), all zero, malformed
  text += '0|/huge|1|r/rrw-r--r--|0|0|0|1234567890123456.5|1700000000|0|0\n';
  text += '0|/huge20|1|r/rrw-r--r--|0|0|0|0|12345678901234567890|123456789012345678901|1700000001\n';
  text += '0|/zero|1|r/rrw-r--r--|0|0|0|0|0|0|0\n';
  text += '0|/bad|1|r/rrw-r--r--|0|0|0|x|0|0|0\n';
  return text;
}

/** The reader's events of the inputs, windowed, attributed and sorted as merge does (stably). */
async function reference(inputs: string[], o: { zone?: string; window?: Partial<MergeArgs>; evidence?: string } = {}): Promise<TimelineEvent[]> {
  const inside = timeWindow(o.window ?? {});
  const attributor = o.evidence ? (await Attributor.fromEvidence([o.evidence], new Warnings())).attributor : null;
  const all: TimelineEvent[] = [];
  for (const file of inputs) {
    const { events, hostPaths } = await read(file, { zone: o.zone });
    events.forEach((e, i) => {
      if (!inside(e.timeNs)) return;
      if (attributor && hostPaths[i]) attributor.annotate(e, hostPaths[i]!);
      all.push(e);
    });
  }
  return all.sort(compareEvents); // Array.prototype.sort is stable
}

async function merged(inputs: string[], format: string, over: Partial<MergeArgs> = {}): Promise<{ text: string; stderr: string }> {
  const out = path.join(tmp(), `out.${format}`);
  let stderr = '';
  const code = await runMerge({ inputs, output: out, format, timezone: 'UTC', csvGuard: true, ...over }, (s) => { stderr += s; });
  if (code !== 0 && code !== 3) throw new Error(stderr);
  return { text: readFileSync(out, 'utf8'), stderr };
}

const cases: { title: string; over: Partial<MergeArgs>; zone?: string; evidence?: boolean }[] = [
  { title: 'in memory', over: {} },
  { title: 'spilled runs merged in more than one pass (> 64 runs)', over: { sortMemoryMb: 0.01 } },
  { title: 'read in a zone, with a time window', over: { inputTimezone: 'Europe/Berlin', after: '2023-11-14T21:13:10Z', before: '2023-11-14T21:13:40Z', sortMemoryMb: 0.05 }, zone: 'Europe/Berlin' },
  { title: 'attributed to the containers, layers and volumes of a data root', over: { sortMemoryMb: 0.05 }, evidence: true },
];

for (const c of cases) {
  test(`bodyfile rows kept whole give the reader's events in the timeline order: ${c.title}`, async (t) => {
    const dir = tmp();
    const a = path.join(dir, 'a.body'), b = path.join(dir, 'b.body');
    writeFileSync(a, bodyfile(6000));
    writeFileSync(b, bodyfile(300, 5));
    const other = path.join(dir, 'sub');
    mkdirSync(other);
    const c2 = path.join(other, 'a.body'); // same name, another folder: ordered by folder first
    writeFileSync(c2, bodyfile(200, 7));
    // the same file twice: its events tie with themselves and keep the input order
    const inputs = [b, a, fixture('host.body'), c2, b];
    const root = c.evidence ? makeDataRoot(tmp(), 'docker').root : undefined;
    const spill = path.join(dir, 'spill');
    mkdirSync(spill);
    const over: Partial<MergeArgs> = { ...c.over, evidence: root ? [root] : undefined, tmpDir: spill };
    const want = await reference(inputs, { zone: c.zone, window: c.over, evidence: root });
    t.true(want.length > 1000);
    const json = await merged(inputs, 'jsonl', over);
    t.is(json.text, runSink(new JsonlSink(), want));
    const body = await merged(inputs, 'bodyfile', over);
    t.is(body.text, runSink(new BodyfileSink(), want));
    // the counts merge reports are those of the events
    t.regex(json.stderr, new RegExp(`${want.length} event\\(s\\) written`));
    if (root) t.regex(json.stderr, new RegExp(`${want.filter((e) => e.containerId || e.fields.layer || e.fields.volume).length} attributed`));
    t.deepEqual(readdirSync(spill), []);
  });
}

test('timesketch-csv headers name the fields of rows kept whole as they name events\' fields', async (t) => {
  const dir = tmp();
  const a = path.join(dir, 'a.body');
  writeFileSync(a, bodyfile(500));
  const { root } = makeDataRoot(tmp(), 'docker');
  const want = await reference([a], { evidence: root });
  const csv = await merged([a], 'timesketch-csv', { evidence: [root] });
  const names = new Set<string>();
  for (const e of want) for (const k of Object.keys(e.fields)) names.add(k);
  t.is(csv.text.split('\r\n')[0], runSink(new (await import('../../src/sinks/timesketch.ts')).TimesketchCsvSink('UTC', true), want).split('\r\n')[0]);
  t.true(names.has('layer_role') && names.has('symbolic_link_target') && names.has('md5'), [...names].join(' '));
});

/** mactime -b FILE -d -y (from 1970-01-02): rows as objects. */
async function mactime(body: string): Promise<Record<string, string>[]> {
  const out = execFileSync('mactime', ['-b', body, '-d', '-y', '1970-01-02'], { env: { ...process.env, TZ: 'UTC' } }).toString('utf8');
  const rows: Record<string, string>[] = [];
  await new Promise<void>((resolve, reject) => {
    parseString(out, { headers: true }).on('error', reject).on('data', (r: Record<string, string>) => rows.push(r)).on('end', () => resolve());
  });
  return rows;
}

test('bodyfile → bodyfile: each row keeps its inode, mode, UID, GID and size; mactime lists the output as it lists the input', async (t) => {
  const dir = tmp();
  const input = path.join(dir, 'host.body');
  // rows mactime reads (numeric owners, names without |), as fls writes them: equal times in a row, fractions, links, deleted
  let text = '';
  for (let i = 0; i < 400; i++) {
    const base = 1_700_000_000 + (i % 37) * 3600;
    const name = i % 9 === 0 ? `/bin/link-${i} -> /usr/bin/x` : i % 13 === 0 ? `/tmp/gone-${i} (deleted)` : `/usr/share/doc/pkg/file-${i}`;
    const mode = i % 9 === 0 ? 'l/lrwxrwxrwx' : i % 5 === 0 ? 'd/drwxr-xr-x' : 'r/rrw-r--r--';
    const crtime = i % 7 === 0 ? '0' : `${base - 5}`;
    text += `0|${name}|${1000 + i}${i % 11 === 0 ? '-128-3' : ''}|${mode}|${i % 3}|${i % 4 * 100}|${i * 17}|${base + (i % 4) * 60}.${String(i).padStart(9, '0')}|${base}|${i % 2 ? base : base + 30}|${crtime}\n`;
  }
  writeFileSync(input, text);
  const out = path.join(dir, 'merged.body');
  let stderr = '';
  t.is(await runMerge({ inputs: [input], output: out, format: 'bodyfile', timezone: 'UTC', csvGuard: true }, (s) => { stderr += s; }), 0, stderr);
  // every output line: the row's own columns, one time; named `[docker:host.bodyfile] <name> Owner … (<input>@<offset>)`
  const byOffset = new Map(lineOffsets(input).map((l) => [l.offset, l.text.split('|')]));
  const lines = readFileSync(out, 'utf8').split('\n').filter(Boolean);
  t.is(lines.length, [...byOffset.values()].reduce((n, f) => n + f.slice(7).filter((x) => Number(x) !== 0).length, 0));
  for (const l of lines) {
    const f = l.split('|');
    t.is(f.length, 11, l);
    const offset = Number(/@(\d+)\)$/.exec(f[1]!)![1]);
    const row = byOffset.get(offset)!;
    t.deepEqual(f.slice(2, 7), row.slice(2, 7), l);
    t.true(f[1]!.startsWith(`[docker:host.bodyfile] ${row[1]} Owner identifier: `), l);
    // one time column, the row's, to the nanosecond
    const times = f.slice(7);
    t.is(times.filter((x) => x !== '0').length, 1, l);
    const col = times.findIndex((x) => x !== '0');
    t.is(Number(times[col]), Number(row[7 + col]), l);
  }
  // mactime: the same dates, sizes, MACB letters, modes, owners and inodes for the same names
  const name = (n: string): string => /^\[docker:host\.bodyfile\] (.*?) Owner identifier: /.exec(n)?.[1] ?? n;
  const key = (r: Record<string, string>, date: string): string => [date, r.Size, r.Type, r.Mode, r.UID, r.GID, r.Meta, name(r['File Name']!)].join(' ');
  const listed = (rows: Record<string, string>[]): string[] => {
    let date = '';
    return rows.map((r) => { if (r.Date!.trim()) date = r.Date!; return key(r, date); }).sort();
  };
  const theirs = listed(await mactime(input));
  t.true(theirs.length > 400);
  t.deepEqual(listed(await mactime(out)), theirs);
});
