import test from 'ava';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setSpillDir, spillDir, TempDir } from '../../src/spill/temp-dir.ts';
import { scratch } from './helpers.ts';

const s = scratch();
test.after.always(s.removeAll);

test('the folder is made at the first file asked for, under the parent given, and removed whole', (t) => {
  const parent = s.dir();
  const d = new TempDir(parent, 'docker-timeline-x-');
  t.deepEqual(readdirSync(parent), []);
  const a = d.file();
  const b = d.file();
  t.not(a, b);
  t.is(path.dirname(a), path.dirname(b));
  t.is(path.dirname(path.dirname(a)), parent);
  t.regex(path.basename(path.dirname(a)), /^docker-timeline-x-/);
  t.regex(path.basename(a), /^run-\d+\.bin$/, 'bench/measure.ts counts run-* files');
  writeFileSync(a, 'a');
  writeFileSync(b, 'b');
  d.remove([a]);
  t.false(existsSync(a));
  t.true(existsSync(b));
  d.cleanup();
  t.deepEqual(readdirSync(parent), []);
  d.cleanup();
  // usable again: a new folder
  const c = d.file();
  t.is(path.dirname(path.dirname(c)), parent);
  d.cleanup();
  t.deepEqual(readdirSync(parent), []);
});

test('without a parent the system temp folder is used (TMPDIR)', (t) => {
  const parent = s.dir();
  const old = process.env.TMPDIR;
  process.env.TMPDIR = parent;
  try {
    const d = new TempDir(undefined, 'docker-timeline-y-');
    t.is(path.dirname(path.dirname(d.file())), parent);
    d.cleanup();
    t.deepEqual(readdirSync(parent), []);
  } finally {
    process.env.TMPDIR = old;
  }
});

test('the spill folder of a run is kept per owner (the pipeline sets it, extractors ask)', (t) => {
  const a = {};
  const b = {};
  setSpillDir(a, '/x');
  setSpillDir(b, undefined);
  t.is(spillDir(a), '/x');
  t.is(spillDir(b), undefined);
});
