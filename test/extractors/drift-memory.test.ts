import test from 'ava';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Context } from '../../src/extractors/context.ts';
import { layerFiles, type LayerFileRecord } from '../../src/extractors/layer-files.ts';
import type { EvidenceEntry } from '../../src/evidence/entry.ts';

/**
 * Issue 3: what drift keeps of each entry of the layers a container stands on. The layer_files
 * extractor is fed 200 000 entries of an image layer (and a small writable layer on it) as the content
 * pass would, and the heap it retains afterwards (after a full GC) is measured: the entries held
 * whole in memory cost ~350 bytes each here (~1 KB in a real run); now they are kept as compact lines up
 * to a fixed budget and spilled to the tmp dir beyond it. Uses only the extractor's interface, so the same test
 * can be run against the former code (it fails there).
 */

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
/** JS heap and the memory of Buffers (held lines may be kept in Buffers), after a full GC. */
const heap = (): number => {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
};

/** Enough entries that the held budget (24 MiB) is small beside what whole entries would take. */
const LOWER = 200_000;
const MB = 1024 * 1024;
const CID = 'c'.repeat(64);
const IMAGE_LAYER = 'e'.repeat(64);
const MOUNT = 'f'.repeat(64);
const lowerPath = (i: number): string => `/usr/share/bench/g${String(Math.floor(i / 100_000)).padStart(3, '0')}/d${String(Math.floor(i / 1000)).padStart(4, '0')}/module_${String(i).padStart(7, '0')}.py`;

function entry(layer: string, p: string, over: Partial<EvidenceEntry> = {}): LayerFileRecord {
  const t = 1_767_000_000_000_000_000n + BigInt(p.length);
  return {
    driver: 'overlay2', layerDir: layer, part: 'diff', path: p,
    entry: { path: `docker/overlay2/${layer}/diff${p === '/' ? '' : p}`, type: 'file', size: 120n, mode: 0o100644, uid: 0, gid: 0, inode: String(1_000_000 + p.length), mtime: t, atime: t, ctime: t, ...over },
  };
}

function context(): Context {
  const ctx = new Context('docker', 'OS', null);
  const chain = 'a'.repeat(64);
  Object.assign(ctx.store.layer(chain), { driver: 'overlay2', cacheId: IMAGE_LAYER, diffId: `sha256:${chain}` });
  Object.assign(ctx.store.mount(CID), { driver: 'overlay2', mountId: MOUNT, initId: `${MOUNT}-init`, parent: `sha256:${chain}` });
  return ctx;
}

/** The content pass: every record through the extractor (its file-time events are dropped). */
function feed(ctx: Context, r: LayerFileRecord): void {
  for (const e of layerFiles.toEvents(r, ctx)) void e;
}

test.serial('drift retains a bounded heap per lower layer entry (200 000 entries), and its changes are still right', (t) => {
  // spill files go to the system temp folder when no --tmp-dir is given: a fresh one here, to see it cleaned
  const spill = mkdtempSync(path.join(tmpdir(), 'dt-drift-mem-'));
  const oldTmp = process.env.TMPDIR;
  process.env.TMPDIR = spill;
  t.teardown(() => {
    process.env.TMPDIR = oldTmp;
    rmSync(spill, { recursive: true, force: true });
  });
  const ctx = context();
  const before = heap();
  const start = Date.now();
  feed(ctx, entry(IMAGE_LAYER, '/', { type: 'dir', mode: 0o40755, size: 4096n }));
  const dirs = new Set<string>();
  for (let i = 0; i < LOWER; i++) {
    const p = lowerPath(i);
    for (let d = p.indexOf('/', 1); d > 0; d = p.indexOf('/', d + 1)) {
      const dir = p.slice(0, d);
      if (dirs.has(dir)) continue;
      dirs.add(dir);
      feed(ctx, entry(IMAGE_LAYER, dir, { type: 'dir', mode: 0o40755, size: 4096n }));
    }
    feed(ctx, entry(IMAGE_LAYER, p));
  }
  const lowerEntries = LOWER + dirs.size + 1;
  dirs.clear();
  const retained = heap() - before;
  const perEntry = retained / lowerEntries;
  t.log(`${lowerEntries} lower entries fed in ${Date.now() - start} ms; retained heap ${(retained / MB).toFixed(1)} MiB = ${perEntry.toFixed(0)} bytes per entry`);
  // formerly the entries were held whole: ~350 bytes each here (~70 MiB; ~1 KB each in a real run, with the
  // strings of the evidence walk); now at most the budget of held lines (24 MiB), whatever the number of entries
  t.true(retained < 36 * MB, `retained ${(retained / MB).toFixed(1)} MiB`);
  t.true(perEntry < 180, `${perEntry.toFixed(0)} bytes per entry`);

  // the writable layer: 10 added, 5 changed (content), 5 deleted (whiteouts), with their folders
  const upper: LayerFileRecord[] = [entry(MOUNT, '/', { type: 'dir', mode: 0o40755, size: 4096n })];
  const want: string[] = [];
  const seenDirs = new Set<string>();
  const touch = (p: string): void => {
    for (let d = p.indexOf('/', 1); d > 0; d = p.indexOf('/', d + 1)) {
      const dir = p.slice(0, d);
      if (seenDirs.has(dir)) continue;
      seenDirs.add(dir);
      upper.push(entry(MOUNT, dir, { type: 'dir', mode: 0o40755, size: 4096n }));
      want.push(`C ${dir}`);
    }
  };
  for (let j = 0; j < 10; j++) {
    const p = lowerPath(j * 9_973).replace('.py', '.new');
    touch(p);
    upper.push(entry(MOUNT, p));
    want.push(`A ${p}`);
  }
  for (let j = 0; j < 5; j++) {
    const p = lowerPath(5_000 + j * 17_011);
    touch(p);
    upper.push(entry(MOUNT, p, { size: 999n }));
    want.push(`C ${p}`);
  }
  for (let j = 0; j < 5; j++) {
    const p = lowerPath(7_000 + j * 19_001);
    touch(p);
    upper.push(entry(MOUNT, p, { type: 'char', mode: 0o20000, size: 0n, rdev: { major: 0, minor: 0 } }));
    want.push(`D ${p}`);
  }
  feed(ctx, entry(`${MOUNT}-init`, '/', { type: 'dir', mode: 0o40755, size: 4096n }));
  for (const r of upper) feed(ctx, r);

  const warnings: unknown[] = [];
  const drift = [...layerFiles.finish!(ctx, (w) => warnings.push(w))];
  t.deepEqual(warnings, []);
  t.deepEqual(drift.map((e) => `${e.fields.change} ${e.fields.path}`).sort(), want.sort());
  t.deepEqual(readdirSync(spill), [], 'spill files removed');
});
