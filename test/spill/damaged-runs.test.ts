import test from 'ava';
import { readdirSync, readlinkSync, statSync, truncateSync } from 'node:fs';
import path from 'node:path';
import { EventSorter } from '../../src/events/sorter.ts';
import type { TimelineEvent } from '../../src/events/event.ts';
import { LayerEntryStore } from '../../src/extractors/drift-store.ts';
import { BodyfileRows } from '../../src/merge/bodyfile-rows.ts';
import { splitBodyLine, type BodyLine } from '../../src/merge/readers/bodyfile.ts';
import { inputZone } from '../../src/merge/times.ts';
import { scratch } from './helpers.ts';

/**
 * A spill run is the tool's own file: one cut short while the tool runs (a full disk, something else
 * writing in --tmp-dir) must stop the output with an error naming it, never give a timeline with
 * events silently missing. Checked for each user of the spill runs; each removes its folder after,
 * and leaves no run open.
 */

/** Files of the process open under `dir` (removed ones too: their link ends in ` (deleted)`). */
function openIn(dir: string): string[] {
  const links: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      links.push(readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      // closed meanwhile (the fd of the listing itself)
    }
  }
  return links.filter((l) => l.startsWith(dir + path.sep));
}

const s = scratch();
test.after.always(s.removeAll);

/** Cut the last run file written under `dir` by one byte (read last: the others are open then). */
function damageARun(dir: string): string {
  const [sub] = readdirSync(dir);
  const seq = (n: string): number => Number(/\d+/.exec(n)![0]);
  const file = path.join(dir, sub!, readdirSync(path.join(dir, sub!)).sort((a, b) => seq(b) - seq(a))[0]!);
  truncateSync(file, statSync(file).size - 1);
  return file;
}

function ev(i: number): TimelineEvent {
  return {
    timeNs: BigInt((i * 7919) % 1000), timestampDesc: 'Content Modification Time', kind: 'container.log', message: `m${i}`, source: 'DOCKER', sourcetype: 'Docker Container Log',
    dataType: 'docker:container:log:entry', parser: 'docker_timeline/json_file_log', evidenceSource: '/e', evidenceKind: 'OS', evidence: 'f', offset: i, fields: {},
  };
}

for (const [title, memoryBytes, events] of [
  // runs longer than a batch read from them: the others are open, half read, when the damaged one fails
  ['the sorter', 3_000_000, 9000],
  ['the sorter, merging runs in passes', 20_000, 2000],
] as const) {
  test(title, async (t) => {
    const dir = s.dir();
    const sorter = new EventSorter({ memoryBytes, tmpDir: dir });
    for (let i = 0; i < events; i++) sorter.add(ev(i));
    t.true(sorter.spilledRuns > (memoryBytes < 1e6 ? 64 : 2));
    const file = damageARun(dir);
    await t.throwsAsync(async () => { for await (const b of sorter.sorted()) void b; }, { message: new RegExp(`spill run ${file} is damaged: cut short`) });
    t.deepEqual(readdirSync(dir), []);
    t.deepEqual(openIn(dir), []);
  });
}

test('the drift layer store', (t) => {
  const dir = s.dir();
  const store = new LayerEntryStore({ memoryBytes: 3000, tmpDir: dir });
  for (let i = 0; i < 200; i++) {
    store.add('L', `/d/f${i}`, { type: 'file', perm: 0o644, uid: 0, gid: 0, rdev: '', size: 1n, whiteout: false, opaque: false, evidence: `x/L/d/f${i}`, inode: String(i) });
  }
  t.true(store.spilledRuns > 2);
  damageARun(dir);
  t.throws(() => {
    const c = store.open('L');
    while (c.head) c.next();
  }, { message: /is damaged: cut short/ });
  store.cleanup();
  t.deepEqual(readdirSync(dir), []);
  t.deepEqual(openIn(dir), []);
});

test('merge\'s bodyfile rows', async (t) => {
  const dir = s.dir();
  const rows = new BodyfileRows({ memoryBytes: 4000, tmpDir: dir, inside: () => true, windowed: false, attributor: null, fieldNames: new Set(), inputs: ['/x/a.body'], zone: inputZone(undefined) });
  const sink = rows.forInput(0);
  for (let i = 0, offset = 0; i < 300; i++) {
    const text = `0|/f${i}|1|r/rrw-r--r--|0|0|0|0|${1_700_000_000 + ((i * 7919) % 1000)}|0|0`;
    sink.row(text, offset, splitBodyLine(text) as BodyLine, new Float64Array([NaN, 1_700_000_000 + ((i * 7919) % 1000), NaN, NaN]), new Float64Array(4), 1);
    offset += text.length + 1;
  }
  t.true(rows.spilledRuns > 2);
  damageARun(dir);
  await t.throwsAsync(async () => { for await (const b of rows.sorted()) void b; }, { message: /is damaged: cut short/ });
  t.deepEqual(readdirSync(dir), []);
  t.deepEqual(openIn(dir), []);
});
