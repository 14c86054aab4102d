import test from 'ava';
import { JsonlSink, jsonlObject, JSONL_KEYS } from '../../src/sinks/jsonl.js';
import type { TimelineEvent } from '../../src/events/event.js';
import { makeEvent, runSink, T0, utcNs } from './make-event.js';

const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/;

function lines(events: TimelineEvent[]): Record<string, unknown>[] {
  const out = runSink(new JsonlSink(), events);
  const ls = out.split('\n');
  if (ls.pop() !== '') throw new Error('no final newline');
  return ls.map((l) => JSON.parse(l) as Record<string, unknown>);
}

const timeOf = (ns: bigint): unknown => lines([makeEvent({ timeNs: ns })])[0]!.time;

test('one JSON object per line, no header, time always 9 fraction digits in UTC with Z', (t) => {
  const sink = new JsonlSink();
  t.is(sink.header(), '');
  const objs = lines([makeEvent(), makeEvent({ timeNs: utcNs(2026, 1, 1) }), makeEvent({ timeNs: utcNs(2026, 1, 1, 0, 0, 0, 1) })]);
  t.is(objs.length, 3);
  t.deepEqual(objs.map((o) => o.time), ['2026-11-29T05:46:55.123456789Z', '2026-01-01T00:00:00.000000000Z', '2026-01-01T00:00:00.000000001Z']);
  for (const o of objs) t.regex(o.time as string, TIME);
});

test('bigint times beyond 2^53 ns are exact to the nanosecond', (t) => {
  // every real time is beyond 2^53 ns (about 104 days after 1970); a float would lose the last digits
  const ns = 1_795_931_215_123_456_789n;
  t.true(ns > 2n ** 53n);
  t.not(BigInt(Number(ns)), ns, 'this value is not representable as a double');
  t.is(timeOf(ns), '2026-11-29T05:46:55.123456789Z');
  t.is(timeOf(ns + 1n), '2026-11-29T05:46:55.123456790Z');
  t.is(timeOf(2n ** 63n - 1n), '2262-04-11T23:47:16.854775807Z');
});

test('times before 1970 and in year 9999 format right', (t) => {
  t.is(timeOf(-1n), '1969-12-31T23:59:59.999999999Z');
  t.is(timeOf(-1_000_000_000n), '1969-12-31T23:59:59.000000000Z');
  t.is(timeOf(-1_500_000_001n), '1969-12-31T23:59:58.499999999Z');
  t.is(timeOf(utcNs(1900, 2, 28, 23, 59, 59, 5)), '1900-02-28T23:59:59.000000005Z');
  t.is(timeOf(utcNs(1600, 2, 29, 12, 0, 0)), '1600-02-29T12:00:00.000000000Z');
  t.is(timeOf(utcNs(9999, 12, 31, 23, 59, 59, 999_999_999)), '9999-12-31T23:59:59.999999999Z');
  t.is(timeOf(0n), '1970-01-01T00:00:00.000000000Z');
  t.is(timeOf(utcNs(2024, 2, 29)), '2024-02-29T00:00:00.000000000Z');
});

test('reserved keys first; fields cannot overwrite them or the attribution', (t) => {
  const o = jsonlObject(makeEvent({
    containerId: 'abc', containerName: 'web', imageId: 'sha256:1', stream: 'stderr', inode: '7',
    fields: { time: 'evil', message: 'evil', container_id: 'evil', stream: 'evil', inode: 'evil', exit_code: 3, gone: null, constructor: 'kept' },
  }));
  t.is(o.time, '2026-11-29T05:46:55.123456789Z');
  t.is(o.message, '[web] stdout: hello');
  t.is(o.container_id, 'abc');
  t.is(o.container_name, 'web');
  t.is(o.image_id, 'sha256:1');
  t.is(o.stream, 'stderr');
  t.is(o.inode, '7');
  t.is(o.exit_code, 3);
  t.false('gone' in o);
  t.is(Object.getOwnPropertyDescriptor(o, 'constructor')?.value, 'kept');
  const keys = Object.keys(o);
  t.deepEqual(keys.slice(0, 11), JSONL_KEYS.slice(0, 11));
  // a `__proto__` key (as JSON.parse makes one) is written as a plain key, not lost
  const fields = JSON.parse('{"__proto__":"x","constructor":"kept"}') as Record<string, string>;
  const line = JSON.parse(new JsonlSink().write(makeEvent({ fields }))) as Record<string, unknown>;
  t.true(Object.hasOwn(line, '__proto__'));
  t.is(Object.getOwnPropertyDescriptor(line, '__proto__')?.value, 'x');
  t.is(Object.getOwnPropertyDescriptor(line, 'constructor')?.value, 'kept');
});

test('messages with newlines, quotes and non-ASCII stay on one line and round-trip', (t) => {
  const m = 'line1\nline2\r\n"quoted" \\ ü 😀 \u2028';
  const out = new JsonlSink().write(makeEvent({ message: m }));
  t.is(out.split('\n').length, 2);
  t.is((JSON.parse(out) as { message: string }).message, m);
  t.is(lines([makeEvent({ timeNs: T0, message: m })])[0]!.message, m);
});

test('the direct jsonl writer gives exactly JSON.stringify of the event object (property)', async (t) => {
  const { jsonlLine, jsonlObject, QuoteCache } = await import('../../src/sinks/jsonl.ts');
  const fcm = (await import('fast-check')).default;
  const q = new QuoteCache(5);
  const str = fcm.string({ unit: 'binary', maxLength: 12 });
  const opt = fcm.option(str, { nil: undefined });
  const keys = fcm.constantFrom('a', 'time', 'container_id', 'stream', 'inode', 'offset', 'x_y', '__proto__', 'constructor', 'toString', 'message');
  fcm.assert(fcm.property(
    fcm.record({ t: fcm.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), msg: str, ev: str, off: fcm.nat(), cid: opt, cname: opt, img: opt, stream: opt, inode: opt,
      fields: fcm.array(fcm.tuple(keys, fcm.oneof(str, fcm.integer(), fcm.boolean(), fcm.constant(null))), { maxLength: 6 }) }),
    (r) => {
      const fields: Record<string, string | number | boolean | null> = Object.create(null);
      for (const [k, v] of r.fields) fields[k] = v;
      const e = {
        timeNs: r.t, timestampDesc: 'Start Time', kind: 'container.log', message: r.msg, source: 'DOCKER', sourcetype: 'S', dataType: 'd', parser: 'p',
        evidenceSource: '/e', evidenceKind: 'OS' as const, evidence: r.ev, offset: r.off, fields,
        ...(r.cid ? { containerId: r.cid } : {}), ...(r.cname ? { containerName: r.cname } : {}), ...(r.img ? { imageId: r.img } : {}),
        ...(r.stream ? { stream: r.stream } : {}), ...(r.inode ? { inode: r.inode } : {}),
      };
      return jsonlLine(e, q) === JSON.stringify(jsonlObject(e));
    },
  ), { numRuns: 2000 });
  t.pass();
});
