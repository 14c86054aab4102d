import test from 'ava';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LEND_MIN_BYTES, OutputWriter } from '../../src/cli/output.ts';

for (const direct of [false, true]) test(`lent bytes keep their place among text and copied bytes, and go back to their owner only once the file no longer needs them (${direct ? 'direct' : 'page cache'})`, async (t) => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'dt-writer-')), 'out.txt');
  writeFileSync(file, '');
  const out = new OutputWriter(file, direct);
  const big = Buffer.alloc(LEND_MIN_BYTES * 3, 'b');
  const big2 = Buffer.alloc(LEND_MIN_BYTES + 7, 'e');
  const small = Buffer.from('..dd..');
  const released: string[] = [];
  const expected: Buffer[] = [];
  out.piece('a');
  expected.push(Buffer.from('a'));
  // a part of a larger buffer (a worker's lines), lent: written from where it is
  out.lend(big, 10, big.length - 10, () => {
    released.push('big');
    // its bytes are written (or copied for a direct write) by now: reusing the buffer must not change the output
    if (!direct) t.true(statSync(file).size >= 1 + big.length - 20, 'released only once its bytes are in the file');
    big.fill('X');
  });
  expected.push(Buffer.alloc(big.length - 20, 'b'));
  out.piece('c');
  expected.push(Buffer.from('c'));
  // too small to lend: copied, and given back at once
  out.lend(small, 2, 4, () => {
    released.push('small');
    small.fill('Y');
  });
  t.deepEqual(released, ['small']);
  expected.push(Buffer.from('dd'));
  // two lent buffers in a row, with nothing between them
  out.lend(big2, 0, big2.length, () => { released.push('big2'); big2.fill('Z'); });
  expected.push(Buffer.alloc(big2.length, 'e'));
  await out.drain();
  out.piece('end\n');
  expected.push(Buffer.from('end\n'));
  await out.close();
  t.deepEqual(released.sort(), ['big', 'big2', 'small']);
  t.true(readFileSync(file).equals(Buffer.concat(expected)));
});
