import test from 'ava';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BodyfileRows } from '../../src/merge/bodyfile-rows.ts';
import { splitBodyLine, type BodyLine } from '../../src/merge/readers/bodyfile.ts';
import { inputZone } from '../../src/merge/times.ts';

/**
 * Formerly a bug, now fixed and kept as a regression test (src/merge/bodyfile-held.ts `room`, formerly
 * bodyfile-rows.ts `growArena`): when a row's line did not fit in the room left in the line arena,
 * the held rows were spilled and the arena was then replaced by one of just that line's size, so
 * every later spill left an arena of one line: from then on about one run was spilled per row (here
 * 3105 runs instead of 2, and as many files merged in passes).
 */
test('a long line that does not fit beside the held rows does not leave the line arena small', async (t) => {
  const spill = mkdtempSync(path.join(tmpdir(), 'dt-held-'));
  t.teardown(() => rmSync(spill, { recursive: true, force: true }));
  const rows = new BodyfileRows({
    memoryBytes: 2 << 20, tmpDir: spill, inside: () => true, windowed: false, attributor: null, fieldNames: new Set(), inputs: ['/x/a.body'], zone: inputZone(undefined),
  });
  const sink = rows.forInput(0);
  let offset = 0;
  const add = (name: string, i: number): void => {
    const text = `0|${name}|1|r/rrw-r--r--|0|0|0|0|${1_700_000_000 + (i % 1000)}|0|0`;
    sink.row(text, offset, splitBodyLine(text) as BodyLine, new Float64Array([NaN, 1_700_000_000 + (i % 1000), NaN, NaN]), new Float64Array(4), 1);
    offset += text.length + 1;
  };
  let i = 0;
  for (; i < 10_000; i++) add(`/usr/share/file-${String(i).padStart(60, '0')}`, i);
  // three times its length (the room asked for) is more than is left beside the held rows
  add(`/long/${'x'.repeat(400_000)}`, i++);
  for (; i < 20_000; i++) add(`/usr/share/file-${String(i).padStart(60, '0')}`, i);
  t.true(rows.spilledRuns <= 4, `${rows.spilledRuns} runs`);
  let n = 0;
  let last = -Infinity;
  for await (const batch of rows.sorted()) {
    for (const e of batch) {
      t.true(Number(e.timeNs) >= last);
      last = Number(e.timeNs);
      n++;
    }
  }
  t.is(n, 20_000);
  t.deepEqual(readdirSync(spill), []);
});
