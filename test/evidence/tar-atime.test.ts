/** Review: reading tar evidence leaves its access time as it was (as directory evidence does, where the OS allows). */
import test from 'ava';
import { mkdtempSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { TarSource } from '../../src/evidence/tar-source.ts';
import { Warnings } from '../../src/warnings.ts';
import { tarArchive } from '../hostile/helpers/hostile.ts';

for (const gz of [false, true]) {
  test(`tar evidence${gz ? ' (gzip)' : ''}: its atime is not updated by the walk`, async (t) => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'dt-review-atime-')), gz ? 'e.tar.gz' : 'e.tar');
    const bytes = tarArchive([{ name: 'f', data: 'x' }]);
    writeFileSync(file, gz ? gzipSync(bytes) : bytes);
    const old = new Date('2001-02-03T04:05:06Z');
    utimesSync(file, old, new Date('2002-02-03T04:05:06Z'));
    const before = statSync(file, { bigint: true }).atimeNs;
    const names: string[] = [];
    await new TarSource('e', file, new Warnings()).walk({ descend: () => true, want: () => 'content', visit: async (e, s) => { names.push(e.path); s?.resume(); } });
    t.deepEqual(names, ['f']);
    t.is(statSync(file, { bigint: true }).atimeNs, before);
  });
}
