import test from 'ava';
import fc from 'fast-check';
import { putDigits } from '../../src/sinks/json-text.ts';

test('putDigits writes exactly the digits String() gives, for numbers of every size and sign, bigints and text', (t) => {
  const dst = Buffer.alloc(64, 0x7e);
  const check = (n: number | bigint | string): boolean => {
    dst.fill(0x7e);
    const end = putDigits(dst, 3, n);
    return dst.toString('latin1', 3, end) === String(n) && dst[2] === 0x7e && dst[end] === 0x7e;
  };
  for (const n of [0, 1, 9, 10, 99, 100, 2 ** 31, 2 ** 32 + 1, Number.MAX_SAFE_INTEGER, -1, -10, -(2 ** 40), 1e21, 2 ** 53 + 2, 12345678901234567890n, '0042']) t.true(check(n), String(n));
  fc.assert(fc.property(fc.oneof(fc.maxSafeNat(), fc.maxSafeInteger(), fc.integer()), check));
});
