import test from 'ava';
import fc from 'fast-check';
import { newShape, readUtcTime } from '../../src/extractors/json-file-line.js';
import { parseRfc3339 } from '../../src/time/nanotime.js';

/** RFC 3339 times as dockerd writes them, then bytes changed at random (any byte value). */
const timeText = fc.tuple(fc.integer({ min: -62_000_000_000, max: 253_000_000_000 }), fc.integer({ min: 0, max: 999_999_999 }), fc.integer({ min: 0, max: 9 }),
  fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }))
  .map(([s, ns, digits, muts]) => {
    const iso = new Date(s * 1000).toISOString();
    const base = (iso.startsWith('+') || iso.startsWith('-') ? '0000' + iso.slice(7, 19) : iso.slice(0, 19));
    const frac = String(ns).padStart(9, '0').slice(0, digits);
    const b = Buffer.from(`${base}${frac ? '.' + frac : ''}Z`, 'latin1');
    for (const [at, v] of muts) b[at % b.length] = v;
    return b;
  });

test('the byte time reader accepts only what the full RFC 3339 parser reads, with the same instant', (t) => {
  let accepted = 0;
  fc.assert(fc.property(timeText, (b) => {
    const s = newShape();
    if (!readUtcTime(b, 0, b.length, s)) return true;
    accepted++;
    const p = parseRfc3339(b.toString('latin1'));
    return p !== null && p.ns === BigInt(s.seconds) * 1_000_000_000n + BigInt(s.nanos);
  }), { numRuns: 20000 });
  t.true(accepted > 5000);
});

test('the byte time reader: a non-digit anywhere is refused, whatever the sum of the other digits', (t) => {
  const s = newShape();
  for (const bad of ['197\x0f-01-01T00:00:00.1Z', '2026-1\x01-29T05:46:55Z', '2026-11-29T0\x3a:46:55Z', '2026-11-29T05:46:5/Z', '2026-11-29T05:46:55.1/Z']) {
    t.false(readUtcTime(Buffer.from(bad, 'latin1'), 0, bad.length, s), bad);
  }
  t.true(readUtcTime(Buffer.from('2026-11-29T05:46:55.123Z'), 0, 24, s));
  t.is(s.nanos, 123_000_000);
});
