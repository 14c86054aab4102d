import test from 'ava';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DirectorySource } from '../src/evidence/directory-source.ts';
import { TarSource } from '../src/evidence/tar-source.ts';
import { RawLine } from '../src/events/raw-line.ts';
import { LogWorkerPool } from '../src/extractors/log-workers.ts';
import { L2tCsvSink } from '../src/sinks/l2tcsv.ts';
import { TempDir } from '../src/spill/temp-dir.ts';
import { extractSource, type DirectMerge, type RawOpener } from '../src/pipeline.ts';
import type { TimelineEvent } from '../src/events/event.ts';
import { Warnings } from '../src/warnings.ts';
import type { Extractor } from '../src/extractors/extractor.ts';
import { containerConfig } from '../src/extractors/container-config.ts';
import { cli } from './helpers/run.ts';
import { ID, ID2, configV2, dockerGzip, logLine, makeTree } from './helpers/dataroot.ts';
import { bigLog } from './helpers/big-log.ts';

const LOG = `containers/${ID}/${ID}-json.log`;

/** Folders of these tests (logs of megabytes), removed when they are done. */
const folders: string[] = [];
const kept = <T extends string>(dir: T): T => { folders.push(dir); return dir; };
test.after.always(() => { for (const d of folders) rmSync(d, { recursive: true, force: true }); });

/** A data root whose log is large enough to be merged directly, extracted with the direct merge captured. */
async function handedOver(): Promise<{ root: string; warnings: Warnings; open: () => AsyncIterator<TimelineEvent[]> }> {
  const root = kept(makeTree({ [`containers/${ID}/config.v2.json`]: configV2(ID), [LOG]: bigLog(2, 1_800_000_000, []) }));
  const warnings = new Warnings();
  const opened: (() => AsyncIterator<TimelineEvent[]>)[] = [];
  const direct: DirectMerge = { add: (open) => { opened.push(open); }, minBytes: 1 << 20, maxSources: 10 };
  await extractSource(new DirectorySource(root, root, warnings), { hostname: null, direct }, warnings, () => {});
  if (opened.length !== 1) throw new Error(`expected one log merged directly, got ${opened.length}`);
  return { root, warnings, open: opened[0]! };
}

async function drain(open: () => AsyncIterator<TimelineEvent[]>): Promise<number> {
  const it = open();
  let n = 0;
  for (let r = await it.next(); !r.done; r = await it.next()) n += r.value.length;
  return n;
}

test('a log that changes between its check and the output is a warning saying what changed (live evidence)', async (t) => {
  const { root, warnings, open } = await handedOver();
  const before = readFileSync(path.join(root, LOG)).toString().split('\n').length - 1;
  appendFileSync(path.join(root, LOG), logLine('appended after the check\n', '2027-01-01T00:00:00Z'));
  const n = await drain(open);
  t.true(n >= before);
  const w = warnings.list.filter((x) => x.kind === 'evidence-changed');
  t.is(w.length, 1, JSON.stringify(warnings.list));
  t.is(w[0]!.evidence, LOG);
  t.is(w[0]!.evidenceSource, root);
  t.regex(w[0]!.message, /size \d+ -> \d+/);
  t.regex(w[0]!.message, /mtime /);
});

test('an unchanged log read again for the output gives no warning', async (t) => {
  const { warnings, open } = await handedOver();
  t.true(await drain(open) > 10_000);
  t.deepEqual(warnings.list, []);
});

test('a log gone by output time is a warning for that log only: the output goes on', async (t) => {
  const { root, warnings, open } = await handedOver();
  rmSync(path.join(root, LOG));
  t.is(await drain(open), 0);
  const w = warnings.list.filter((x) => x.kind === 'unreadable');
  t.is(w.length, 1, JSON.stringify(warnings.list));
  t.is(w[0]!.evidence, LOG);
  t.regex(w[0]!.message, /ENOENT/);
});

test('warnings met at output time in a directly merged log name its own evidence source, not the last one read', (t) => {
  const first = kept(makeTree({
    [`containers/${ID}/config.v2.json`]: configV2(ID),
    [LOG]: bigLog(9, 1_800_000_000, [(time) => `{"log":"not json\\n","stream":"stdout","time":"${time}"`]),
  }));
  const second = kept(makeTree({ [`containers/${ID2}/config.v2.json`]: configV2(ID2), [`containers/${ID2}/${ID2}-json.log`]: logLine('hi\n', '2026-01-02T03:04:06Z') }));
  const dir = kept(mkdtempSync(path.join(tmpdir(), 'dt-direct-')));
  for (const fast of [[], ['--no-fast-path']]) {
    const warn = path.join(dir, `w${fast.length}.jsonl`);
    const r = cli(['extract', first, second, '-o', path.join(dir, 'out.csv'), '-q', '--format', 'l2tcsv', '--warnings', warn, ...fast]);
    t.is(r.code, 3, r.stderr);
    const ws = readFileSync(warn, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; evidence: string; evidenceSource: string });
    const bad = ws.filter((w) => w.kind === 'bad-json');
    t.true(bad.length > 0, JSON.stringify(ws));
    for (const w of bad) {
      t.is(w.evidence, LOG);
      t.is(w.evidenceSource, first, `${fast.join(' ') || 'fast path'}: the bad line's source`);
    }
  }
});

test('a compressed rotation merged directly is decompressed once into a copy that the workers check and format (dir and tar evidence)', async (t) => {
  const rotation = `containers/${ID}/${ID}-json.log.1.gz`;
  const log = bigLog(9, 1_800_000_000, []);
  const lines = log.split('\n').length - 1;
  const last = JSON.parse(log.slice(log.lastIndexOf('{'))) as { time: string };
  const root = kept(makeTree({ [`containers/${ID}/config.v2.json`]: configV2(ID), [rotation]: dockerGzip(log, last.time, 0) }));
  const tar = path.join(kept(mkdtempSync(path.join(tmpdir(), 'dt-direct-gz-'))), 'evidence.tar');
  execFileSync('tar', ['-C', root, '-cf', tar, 'containers']);
  for (const [name, make] of [['dir', (w: Warnings) => new DirectorySource(root, root, w)], ['tar', (w: Warnings) => new TarSource(tar, tar, w)]] as const) {
    const warnings = new Warnings();
    const copies = new TempDir(undefined, 'dt-test-copies-');
    const added: { count: number; names: string[]; openRaw?: RawOpener }[] = [];
    const direct: DirectMerge = { add: (_open, count, names, openRaw) => { added.push({ count, names: [...names], openRaw }); }, minBytes: 1 << 20, maxSources: 10, copies };
    try {
      await extractSource(make(warnings), { hostname: null, direct }, warnings, () => {});
      t.is(added.length, 1, name);
      t.is(added[0]!.count, lines);
      t.deepEqual(added[0]!.names, ['log_driver', 'time_raw', 'offset_in', 'rotation'], `${name}: the fields the JSON path gives a compressed rotation's lines`);
      let raw = 0;
      let events = 0;
      const it = added[0]!.openRaw!(new L2tCsvSink('UTC', null).rawLogs());
      for (let r = await it.next(); !r.done; r = await it.next()) {
        for (const item of r.value) {
          if (item instanceof RawLine) { raw++; item.owner?.done(); } else events++;
        }
      }
      t.true(raw > lines - 10, `${name}: ${raw} of ${lines} lines formatted by the workers (${events} events)`);
      t.deepEqual(warnings.list, [], `${name}: lastTime is the last line's time`);
      // the copies (a tar member's, the decompressed one) are gone once the output has read them
      t.deepEqual(readdirSync(path.dirname(copies.file())), [], `${name}: no copy left`);
    } finally {
      copies.cleanup();
      await LogWorkerPool.shutdown();
    }
  }
});

test('a directly merged file whose name is not UTF-8 is read again by its own bytes (its path is text with \\xNN)', async (t) => {
  // an ordered extractor of this test's own: one event per line, at the line's offset as its time
  const lines: Extractor<{ offset: number }> = {
    name: 'test-lines', artifact: 'test lines', phase: 'content', needs: 'content', ordered: true,
    match: (rel) => rel.endsWith('.lines'),
    async extract(_ref, input, out) {
      let at = 0;
      for await (const chunk of input as AsyncIterable<Buffer>) {
        for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) out.record({ offset: at + i });
        at += chunk.length;
      }
    },
    toEvents: (r, ctx) => [{ timeNs: BigInt(r.offset), timestampDesc: 'Content Modification Time', kind: 'test.line', message: 'line', source: 'T', sourcetype: 'T', dataType: 'test', parser: 'test', evidenceSource: ctx.evidenceSource, evidenceKind: ctx.evidenceKind, evidence: 'x', offset: r.offset, fields: {} }],
  };
  const root = kept(makeTree({ [`containers/${ID}/config.v2.json`]: configV2(ID) }));
  const name = Buffer.concat([Buffer.from(path.join(root, 'containers', ID) + '/'), Buffer.from([0x6c, 0xff, 0x2e]), Buffer.from('lines')]);
  writeFileSync(name, 'x\n'.repeat(600_000));
  const warnings = new Warnings();
  const opened: (() => AsyncIterator<TimelineEvent[]>)[] = [];
  const direct: DirectMerge = { add: (open) => { opened.push(open); }, minBytes: 1 << 20, maxSources: 10 };
  await extractSource(new DirectorySource(root, root, warnings), { hostname: null, direct, extractors: [containerConfig, lines] }, warnings, () => {});
  t.is(opened.length, 1);
  t.is(await drain(opened[0]!), 600_000);
  t.deepEqual(warnings.list, []);
});

test('a log replaced under its name (another inode) by output time is not read in its place: an unreadable warning says so', async (t) => {
  const { root, warnings, open } = await handedOver();
  const other = path.join(root, 'other.log');
  writeFileSync(other, logLine('not the listed file\n', '2027-01-01T00:00:00Z'));
  renameSync(other, path.join(root, LOG));
  t.is(await drain(open), 0);
  const w = warnings.list.filter((x) => x.kind === 'unreadable');
  t.is(w.length, 1, JSON.stringify(warnings.list));
  t.regex(w[0]!.message, /replaced since it was listed \(inode \d+ -> \d+\)/);
});
