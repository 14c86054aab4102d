import test from 'ava';
import fc from 'fast-check';
import { decodeBytes, escapeText, unescapeBytes } from '../../src/extractors/bytes-text.ts';
import { LocalPartialJoiner } from '../../src/extractors/local-log-join.ts';
import type { LogLineRecord } from '../../src/extractors/json-file-log.ts';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);

/** Bytes biased towards what makes an escape ambiguous: `\`, `x`, hex digits, invalid and multi-byte UTF-8. */
const trickyByte = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(0x5c, 0x78, 0x58, 0x66, 0x46, 0x35, 0x63, 0x30, 0x67) },
  { weight: 2, arbitrary: fc.constantFrom(0xff, 0xfe, 0xc3, 0xa9, 0x80, 0xe6, 0x97, 0xa5, 0xed, 0xa0, 0xf0, 0x9f) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) },
);
const bytes = fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.array(trickyByte, { maxLength: 40 }).map((a) => Uint8Array.from(a)));

test('the escape is reversible: every byte string comes back exactly from its text (names: always; log text: when flagged)', (t) => {
  fc.assert(fc.property(bytes, (buf) => {
    const { text } = decodeBytes(buf);
    if (!unescapeBytes(text).equals(Buffer.from(buf))) return false;
    // the text is valid UTF-8 (no lone surrogate): it survives any output encoding
    if (Buffer.from(text, 'utf8').toString('utf8') !== text) return false;
    const log = decodeBytes(buf, 'invalid');
    return log.escaped ? unescapeBytes(log.text).equals(Buffer.from(buf)) : log.text === Buffer.from(buf).toString('utf8');
  }), { numRuns: RUNS });
  t.pass();
});

test('two different byte strings never give the same escaped text (random pairs, and every string of up to 5 bytes over an ambiguous alphabet)', (t) => {
  fc.assert(fc.property(bytes, bytes, (x, y) => Buffer.from(x).equals(Buffer.from(y)) || decodeBytes(x).text !== decodeBytes(y).text), { numRuns: RUNS });
  // exhaustive on a small domain where the old escape collided (`\xff` the text vs 0xFF the byte)
  const alphabet = [0x5c, 0x78, 0x66, 0xff, 0x41];
  const seen = new Map<string, string>();
  const visit = (prefix: number[]): void => {
    const key = Buffer.from(prefix).toString('hex');
    const text = decodeBytes(Uint8Array.from(prefix)).text;
    const other = seen.get(text);
    if (other !== undefined && other !== key) t.fail(`${key} and ${other} both give ${JSON.stringify(text)}`);
    seen.set(text, key);
    if (prefix.length < 5) for (const c of alphabet) visit([...prefix, c]);
  };
  visit([]);
  t.is(seen.size, (5 ** 6 - 1) / 4);
});

test('ordinary output is unchanged: valid UTF-8 holding no backslash-x-hex-hex is written as it is', (t) => {
  fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (s) => {
    const buf = Buffer.from(s, 'utf8');
    const { text, escaped } = decodeBytes(buf);
    return /\\x[0-9A-Fa-f]{2}/.test(s) ? escaped && text !== s : !escaped && text === s;
  }), { numRuns: RUNS });
  t.is(decodeBytes(Buffer.from('C:\\Users\\x\\y ümlaut \\x4 \\xg1')).text, 'C:\\Users\\x\\y ümlaut \\x4 \\xg1');
});

test('the literal name a\\xffb and the name a<0xFF>b are told apart; the rule on examples', (t) => {
  t.is(decodeBytes(b('a\\xffb')).text, 'a\\x5cxffb');
  t.is(decodeBytes(b('a\xffb')).text, 'a\\xffb');
  t.is(decodeBytes(b('\\\\xff')).text, '\\\\x5cxff'); // only the backslash right before xff
  t.is(decodeBytes(b('\\\xff')).text, '\\\\xff'); // a backslash, then the byte 0xFF
  t.is(decodeBytes(b('\\XFF \\xAb')).text, '\\XFF \\x5cxAb'); // `\X` is no escape; hex digits in either case
  t.is(decodeBytes(b('\xff\\x41')).text, '\\xff\\x5cx41'); // a literal escape after an invalid byte
  t.is(escapeText('pax \\x00 path'), 'pax \\x5cx00 path');
  // log text: escaped only when it holds invalid UTF-8 (flagged), then by the same rule
  t.deepEqual(decodeBytes(b('printf \\x41'), 'invalid'), { text: 'printf \\x41', escaped: false });
  t.deepEqual(decodeBytes(b('printf \\x41 \xff'), 'invalid'), { text: 'printf \\x5cx41 \\xff', escaped: true });
  t.deepEqual(unescapeBytes('a\\x5cxffb \\xFF'), b('a\\xffb \xff'));
});

/** A local-driver record as the joiner takes it (everything but the text). */
const rec = (stream: string, offset: number): Omit<LogLineRecord, 'text'> => ({
  containerId: 'c', timeNs: 1n, timeRaw: null, stream, offset, chunks: 1, unterminated: false, attrs: null,
  evidence: 'e', driver: 'local', compressed: false, rotation: 0,
});

test('local driver: partial records are joined as bytes, so a character Docker cut at 16 KiB comes back whole, and a line is escaped as a whole', (t) => {
  const got: LogLineRecord[] = [];
  const j = new LocalPartialJoiner((r) => got.push(r));
  const euro = Buffer.from('€'); // e2 82 ac
  j.add(rec('stdout', 0), Buffer.concat([Buffer.from('price 5'), euro.subarray(0, 1)]), false);
  j.add(rec('stdout', 100), euro.subarray(1), true);
  // a first part with a literal \x41, a second with an invalid byte: one escaped line, flagged
  j.add(rec('stderr', 200), b('echo \\x41 '), false);
  j.add(rec('stderr', 300), b('bad \xff'), true);
  j.add(rec('stdout', 400), b('open \\x41'), false);
  j.flush();
  t.deepEqual(got.map((r) => [r.stream, r.offset, r.text, r.chunks, r.unterminated, r.attrs?.bytes_escaped !== undefined]), [
    ['stdout', 0, 'price 5€', 2, false, false],
    ['stderr', 200, 'echo \\x5cx41 bad \\xff', 2, false, true],
    ['stdout', 400, 'open \\x41', 1, true, false],
  ]);
  t.deepEqual(unescapeBytes(got[1]!.text), b('echo \\x41 bad \xff'));
});
