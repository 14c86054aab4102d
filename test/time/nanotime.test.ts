import test from 'ava';
import fc from 'fast-check';
import {
  formatUtcNs, nsToMicros, nsToSeconds, parseRfc3339, parseUserTime, secondsFractionToNs, utcParts,
} from '../../src/time/nanotime.js';

/** UTC ns of a calendar second, computed with Date (independent of the code under test; years 0-99 too). */
function utc(y: number, mo: number, d: number, h = 0, mi = 0, s = 0): bigint {
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, 0);
  return BigInt(date.getTime()) * 1_000_000n;
}

const BASE = utc(2026, 11, 29, 5, 46, 55);

test('parseRfc3339: 0 to 9 fraction digits', (t) => {
  t.is(parseRfc3339('2026-11-29T05:46:55Z')?.ns, BASE);
  const digits = '123456789';
  for (let n = 1; n <= 9; n++) {
    const frac = digits.slice(0, n);
    t.is(parseRfc3339(`2026-11-29T05:46:55.${frac}Z`)?.ns, BASE + BigInt(frac.padEnd(9, '0')), `${n} digits`);
  }
  t.is(parseRfc3339('2026-11-29T05:46:55.000000001Z')?.ns, BASE + 1n);
  t.is(parseRfc3339('2026-11-29T05:46:55.1234567890Z'), null, '10 digits is not RFC3339Nano');
});

test('parseRfc3339: Z is UTC and not local; a numeric offset converts to UTC and is local', (t) => {
  const z = parseRfc3339('2026-11-29T05:46:55.5Z');
  t.deepEqual(z, { ns: BASE + 500_000_000n, offsetMinutes: 0, raw: '2026-11-29T05:46:55.5Z', local: false });
  const plus = parseRfc3339('2026-11-29T07:46:55.5+02:00');
  t.deepEqual(plus, { ns: BASE + 500_000_000n, offsetMinutes: 120, raw: '2026-11-29T07:46:55.5+02:00', local: true });
  const minus = parseRfc3339('2026-11-29T00:16:55-05:30');
  t.is(minus?.ns, BASE);
  t.is(minus?.offsetMinutes, -330);
  t.true(minus?.local);
  // the offset can move the date: 2026-01-01T01:00+02:00 is 2025-12-31T23:00Z
  t.is(parseRfc3339('2026-01-01T01:00:00+02:00')?.ns, utc(2025, 12, 31, 23));
  t.is(parseRfc3339('2026-11-29T05:46:55+00:00')?.ns, BASE);
  t.is(parseRfc3339('2026-11-29T05:46:55z')?.ns, BASE);
});

test('parseRfc3339: Go zero time and empty values are null', (t) => {
  t.is(parseRfc3339('0001-01-01T00:00:00Z'), null);
  t.is(parseRfc3339('0001-01-01T00:00:00.000000000Z'), null);
  t.is(parseRfc3339(''), null);
  t.is(parseRfc3339(null), null);
  t.is(parseRfc3339(1795931215), null);
  // the first second after Go's zero is a real time
  t.is(parseRfc3339('0001-01-01T00:00:01Z')?.ns, -62_135_596_799_000_000_000n);
});

test('parseRfc3339: impossible dates and times are null', (t) => {
  for (const bad of [
    '2026-13-01T00:00:00Z', '2026-00-10T00:00:00Z', '2026-02-30T00:00:00Z', '2026-02-29T00:00:00Z', '1900-02-29T00:00:00Z',
    '2026-04-31T00:00:00Z', '2026-01-00T00:00:00Z', '2026-01-32T00:00:00Z', '2026-01-01T24:00:00Z', '2026-01-01T00:60:00Z',
    '2026-01-01T00:00:61Z', '2026-01-01T00:00:00+24:00', '2026-01-01T00:00:00+02:60', '2026-01-01', 'yesterday',
    '2026-1-01T00:00:00Z', '2026-01-01T00:00:00.Z', ' 2026-01-01T00:00:00Z',
  ]) t.is(parseRfc3339(bad), null, bad);
  t.is(parseRfc3339('2024-02-29T00:00:00Z')?.ns, utc(2024, 2, 29));
  t.is(parseRfc3339('2000-02-29T12:00:00Z')?.ns, utc(2000, 2, 29, 12));
  t.is(parseRfc3339('2026-01-01T00:00:00+23:59')?.ns, utc(2025, 12, 31, 0, 1));
});

test('formatUtcNs: always 9 fraction digits and Z; before 1970 floors', (t) => {
  t.is(formatUtcNs(BASE + 123_456_789n), '2026-11-29T05:46:55.123456789Z');
  t.is(formatUtcNs(0n), '1970-01-01T00:00:00.000000000Z');
  t.is(formatUtcNs(-1n), '1969-12-31T23:59:59.999999999Z');
  t.is(formatUtcNs(-86_400_000_000_000n), '1969-12-31T00:00:00.000000000Z');
  t.is(formatUtcNs(utc(9999, 12, 31, 23, 59, 59) + 999_999_999n), '9999-12-31T23:59:59.999999999Z');
  t.is(formatUtcNs(utc(1, 1, 1, 0, 0, 1)), '0001-01-01T00:00:01.000000000Z');
});

// Years 1..9999, excluding Go's zero second (which parses as "not set").
const MIN_NS = utc(1, 1, 1, 0, 0, 1);
const MAX_NS = utc(9999, 12, 31, 23, 59, 59) + 999_999_999n;

test('formatUtcNs → parseRfc3339 round trip for random times, negative included', (t) => {
  fc.assert(fc.property(fc.bigInt({ min: MIN_NS, max: MAX_NS }), (ns) => {
    const text = formatUtcNs(ns);
    const p = parseRfc3339(text);
    return p !== null && p.ns === ns && p.local === false && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/.test(text);
  }), { numRuns: 5000 });
  fc.assert(fc.property(fc.bigInt({ min: -5_000_000_000_000_000_000n, max: -1n }), (ns) => parseRfc3339(formatUtcNs(ns))?.ns === ns));
  t.pass();
});

test('formatUtcNs agrees with Date.toISOString (independent calendar code)', (t) => {
  const minMs = Number(MIN_NS / 1_000_000n), maxMs = Number(MAX_NS / 1_000_000n);
  fc.assert(fc.property(fc.integer({ min: minMs, max: maxMs }), fc.integer({ min: 0, max: 999_999 }), (ms, subMs) => {
    const iso = new Date(ms).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
    const expected = iso.slice(0, -1) + String(subMs).padStart(6, '0') + 'Z';
    return formatUtcNs(BigInt(ms) * 1_000_000n + BigInt(subMs)) === expected;
  }), { numRuns: 5000 });
  t.pass();
});

test('parseRfc3339 with a random offset gives the same instant as Z', (t) => {
  fc.assert(fc.property(
    fc.bigInt({ min: utc(1000, 1, 1), max: utc(9000, 1, 1) }),
    fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 }),
    (ns, off) => {
      // the wall clock at that offset, written with the offset
      const wall = formatUtcNs(ns + BigInt(off) * 60_000_000_000n).slice(0, -1);
      const a = Math.abs(off);
      const text = `${wall}${off < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
      const p = parseRfc3339(text);
      return p !== null && p.ns === ns && p.offsetMinutes === off && p.local === true && p.raw === text;
    },
  ), { numRuns: 3000 });
  t.pass();
});

test('nsToMicros and nsToSeconds floor (toward minus infinity)', (t) => {
  t.is(nsToMicros(1_999n), 1n);
  t.is(nsToMicros(-1n), -1n);
  t.is(nsToMicros(-1_000n), -1n);
  t.is(nsToMicros(-1_001n), -2n);
  t.is(nsToSeconds(1_999_999_999n), 1n);
  t.is(nsToSeconds(-1n), -1n);
  t.deepEqual(utcParts(-1n), { year: 1969, month: 12, day: 31, hour: 23, minute: 59, second: 59, nanos: 999_999_999 });
});

test('secondsFractionToNs and parseUserTime', (t) => {
  t.is(secondsFractionToNs('1795931215.123456789'), BASE + 123_456_789n);
  t.is(secondsFractionToNs('1795931215.5'), BASE + 500_000_000n);
  t.is(secondsFractionToNs('-1.5'), -1_500_000_000n);
  t.is(secondsFractionToNs('12.1234567891'), 12_123_456_789n);
  t.is(secondsFractionToNs('x'), null);
  t.is(parseUserTime('2026-11-29'), utc(2026, 11, 29));
  t.is(parseUserTime('2026-11-29T05:46:55'), BASE);
  t.is(parseUserTime('2026-11-29T06:46:55+01:00'), BASE);
  t.is(parseUserTime('2026-02-30'), null);
});
