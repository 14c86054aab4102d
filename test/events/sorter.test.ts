import test from 'ava';
import fc from 'fast-check';
import { EventSorter, mergeBatches } from '../../src/events/sorter.ts';
import { compareEvents } from '../../src/events/compare.ts';
import type { TimelineEvent } from '../../src/events/event.ts';

function ev(timeNs: bigint, evidence: string, offset: number, message = ''): TimelineEvent {
  return {
    timeNs, timestampDesc: 'Content Modification Time', kind: 'container.log', message, source: 'DOCKER', sourcetype: 'Docker Container Log',
    dataType: 'docker:container:log:entry', parser: 'docker_timeline/json_file_log', evidenceSource: '/e', evidenceKind: 'OS', evidence, offset, fields: { n: offset },
  };
}

async function all(it: AsyncIterable<TimelineEvent[]>): Promise<TimelineEvent[]> {
  const out: TimelineEvent[] = [];
  for await (const b of it) out.push(...b);
  return out;
}

test('memory, spilled runs and direct sources merge into one stable order (property)', async (t) => {
  await fc.assert(fc.asyncProperty(
    fc.array(fc.tuple(fc.bigInt({ min: -5n, max: 50n }), fc.constantFrom('a', 'b', 'c'), fc.nat(20)), { maxLength: 300 }),
    fc.array(fc.array(fc.tuple(fc.bigInt({ min: -5n, max: 50n }), fc.nat(20)), { maxLength: 60 }), { maxLength: 4 }),
    fc.integer({ min: 300, max: 20000 }),
    async (loose, sortedSets, memory) => {
      const sorter = new EventSorter({ memoryBytes: memory });
      const expected: TimelineEvent[] = [];
      loose.forEach(([t0, f, o], i) => { const e = ev(t0, f, o, `l${i}`); sorter.add(e); expected.push(e); });
      sortedSets.forEach((set, si) => {
        const events = set.map(([t0, o], i) => ev(t0, `direct${si}`, o, `d${si}-${i}`)).sort(compareEvents);
        expected.push(...events);
        sorter.addSortedSource(() => (async function* () { for (let i = 0; i < events.length; i += 7) yield events.slice(i, i + 7); })(), events.length, []);
      });
      const got = await all(sorter.sorted());
      expected.sort(compareEvents);
      if (got.length !== expected.length) return false;
      for (let i = 1; i < got.length; i++) if (compareEvents(got[i - 1]!, got[i]!) > 0) return false;
      return got.map((e) => e.message).sort().join() === expected.map((e) => e.message).sort().join();
    },
  ), { numRuns: 60 });
  t.pass();
});

test('equal events keep the order they were added in, through spills', async (t) => {
  const sorter = new EventSorter({ memoryBytes: 1000 });
  for (let i = 0; i < 100; i++) sorter.add(ev(5n, 'same', 0, `m${i}`));
  const got = await all(sorter.sorted());
  t.deepEqual(got.map((e) => e.message), Array.from({ length: 100 }, (_, i) => `m${i}`));
  t.true(sorter.spilledRuns === 0 || sorter.spilledRuns > 1);
});

test('a single huge in-memory batch is passed on in slices', async (t) => {
  const big = Array.from({ length: 200_000 }, (_, i) => ev(BigInt(i), 'x', 0));
  const got: number[] = [];
  for await (const b of mergeBatches([(async function* () { yield big; })()])) got.push(b.length);
  t.true(got.every((n) => n <= 4096));
  t.is(got.reduce((a, b) => a + b, 0), 200_000);
});

test('more spilled runs than the merge fan-in are merged in passes, still in one stable order', async (t) => {
  const sorter = new EventSorter({ memoryBytes: 20_000 }); // a run every ~10 events
  const n = 2000;
  const made: TimelineEvent[] = [];
  for (let i = 0; i < n; i++) {
    const e = ev(BigInt((i * 7919) % 97), 'f', i % 3, `m${i}`);
    made.push(e);
    sorter.add(e);
  }
  t.true(sorter.spilledRuns > 64, `${sorter.spilledRuns} runs`);
  const got = await all(sorter.sorted());
  const want = [...made].sort(compareEvents);
  t.deepEqual(got.map((e) => e.message), want.map((e) => e.message));
});
