import test from 'ava';
import fc from 'fast-check';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { END, RunWriter, TRAILER_BYTES } from '../../src/spill/run-writer.ts';
import { readRun, scratch } from './helpers.ts';

const s = scratch();
test.after.always(s.removeAll);

test('a run is each record as its u32 LE length and bytes, then the end mark and the record count', (t) => {
  const file = path.join(s.dir(), 'run');
  const w = new RunWriter(file);
  w.write(Buffer.from('ab'));
  w.write(Buffer.alloc(0));
  w.writeString('é');
  w.finish();
  const want = Buffer.concat([
    Buffer.from([2, 0, 0, 0]), Buffer.from('ab'),
    Buffer.from([0, 0, 0, 0]),
    Buffer.from([2, 0, 0, 0]), Buffer.from('é'),
    Buffer.from([0xff, 0xff, 0xff, 0xff]), Buffer.from([3, 0, 0, 0, 0, 0, 0, 0]),
  ]);
  t.deepEqual(readFileSync(file), want);
  t.is(w.bytes, want.length);
  t.is(END, 0xffffffff);
});

test('write, writeString and writeWithHead give the same run for the same bytes, whatever the buffer (property)', (t) => {
  fc.assert(fc.property(
    fc.array(fc.tuple(fc.string({ unit: 'binary', maxLength: 80 }), fc.nat(12)), { maxLength: 40 }),
    fc.integer({ min: TRAILER_BYTES, max: 200 }),
    (texts, bufferBytes) => {
      const dir = s.dir();
      const files = ['bytes', 'string', 'head'].map((n) => path.join(dir, n));
      const ws = files.map((f) => new RunWriter(f, Buffer.alloc(bufferBytes)));
      for (const [text, cut] of texts) {
        const bytes = Buffer.from(text, 'utf8');
        ws[0]!.write(Buffer.concat([Buffer.from('x'), bytes, Buffer.from('y')]), 1, 1 + bytes.length);
        ws[1]!.writeString(text);
        const at = Math.min(cut, bytes.length);
        ws[2]!.writeWithHead(bytes.subarray(0, at), bytes, at);
      }
      for (const w of ws) w.finish();
      const [a, b, c] = files.map((f) => readFileSync(f));
      if (!a!.equals(b!) || !a!.equals(c!)) return false;
      // the size counted is the file's; the records read back are the texts' bytes
      if (ws.some((w, i) => w.bytes !== statSync(files[i]!).size)) return false;
      return readRun(files[0]!).map((r) => r.toString('hex')).join() === texts.map(([x]) => Buffer.from(x, 'utf8').toString('hex')).join();
    },
  ), { numRuns: 150 });
  t.pass();
});

test('records longer than the buffer go straight to the file, in their place among the others', (t) => {
  const file = path.join(s.dir(), 'run');
  const w = new RunWriter(file, Buffer.alloc(16));
  const records = [Buffer.from('a'), Buffer.alloc(100, 1), Buffer.from('bc'), Buffer.alloc(17, 2), Buffer.alloc(12, 3)];
  for (const r of records) w.write(r);
  w.writeString('z'.repeat(50));
  w.finish();
  t.deepEqual(readRun(file, 8), [...records, Buffer.from('z'.repeat(50))]);
  t.is(w.bytes, statSync(file).size);
});

test('a writer closed without finish leaves an incomplete run; a buffer too small for the end mark is refused', (t) => {
  const file = path.join(s.dir(), 'run');
  const w = new RunWriter(file);
  w.write(Buffer.from('kept?'));
  w.close();
  w.close();
  t.throws(() => readRun(file), { message: /is damaged: cut short at byte 0/ });
  t.throws(() => new RunWriter(path.join(s.dir(), 'x'), Buffer.alloc(4)), { message: /at least 12/ });
});
