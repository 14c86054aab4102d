import test from 'ava';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ID, configV2, makeTree } from '../helpers/dataroot.ts';
import { measureMemory, streamEvents, within } from './helpers/hostile.ts';

const L = 'd'.repeat(26);
/** GNU rm walks with openat, so it removes a tree deeper than PATH_MAX (Node's rmSync cannot). */
const remove = (dir: string): void => { execFileSync('rm', ['-rf', '--', dir]); };
const DEPTH = 10_000;
const WIDE = 100_000;

/**
 * `overlay2/<L>/diff/a/a/a/.../a/bottom`, DEPTH folders deep: 20 000 bytes of path, five times PATH_MAX.
 * With `writable`, the layer is the container's writable layer (layerdb/mounts), so drift is computed on it.
 */
function deepChain(writable = false): string {
  const root = makeTree({
    [`containers/${ID}/config.v2.json`]: configV2(ID),
    ...(writable ? { [`image/overlay2/layerdb/mounts/${ID}/mount-id`]: L, [`image/overlay2/layerdb/mounts/${ID}/init-id`]: `${L}-init` } : {}),
  });
  const diff = path.join(root, 'overlay2', L, 'diff');
  mkdirSync(diff, { recursive: true });
  if (writable) mkdirSync(path.join(root, 'overlay2', `${L}-init`, 'diff'), { recursive: true });
  // made relative to the working directory, one level at a time (an absolute path that long is refused)
  const cwd = process.cwd();
  process.chdir(diff);
  try {
    for (let i = 0; i < DEPTH; i++) {
      mkdirSync('a');
      process.chdir('a');
    }
    writeFileSync('bottom', 'the end\n');
  } finally {
    process.chdir(cwd);
  }
  return root;
}

test.serial('a folder chain 10 000 deep in a layer (paths far beyond PATH_MAX): no stack overflow, every level and the file at the bottom come out', async (t) => {
  const root = deepChain();
  t.teardown(() => remove(root));
  const seen = new Map<number, number>(); // depth -> file.mtime events
  let bottom: { path: string; evidence: string } | null = null;
  const start = Date.now();
  const { result, peak } = await measureMemory(() => within(60_000, 'walk of the deep chain', streamEvents(root, (e) => {
    if (e.kind !== 'file.mtime' || !e.evidence.startsWith(`overlay2/${L}/diff/`)) return;
    const p = String(e.fields.path);
    const depth = p === '/' ? 0 : p.split('/').length - 1;
    seen.set(depth, (seen.get(depth) ?? 0) + 1);
    if (p.endsWith('/bottom')) bottom = { path: p, evidence: e.evidence };
  })));
  t.log(`${result.count} events in ${Date.now() - start} ms; peak growth rss ${(peak.rss / 2 ** 20).toFixed(0)} MiB`);
  t.deepEqual(result.warnings.list, []);
  // each of the DEPTH folders and the file at the bottom: one mtime each
  t.is(seen.size, DEPTH + 1);
  t.true([...seen.values()].every((n) => n === 1));
  t.is(bottom!.path, `/${'a/'.repeat(DEPTH)}bottom`);
  t.is(bottom!.evidence, `overlay2/${L}/diff/${'a/'.repeat(DEPTH)}bottom`);
  t.true(peak.rss < 1024 * 2 ** 20, `rss grew ${peak.rss} bytes`);
});

test.serial('a folder of 100 000 entries in a layer: every entry comes out once, in byte order', async (t) => {
  const root = makeTree({ [`containers/${ID}/config.v2.json`]: configV2(ID) });
  t.teardown(() => remove(root));
  const wide = path.join(root, 'overlay2', L, 'diff', 'wide');
  mkdirSync(wide, { recursive: true });
  for (let i = 0; i < WIDE; i++) closeSync(openSync(path.join(wide, `f${i}`), 'w'));
  const names: string[] = [];
  const start = Date.now();
  const { result } = await within(60_000, 'walk of the wide folder', streamEvents(root, (e) => {
    if (e.kind === 'file.mtime' && e.evidence.startsWith(`overlay2/${L}/diff/wide/`)) names.push(e.evidence.slice(e.evidence.lastIndexOf('/') + 1));
  }).then((r) => ({ result: r })));
  t.log(`${result.count} events in ${Date.now() - start} ms`);
  t.deepEqual(result.warnings.list, []);
  t.is(names.length, WIDE);
  t.is(new Set(names).size, WIDE);
  const sorted = [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  t.deepEqual(names, sorted);
});

/**
 * Formerly a bug, now fixed and kept as a regression test (src/extractors/drift.ts diffTrees): the docker-diff walk recurses once per folder level, so
 * a container that made a folder chain a few thousand deep in its writable layer (mkdir -p works on
 * relative paths of any depth) overflows the stack at the end of the run ("Maximum call stack size
 * exceeded", between 2 000 and 4 000 levels here): the CLI fails (exit 1) and writes nothing at all.
 * Fix there: make `walk` iterative (an explicit stack of frames {info, old, path, sizeAtEntry, names,
 * next index, oldChildren}; on leaving a frame push its D entries and splice its C entry at
 * sizeAtEntry, as now). Also in mergeLayers, compute each path's depth once before sorting (it is
 * recounted in every comparison: quadratic in path length). And src/pipeline.ts should catch an
 * exception of an extractor's finish() as it does for extract() (an 'extractor-error' warning), so one
 * hostile layer cannot fail the whole timeline.
 */
test.serial('a folder chain 10 000 deep in a container\'s writable layer: drift is computed without a stack overflow', async (t) => {
  const root = deepChain(true);
  t.teardown(() => remove(root));
  let drift = 0;
  const { result } = await measureMemory(() => within(60_000, 'walk and drift of the deep chain', streamEvents(root, (e) => { if (e.kind === 'container.drift') drift++; })));
  t.deepEqual(result.warnings.list, []);
  t.is(drift, DEPTH + 1, 'every folder and the file are added (A)');
});
