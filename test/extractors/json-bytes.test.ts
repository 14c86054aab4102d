import test from 'ava';
import fc from 'fast-check';
import { parseJsonBytes } from '../../src/extractors/json-bytes.ts';
import { unescapeBytes } from '../../src/extractors/bytes-text.ts';
import { extract } from '../helpers/run.ts';
import { ID, configV2, logLine, makeTree } from '../helpers/dataroot.ts';

/** A json-file line whose `log` string holds `bytes`: quote, backslash and controls JSON-escaped, every other byte raw (invalid UTF-8 too). */
function rawLine(bytes: Uint8Array, time = '2026-01-02T03:04:05Z', tail = '\\n'): Buffer {
  const parts: Buffer[] = [Buffer.from('{"log":"')];
  for (const b of bytes) {
    if (b === 0x22 || b === 0x5c) parts.push(Buffer.from([0x5c, b]));
    else if (b < 0x20) parts.push(Buffer.from(`\\u${b.toString(16).padStart(4, '0')}`));
    else parts.push(Buffer.from([b]));
  }
  parts.push(Buffer.from(`${tail}","stream":"stdout","time":"${time}"}`));
  return Buffer.concat(parts);
}

const bytesWithEscapes = fc.array(fc.oneof(
  fc.integer({ min: 0, max: 255 }),
  fc.constantFrom(...Buffer.from('\\x41\\xff\\xFF\\x5c')),
  fc.constantFrom(0xc3, 0xa9, 0xed, 0xa0, 0x80, 0xf0, 0x9f, 0x98),
), { maxLength: 60 }).map((a) => Uint8Array.from(a));

test('a line with bytes that are not UTF-8 parses with every byte kept: its text reads back to the exact bytes', (t) => {
  fc.assert(fc.property(bytesWithEscapes, (bytes) => {
    const obj = parseJsonBytes(rawLine(bytes, '2026-01-02T03:04:05Z', '')) as { log: string; stream: string; time: string };
    t.true(unescapeBytes(obj.log).equals(Buffer.from(bytes)), `${Buffer.from(bytes).toString('hex')} -> ${JSON.stringify(obj.log)}`);
    t.is(obj.stream, 'stdout');
    t.is(obj.time, '2026-01-02T03:04:05Z');
  }), { numRuns: 3000 });
});

test('two different byte strings never give the same text', (t) => {
  fc.assert(fc.property(bytesWithEscapes, bytesWithEscapes, (a, b) => {
    fc.pre(!Buffer.from(a).equals(Buffer.from(b)));
    const ta = (parseJsonBytes(rawLine(a, '2026-01-02T03:04:05Z', '')) as { log: string }).log;
    const tb = (parseJsonBytes(rawLine(b, '2026-01-02T03:04:05Z', '')) as { log: string }).log;
    t.not(ta, tb);
  }), { numRuns: 3000 });
});

test('the literal text "\\xff" and the byte 0xFF come out apart; a stray backslash before a bad byte is still not JSON', (t) => {
  t.is((parseJsonBytes(Buffer.concat([Buffer.from('{"log":"a'), Buffer.from([0xff]), Buffer.from('b\\\\xffc"}')])) as { log: string }).log, 'a\\xffb\\x5cxffc');
  t.throws(() => parseJsonBytes(Buffer.concat([Buffer.from('{"log":"a\\'), Buffer.from([0xff]), Buffer.from('"}')])));
  t.deepEqual(parseJsonBytes(Buffer.concat([Buffer.from('{"attrs":{"k'), Buffer.from([0xfe]), Buffer.from('":"v"}}')])), { attrs: { 'k\\xfe': 'v' } });
});

test('json-file log: a line with invalid UTF-8 is an event with its bytes as \\xNN and flagged; valid lines are as they were', async (t) => {
  const c = `containers/${ID}`;
  const bad = Buffer.concat([Buffer.from('{"log":"caf'), Buffer.from([0xe9]), Buffer.from(' \\\\x41 \\u00e9\\n","stream":"stdout","time":"2026-01-02T03:04:05Z"}\n')]);
  // a split line: the first chunk valid with a literal \x41, the second with a bad byte: the whole line is escaped
  const split = Buffer.concat([Buffer.from(logLine('lit \\x41 ', '2026-01-02T03:04:06Z')), rawLine(Uint8Array.from([0x80, 0x41]), '2026-01-02T03:04:06Z'), Buffer.from('\n')]);
  const body = Buffer.concat([Buffer.from(logLine('plain \\x41\n', '2026-01-02T03:04:04Z')), bad, split,
    Buffer.from('{"log":"x'), Buffer.from([0xff]), Buffer.from('\n')]);
  const root = makeTree({ [`${c}/config.v2.json`]: configV2(ID), [`${c}/${ID}-json.log`]: body });
  const { events, warnings } = await extract([root]);
  const logs = events.filter((e) => e.kind === 'container.log');
  t.is(logs.length, 3);
  t.is(logs[0]!.message, '[test] stdout: plain \\x41');
  t.is(logs[0]!.fields.attr_bytes_escaped, undefined);
  t.is(logs[1]!.message, '[test] stdout: caf\\xe9 \\x5cx41 \u00e9');
  t.regex(String(logs[1]!.fields.attr_bytes_escaped), /invalid UTF-8/);
  t.is(logs[2]!.message, '[test] stdout: lit \\x5cx41 \\x80A');
  t.true(unescapeBytes(logs[2]!.message.slice('[test] stdout: '.length)).equals(Buffer.from([...Buffer.from('lit \\x41 '), 0x80, 0x41])));
  t.regex(String(logs[2]!.fields.attr_bytes_escaped), /invalid UTF-8/);
  const w = warnings.list.find((x) => x.kind === 'bad-json')!;
  t.truthy(w);
  t.true(w.message.includes('x\\\\xff'), w.message);
  t.false(w.message.includes('\ufffd'));
});

test('a line with bytes that are not UTF-8 and that is not JSON gives the same error on every run, at the byte position, quoting no marker', (t) => {
  const line = Buffer.concat([Buffer.from('{"log":"a'), Buffer.from([0xff, 0xfe]), Buffer.from('b" "stream":"stdout"}')]);
  const messages = new Set<string>();
  for (let i = 0; i < 5; i++) {
    const e = t.throws(() => parseJsonBytes(line));
    messages.add(e!.message);
  }
  t.is(messages.size, 1, [...messages].join(' | '));
  const [m] = [...messages];
  t.false(/Q[0-9a-f]{24}/.test(m!), m);
  // the quote where a comma should be is byte 14 of the line (after the space at 13)
  t.regex(m!, /position 14/);
});
