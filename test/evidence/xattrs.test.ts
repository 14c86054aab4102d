import test from 'ava';
import { chmodSync, closeSync, mkdtempSync, openSync, writeFileSync, constants } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { opaqueDirsAt } from '../../src/evidence/xattrs.ts';

/** opaqueDirsAt with a getfattr of the test's own first on PATH. */
async function withGetfattr(script: string): Promise<Awaited<ReturnType<typeof opaqueDirsAt>>> {
  const bin = mkdtempSync(path.join(tmpdir(), 'dt-fake-getfattr-'));
  writeFileSync(path.join(bin, 'getfattr'), `#!/bin/sh\n${script}\n`);
  chmodSync(path.join(bin, 'getfattr'), 0o755);
  const dir = mkdtempSync(path.join(tmpdir(), 'dt-opaque-'));
  const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  const saved = process.env.PATH;
  process.env.PATH = `${bin}:${saved}`;
  try {
    return await opaqueDirsAt(fd);
  } finally {
    process.env.PATH = saved;
    closeSync(fd);
  }
}

test.serial('a getfattr killed, or failing without a word, is said: its list of opaque folders may be cut short', async (t) => {
  const killed = await withGetfattr('printf "# file: a\\ntrusted.overlay.opaque=\\"y\\"\\n\\n"; kill -9 $$');
  t.regex(killed!.errors.join('\n'), /getfattr ended by signal SIGKILL/);
  const silent = await withGetfattr('exit 3');
  t.deepEqual(silent!.errors, ['getfattr ended with exit code 3; the opaque folders it listed may be incomplete']);
  const fine = await withGetfattr('exit 0');
  t.deepEqual(fine!.errors, []);
});
