import test from 'ava';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { BoltReader, BoltError } from '../../src/formats/boltdb.ts';
import { INCIDENT } from '../helpers/run.ts';

// volumes/metadata.db of the lab data root, as the engine wrote it
const DB = readFileSync(path.join(INCIDENT, 'volumes-metadata.db'));

test('reads the volumes bucket of a real engine metadata.db', (t) => {
  const db = new BoltReader(DB);
  t.is(db.meta.pageSize, 4096);
  const vols = [...db.bucket(['volumes'])].map(({ key, value }) => [key.toString(), JSON.parse(value.toString()).Labels]);
  t.deepEqual(vols, [['812b3e1b02d46b184f559f3db2ca436b8aa0a4c44b7e3f949b00e70b3762179d', null], ['appdata', { purpose: 'uploads' }]]);
  t.deepEqual([...db.bucket(['no-such-bucket'])], []);
});

test('a page that points back to itself is a cycle error, not a hang', (t) => {
  const bad = Buffer.from(DB);
  const { rootPage, pageSize } = new BoltReader(DB).meta;
  const off = Number(rootPage) * pageSize;
  // make the root page a branch whose one element points at the root itself
  bad.writeUInt16LE(0x01, off + 8);
  bad.writeUInt16LE(1, off + 10);
  bad.writeBigUInt64LE(rootPage, off + 16 + 8);
  t.throws(() => [...new BoltReader(bad).bucket(['volumes'])], { instanceOf: BoltError, message: /cycle/ });
});

test('not a BoltDB file, or a truncated one: a clear error', (t) => {
  t.throws(() => new BoltReader(Buffer.alloc(100)), { instanceOf: BoltError, message: /no valid meta page/ });
  const short = DB.subarray(0, 8200); // the meta pages survive, the root page does not
  t.throws(() => [...new BoltReader(short).bucket(['volumes'])], { instanceOf: BoltError });
});

test('random mutations of a real metadata.db never crash or hang the reader (property)', (t) => {
  fc.assert(fc.property(fc.array(fc.tuple(fc.nat(DB.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 40 }), (muts) => {
    const b = Buffer.from(DB);
    for (const [i, v] of muts) b[i] = v;
    try {
      const db = new BoltReader(b);
      for (const e of db.entries(db.meta.rootPage)) if (e.bucket) [...db.entries(e.root, e.inline)];
    } catch (e) {
      if (!(e instanceof BoltError)) throw e;
    }
    return true;
  }), { numRuns: 500 });
  t.pass();
});
