import test from 'ava';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { extract } from '../helpers/run.ts';
import { ID, configV2, makeTree } from '../helpers/dataroot.ts';
import { decodeLogEntry } from '../../src/extractors/local-log.ts';

function record(source: string, ns: bigint, line: Uint8Array | string, partial = false): Buffer {
  const w = new BinaryWriter();
  w.tag(1, 2).string(source).tag(2, 0).int64(ns).tag(3, 2).bytes(typeof line === 'string' ? Buffer.from(line) : line);
  if (partial) w.tag(4, 0).bool(true);
  const body = Buffer.from(w.finish());
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body, len]);
}

test('LogEntry decodes with int64 time as bigint above 2^53', (t) => {
  const r = record('stdout', 1795931234652290903n, 'hi');
  const e = decodeLogEntry(r.subarray(4, r.length - 4));
  t.is(e.timeNano, 1795931234652290903n);
  t.is(e.source, 'stdout');
  t.is(Buffer.from(e.line).toString(), 'hi');
});

test('partial records are joined; invalid UTF-8 is kept as \\xNN; a truncated tail is a warning with its offset', async (t) => {
  const recs = [
    record('stdout', 1000000000000000001n, 'part-a ', true),
    record('stdout', 1000000000000000001n, 'part-b'),
    record('stderr', 1000000000000000002n, Buffer.from([0x62, 0xff, 0x63])),
  ];
  const whole = Buffer.concat(recs);
  const tail = record('stdout', 1000000000000000003n, 'lost').subarray(0, 9);
  const root = makeTree({ [`containers/${ID}/config.v2.json`]: configV2(ID), [`containers/${ID}/local-logs/container.log`]: Buffer.concat([whole, tail]) });
  const { events, warnings } = await extract([root]);
  const logs = events.filter((e) => e.kind === 'container.log');
  t.deepEqual(logs.map((e) => e.message), ['[test] stdout: part-a part-b', '[test] stderr: b\\xffc']);
  t.is(logs[0]!.fields.partial_chunks, 2);
  t.is(logs[1]!.offset, recs[0]!.length + recs[1]!.length);
  t.is(logs[1]!.fields.attr_bytes_escaped, 'invalid UTF-8 bytes written as \\xNN (and a \\ before xNN as \\x5c)');
  t.deepEqual(warnings.list.map((w) => [w.kind, w.offset]), [['truncated', whole.length]]);
});

test('a record whose trailing size differs stops the file with a warning, records before it are kept', async (t) => {
  const good = record('stdout', 1000000000000000001n, 'good');
  const bad = record('stdout', 1000000000000000002n, 'bad');
  bad.writeUInt32BE(7, bad.length - 4);
  const root = makeTree({ [`containers/${ID}/config.v2.json`]: configV2(ID), [`containers/${ID}/local-logs/container.log`]: Buffer.concat([good, bad]) });
  const { events, warnings } = await extract([root]);
  t.deepEqual(events.filter((e) => e.kind === 'container.log').map((e) => e.message), ['[test] stdout: good']);
  t.deepEqual(warnings.list.map((w) => [w.kind, w.offset]), [['bad-record', good.length]]);
});

test('a record whose time_nano is Go\'s zero time (UnixNano of 0001-01-01, an overflowed int64) is "not set": a warning, no invented 1754 date', async (t) => {
  const zero = record('stdout', -6795364578871345152n, 'no time');
  const ok = record('stdout', 1000000000000000001n, 'timed');
  const root = makeTree({ [`containers/${ID}/config.v2.json`]: configV2(ID), [`containers/${ID}/local-logs/container.log`]: Buffer.concat([zero, ok]) });
  const { events, warnings } = await extract([root]);
  t.deepEqual(events.filter((e) => e.kind === 'container.log').map((e) => e.message), ['[test] stdout: timed']);
  t.deepEqual(warnings.list.map((w) => [w.kind, w.offset]), [['bad-time', 0]]);
  t.regex(warnings.list[0]!.message, /zero time/);
});
