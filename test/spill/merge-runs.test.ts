import test from 'ava';
import fc from 'fast-check';
import { readdirSync, truncateSync, statSync } from 'node:fs';
import path from 'node:path';
import { mergeInto, reduceRuns, RunMerge, type Run, type RunOrder } from '../../src/spill/merge-runs.ts';
import { RunWriter } from '../../src/spill/run-writer.ts';
import { TempDir } from '../../src/spill/temp-dir.ts';
import { readRun, scratch, writeRun } from './helpers.ts';

const s = scratch();
test.after.always(s.removeAll);

/** A record: its key (u16 BE) then a payload that tells records apart. */
const record = (key: number, payload: Uint8Array): Buffer => Buffer.concat([Buffer.from([key >> 8, key & 255]), payload]);
const order = (keep?: 'all' | 'last'): RunOrder<number> => ({ key: (r) => r.buf.readUInt16BE(r.start), compare: (a, b) => a - b, keep });

/** Runs of records sorted by key (stably: equal keys in the order generated). */
const runsArb = fc.array(fc.array(fc.tuple(fc.nat(12), fc.uint8Array({ maxLength: 6 })), { maxLength: 25 }), { maxLength: 12 })
  .map((runs) => runs.map((r) => r.map(([k, p]) => record(k, p)).sort((a, b) => a.readUInt16BE(0) - b.readUInt16BE(0))));

function writeRuns(dir: string, runs: Buffer[][]): Run[] {
  return runs.map((recs, i) => {
    const w = writeRun(path.join(dir, `in-${i}`), recs);
    return { file: w.file, bytes: w.bytes };
  });
}

function merged(files: string[], o: RunOrder<number>): Buffer[] {
  const m = new RunMerge(files, o, 16);
  const out: Buffer[] = [];
  for (let h = m.next(); h; h = m.next()) {
    if (h.key !== h.reader.buf.readUInt16BE(h.reader.start)) throw new Error('key is not the record\'s');
    out.push(Buffer.from(h.reader.buf.subarray(h.reader.start, h.reader.end)));
  }
  return out;
}

/** A stable sort of the concatenation: equal keys in run order, then in their order within the run. */
const stableSort = (runs: Buffer[][]): Buffer[] => runs.flat().sort((a, b) => a.readUInt16BE(0) - b.readUInt16BE(0));
/** Of each key, the record of the latest run that has it (runs holding each key once). */
function lastOfEach(runs: Buffer[][]): Buffer[] {
  const m = new Map<number, Buffer>();
  for (const run of runs) for (const r of run) m.set(r.readUInt16BE(0), r);
  return [...m].sort(([a], [b]) => a - b).map(([, r]) => r);
}
const unique = (runs: Buffer[][]): Buffer[][] => runs.map((run) => run.filter((r, i) => i === 0 || run[i - 1]!.readUInt16BE(0) !== r.readUInt16BE(0)));
const hex = (rs: Buffer[]): string[] => rs.map((r) => r.toString('hex'));

test('a merge of runs equals a stable sort of their concatenation (property)', (t) => {
  fc.assert(fc.property(runsArb, (runs) => {
    const files = writeRuns(s.dir(), runs).map((r) => r.file);
    return JSON.stringify(hex(merged(files, order()))) === JSON.stringify(hex(stableSort(runs)));
  }), { numRuns: 200 });
  t.pass();
});

test('keep: last gives, of equal keys in several runs, the latest run\'s record only (property)', (t) => {
  fc.assert(fc.property(runsArb.map(unique), (runs) => {
    const files = writeRuns(s.dir(), runs).map((r) => r.file);
    return JSON.stringify(hex(merged(files, order('last')))) === JSON.stringify(hex(lastOfEach(runs)));
  }), { numRuns: 200 });
  t.pass();
});

test('runs reduced in passes of any fan-in to any target merge to the same records; merged runs are removed (property)', (t) => {
  fc.assert(fc.property(
    runsArb.chain((runs) => fc.tuple(fc.constant(runs), fc.boolean())),
    fc.integer({ min: 2, max: 6 }), fc.integer({ min: 1, max: 8 }),
    ([generated, last], fanIn, target) => {
      const runs = last ? unique(generated) : generated;
      const o = order(last ? 'last' : 'all');
      const parent = s.dir();
      const dir = new TempDir(parent, 'reduce-');
      const inputs = writeRuns(parent, runs);
      const reduced = reduceRuns(inputs, { order: o, fanIn, target, dir, readBytes: 32, writeBuffer: Buffer.alloc(64) });
      if (reduced.length !== Math.min(inputs.length, target)) return false;
      // every file left is a run of the result (inputs merged into another are gone)
      const left = readdirSync(parent).flatMap((n) => (n.startsWith('reduce-') ? readdirSync(path.join(parent, n)).map((m) => path.join(parent, n, m)) : [path.join(parent, n)]));
      if (JSON.stringify(left.sort()) !== JSON.stringify(reduced.map((r) => r.file).sort())) return false;
      if (reduced.some((r) => statSync(r.file).size !== r.bytes)) return false;
      const want = last ? lastOfEach(runs) : stableSort(runs);
      const ok = JSON.stringify(hex(merged(reduced.map((r) => r.file), o))) === JSON.stringify(hex(want));
      dir.cleanup();
      return ok;
    },
  ), { numRuns: 200 });
  t.pass();
});

test('each pass merges the consecutive runs with the fewest bytes, and at most fan-in of them', (t) => {
  const parent = s.dir();
  const dir = new TempDir(parent, 'passes-');
  const sizes = [50, 1, 1, 1, 40, 2, 2, 30];
  const runs = writeRuns(parent, sizes.map((n, i) => Array.from({ length: n }, (_, j) => record(j, Buffer.from([i])))));
  const seen: number[] = [];
  // the key function sees every record merged: count the records of each pass by the run they come from
  const o: RunOrder<number> = { key: (r) => { seen.push(r.buf[r.end - 1]!); return r.buf.readUInt16BE(r.start); }, compare: (a, b) => a - b };
  const out = reduceRuns(runs, { order: o, fanIn: 3, target: 6, dir });
  // 8 runs to 6: one pass of 3; the window of the fewest bytes is runs 1..3 (3 records), not 5..7
  t.deepEqual(out.map((r) => r.file), [runs[0]!.file, out[1]!.file, ...runs.slice(4).map((r) => r.file)]);
  t.deepEqual([...new Set(seen)].sort(), [1, 2, 3]);
  t.is(seen.length, 3);
  t.deepEqual(readRun(out[1]!.file).map((r) => r[r.length - 1]), [1, 2, 3]);
  dir.cleanup();
});

test('a damaged run in a merge is an error, not a shorter output; its reader and the others are closed', (t) => {
  const parent = s.dir();
  // the damaged run fails while the other is still open
  const runs = writeRuns(parent, [[record(1, Buffer.from('a'))], [record(2, Buffer.from('c')), record(3, Buffer.from('b'))]]);
  truncateSync(runs[0]!.file, statSync(runs[0]!.file).size - 1);
  const fds = (): number => readdirSync('/proc/self/fd').length;
  const before = fds();
  t.throws(() => merged(runs.map((r) => r.file), order()), { message: /in-0 is damaged: cut short/ });
  t.is(fds(), before, 'no file left open');
  const dir = new TempDir(parent, 'damaged-');
  t.throws(() => reduceRuns(runs, { order: order(), fanIn: 2, target: 1, dir }), { message: /in-0 is damaged: cut short/ });
  const w = new RunWriter(path.join(parent, 'out'));
  t.throws(() => mergeInto(runs.map((r) => r.file), order(), w), { message: /is damaged/ });
  w.close();
  dir.cleanup();
  t.is(fds(), before, 'no file left open');
});

test('a fan-in below 2 is refused; no runs, or fewer than the target, are left as they are', (t) => {
  const dir = new TempDir(s.dir(), 'x-');
  t.throws(() => reduceRuns([{ file: 'a', bytes: 1 }, { file: 'b', bytes: 1 }], { order: order(), fanIn: 1, target: 1, dir }), { message: /fan-in 1/ });
  t.deepEqual(reduceRuns([], { order: order(), fanIn: 4, dir }), []);
  const two = [{ file: 'a', bytes: 1 }, { file: 'b', bytes: 1 }];
  t.deepEqual(reduceRuns(two, { order: order(), fanIn: 4, dir }), two);
  const m = new RunMerge([], order());
  t.is(m.next(), null);
});
