import test from 'ava';
import fc from 'fast-check';
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { RunReader } from '../../src/spill/run-reader.ts';
import { readRun, scratch, writeRun } from './helpers.ts';

const s = scratch();
test.after.always(s.removeAll);

const records = fc.array(fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)), { maxLength: 60 });

test('runs round-trip arbitrary byte records, whatever the write and read buffer sizes (property)', (t) => {
  fc.assert(fc.property(records, fc.integer({ min: 12, max: 400 }), fc.integer({ min: 1, max: 400 }), (recs, writeBytes, readBytes) => {
    const file = path.join(s.dir(), 'run');
    writeRun(file, recs, Buffer.alloc(writeBytes));
    const got = readRun(file, readBytes);
    return got.length === recs.length && got.every((g, i) => g.equals(recs[i]!));
  }), { numRuns: 300 });
  t.pass();
});

test('the reader keeps no more than its buffer after a long record, and gives text as UTF-8', (t) => {
  const file = path.join(s.dir(), 'run');
  writeRun(file, [Buffer.alloc(1 << 20, 7), Buffer.from('Grüße'), Buffer.from('x')]);
  const r = new RunReader(file, 1024);
  t.true(r.next());
  t.is(r.end - r.start, 1 << 20);
  t.true(r.buf.length >= 1 << 20);
  t.true(r.next());
  t.is(r.text(), 'Grüße');
  t.is(r.buf.length, 1024, 'shrunk back to its size');
  t.true(r.next());
  t.false(r.next());
  t.false(r.next(), 'and stays at the end');
  r.close();
});

test('an empty run reads as no records', (t) => {
  const file = path.join(s.dir(), 'run');
  writeRun(file, []);
  t.deepEqual(readRun(file), []);
});

test('a run cut short anywhere, even between two records, is an error naming the file, never a shorter run (property)', (t) => {
  fc.assert(fc.property(records, fc.nat(), fc.integer({ min: 1, max: 64 }), (recs, cutAt, readBytes) => {
    const file = path.join(s.dir(), 'run');
    writeRun(file, recs);
    const size = readFileSync(file).length;
    truncateSync(file, cutAt % size);
    try {
      readRun(file, readBytes);
      return false;
    } catch (e) {
      return (e as Error).message.startsWith(`spill run ${file} is damaged: cut short at byte `);
    }
  }), { numRuns: 300 });
  t.pass();
});

test('a run with bytes after its end mark, or a count that is not the records read, is an error', (t) => {
  const file = path.join(s.dir(), 'run');
  writeRun(file, [Buffer.from('a'), Buffer.from('b')]);
  const good = readFileSync(file);
  writeFileSync(file, Buffer.concat([good, Buffer.from([0])]));
  t.throws(() => readRun(file), { message: /is damaged: bytes after the end mark at byte 22/ });
  const wrong = Buffer.from(good);
  wrong[good.length - 8] = 3;
  writeFileSync(file, wrong);
  t.throws(() => readRun(file), { message: /is damaged: 2 records read, the end mark says 3/ });
  // a record's length that runs past the end of the file
  const long = Buffer.from(good);
  long[0] = 200;
  writeFileSync(file, long);
  t.throws(() => readRun(file), { message: /cut short at byte 0: 18 of the 200 bytes of record 1/ });
});
