/**
 * Issue 6: opaque folders are read with getfattr, which cannot be given a path of PATH_MAX (4096
 * bytes) or more, nor build one below the folder it reads. The folder is now handed to it as an open
 * descriptor (its working directory), and a subtree deeper than getfattr reaches is scanned again
 * from further down, so an opaque folder at the bottom of a chain far beyond PATH_MAX is still seen.
 */
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ID, configV2, makeTree } from '../helpers/dataroot.ts';
import { extract } from '../helpers/run.ts';

const L = 'o'.repeat(26);
const STEP = 'd'.repeat(100);
const LEVELS = 45; // 4 545 bytes of path inside the layer, more still from the evidence root
const CHAIN = Array.from({ length: LEVELS }, () => STEP).join('/');

/** Make `dir/CHAIN/opq` one level at a time (the whole path is too long for a system call), then run `inside` there. */
function deepFolder(dir: string, inside: () => void): void {
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    for (let i = 0; i < LEVELS; i++) {
      mkdirSync(STEP);
      process.chdir(STEP);
    }
    mkdirSync('opq');
    process.chdir('opq');
    inside();
  } finally {
    process.chdir(cwd);
  }
}

test.serial('an opaque folder at the bottom of a chain deeper than PATH_MAX in a writable layer: what it hides is reported deleted', async (t) => {
  const root = makeTree({
    [`containers/${ID}/config.v2.json`]: configV2(ID),
    [`image/overlay2/layerdb/mounts/${ID}/mount-id`]: L,
    [`image/overlay2/layerdb/mounts/${ID}/init-id`]: `${L}-init`,
  });
  t.teardown(() => { execFileSync('rm', ['-rf', '--', root]); });
  const lower = path.join(root, 'overlay2', `${L}-init`, 'diff');
  const upper = path.join(root, 'overlay2', L, 'diff');
  mkdirSync(lower, { recursive: true });
  mkdirSync(upper, { recursive: true });
  deepFolder(lower, () => writeFileSync('hidden.txt', 'in the lower layer\n'));
  deepFolder(upper, () => {
    writeFileSync('new.txt', 'in the writable layer\n');
    // the working directory is the folder: setfattr is given `.`, not the (too long) path
    const r = spawnSync('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', '--', '.'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`setfattr (Debian package attr, run as root): ${r.error?.message ?? r.stderr}`);
  });
  const { events, warnings } = await extract([root]);
  t.deepEqual(warnings.list, []);
  const drift = new Map(events.filter((e) => e.kind === 'container.drift').map((e) => [String(e.fields.path), e]));
  const bottom = `/${CHAIN}/opq`;
  t.true(Buffer.byteLength(bottom) > 4096);
  t.is(drift.get(`${bottom}/new.txt`)?.fields.change, 'A');
  const hidden = drift.get(`${bottom}/hidden.txt`);
  t.is(hidden?.fields.change, 'D', 'the file of the lower layer is hidden by the opaque folder');
  t.regex(hidden!.message, /hidden by an opaque directory/);
  const folder = events.find((e) => e.kind === 'file.mtime' && e.fields.path === bottom && e.fields.layer === L);
  t.truthy(folder, 'the opaque folder itself is listed');
});
