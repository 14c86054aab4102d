import test from 'ava';
import { parseString } from 'fast-csv';
import { TimesketchCsvSink, TimesketchJsonlSink, TIMESKETCH_FIXED } from '../../src/sinks/timesketch.js';
import type { TimelineEvent } from '../../src/events/event.js';
import { makeEvent, runSink, T0, utcNs } from './make-event.js';

type Row = Record<string, string>;

async function parseCsv(text: string): Promise<{ headers: string[]; rows: Row[] }> {
  const rows: Row[] = [];
  let headers: string[] = [];
  await new Promise<void>((resolve, reject) => {
    parseString<Row, Row>(text, { headers: true })
      .on('headers', (h: string[]) => { headers = h; })
      .on('error', reject).on('data', (r: Row) => rows.push(r)).on('end', () => resolve());
  });
  return { headers, rows };
}

const csv = async (events: TimelineEvent[], zone = 'UTC', guard = true) => parseCsv(runSink(new TimesketchCsvSink(zone, guard), events));

const ISO_US = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{6})([+-]\d\d:\d\d)$/;

/** Microseconds since the epoch of a Timesketch `datetime`, computed with Date (not src/time). */
function microsOf(datetime: string): bigint {
  const m = ISO_US.exec(datetime);
  if (!m) throw new Error(`not ISO 8601 with 6 fraction digits and an offset: ${datetime}`);
  return BigInt(Date.parse(`${m[1]}${m[3]}`)) * 1000n + BigInt(m[2]!);
}

test('CSV: header has Timesketch\'s required columns first, then the fixed ones, then sorted field names', async (t) => {
  const { headers } = await csv([makeEvent({ fields: { zeta: 1, alpha: 'a' } })]);
  t.deepEqual(headers.slice(0, 4), ['message', 'datetime', 'timestamp', 'timestamp_desc']);
  t.deepEqual(headers, [...TIMESKETCH_FIXED, 'alpha', 'zeta']);
});

test('CSV: message, datetime, timestamp, timestamp_desc, time_ns parse back', async (t) => {
  const { rows } = await csv([makeEvent({ timestampDesc: 'Start Time', message: 'Container web started' })]);
  t.is(rows.length, 1);
  const r = rows[0]!;
  t.is(r.message, 'Container web started');
  t.is(r.datetime, '2026-11-29T05:46:55.123456+00:00');
  t.is(r.timestamp, '1795931215123456');
  t.is(r.timestamp_desc, 'Start Time');
  t.is(r.time_ns, '2026-11-29T05:46:55.123456789Z');
  t.is(BigInt(r.timestamp!), microsOf(r.datetime!));
  t.is(r.source_short, 'DOCKER');
  t.is(r.source_long, 'Docker Container Log');
  t.is(r.data_type, 'docker:container:log:entry');
  t.is(r.display_name, 'OS:/evidence/docker/containers/abc/abc-json.log');
});

test('CSV: microseconds are truncated, not rounded (timestamp and datetime agree)', async (t) => {
  const { rows } = await csv([
    makeEvent({ timeNs: utcNs(2026, 12, 31, 23, 59, 59, 999_999_999) }),
    makeEvent({ timeNs: utcNs(2026, 1, 1, 0, 0, 0, 999) }),
    makeEvent({ timeNs: -1n }),
    makeEvent({ timeNs: -1_000_001n }),
  ]);
  t.deepEqual(rows.map((r) => [r.datetime, r.timestamp]), [
    ['2026-12-31T23:59:59.999999+00:00', '1798761599999999'],
    ['2026-01-01T00:00:00.000000+00:00', '1767225600000000'],
    ['1969-12-31T23:59:59.999999+00:00', '-1'],
    ['1969-12-31T23:59:59.998999+00:00', '-1001'],
  ]);
  for (const r of rows) {
    t.regex(r.timestamp!, /^-?\d+$/);
    t.is(BigInt(r.timestamp!), microsOf(r.datetime!));
  }
  t.deepEqual(rows.map((r) => r.time_ns), [
    '2026-12-31T23:59:59.999999999Z', '2026-01-01T00:00:00.000000999Z', '1969-12-31T23:59:59.999999999Z', '1969-12-31T23:59:59.998999999Z',
  ]);
  for (const r of rows) t.regex(r.time_ns!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
});

test('CSV: datetime carries the output zone\'s offset; timestamp stays UTC', async (t) => {
  const { rows } = await csv([
    makeEvent({ timeNs: T0 }),
    makeEvent({ timeNs: utcNs(2026, 7, 1, 12, 0, 0, 1_000) }),
    makeEvent({ timeNs: utcNs(2026, 10, 25, 0, 30, 0) }),
    makeEvent({ timeNs: utcNs(2026, 10, 25, 1, 30, 0) }),
  ], 'Europe/Berlin');
  t.deepEqual(rows.map((r) => r.datetime), [
    '2026-11-29T06:46:55.123456+01:00',
    '2026-07-01T14:00:00.000001+02:00',
    '2026-10-25T02:30:00.000000+02:00',
    '2026-10-25T02:30:00.000000+01:00',
  ]);
  for (const r of rows) t.is(BigInt(r.timestamp!), microsOf(r.datetime!));
  const ny = await csv([makeEvent({ timeNs: utcNs(2026, 3, 8, 7, 0, 0, 500_000_000) })], 'America/New_York');
  t.is(ny.rows[0]!.datetime, '2026-03-08T03:00:00.500000-04:00');
});

test('CSV: values with commas, quotes, CR/LF and non-ASCII round-trip', async (t) => {
  const nasty = [
    'a,b,c', 'say "hi", then "bye"', 'line1\nline2', 'crlf\r\nnext', 'lone\rcr', '"', '""', ',', ' padded ', 'ü 日本 😀', '',
    'trailing newline\n', 'tab\tinside',
  ];
  const events = nasty.map((m, i) => makeEvent({ timeNs: T0 + BigInt(i), message: m, fields: { note: m, n: i } }));
  const { rows } = await csv(events, 'UTC', false);
  t.is(rows.length, nasty.length);
  nasty.forEach((m, i) => {
    t.is(rows[i]!.message, m, JSON.stringify(m));
    t.is(rows[i]!.note, m, JSON.stringify(m));
    t.is(rows[i]!.n, String(i));
  });
});

test('CSV: extra field columns; an event without a field leaves the cell empty; fields do not overwrite fixed columns', async (t) => {
  const { rows } = await csv([
    makeEvent({ containerId: 'abc', containerName: 'web', stream: 'stdout', inode: '42', fields: { exit_code: 0, oom_killed: false, message: 'evil', container_id: 'evil' } }),
    makeEvent({ timeNs: T0 + 1n, fields: { probe_output: 'ok' } }),
  ]);
  t.is(rows[0]!.exit_code, '0');
  t.is(rows[0]!.oom_killed, 'false');
  t.is(rows[0]!.probe_output, '');
  t.is(rows[1]!.probe_output, 'ok');
  t.is(rows[1]!.exit_code, '');
  t.is(rows[0]!.message, '[web] stdout: hello');
  t.is(rows[0]!.container_id, 'abc');
  t.is(rows[0]!.container_name, 'web');
  t.is(rows[0]!.stream, 'stdout');
  t.is(rows[0]!.inode, '42');
  t.is(rows[1]!.container_id, '');
});

test('CSV: a field named like an Object.prototype member is a plain column', async (t) => {
  const { rows } = await csv([makeEvent({ fields: { constructor: 'c', toString: 't', valueOf: 'v' } }), makeEvent({ timeNs: T0 + 1n })]);
  const own = (r: Row | undefined, k: string): unknown => (r ? Object.getOwnPropertyDescriptor(r, k)?.value : undefined);
  t.is(own(rows[0], 'constructor'), 'c');
  t.is(own(rows[0], 'toString'), 't');
  t.is(own(rows[0], 'valueOf'), 'v');
  t.is(own(rows[1], 'constructor'), '');
  t.is(own(rows[1], 'toString'), '');
});

test('CSV formula guard: = + - @ tab CR at the start get a leading \' when on, stay as they are when off', async (t) => {
  const risky = ['=HYPERLINK("http://x","y")', '+1+1', '-2+3', '@SUM(A1)', '\tcmd', '\rcmd'];
  const safe = ['plain', ' =not at start', '1-2', "'already"];
  const events = [...risky, ...safe].map((m, i) => makeEvent({ timeNs: T0 + BigInt(i), message: m, fields: { output: m } }));
  const on = (await csv(events, 'UTC', true)).rows;
  const off = (await csv(events, 'UTC', false)).rows;
  risky.forEach((m, i) => {
    t.is(on[i]!.message, `'${m}`, JSON.stringify(m));
    t.is(on[i]!.output, `'${m}`, JSON.stringify(m));
    t.is(off[i]!.message, m, JSON.stringify(m));
    t.is(off[i]!.output, m, JSON.stringify(m));
  });
  safe.forEach((m, j) => {
    t.is(on[risky.length + j]!.message, m);
    t.is(off[risky.length + j]!.message, m);
  });
  // numbers are not guarded: a negative timestamp stays a number
  const neg = (await csv([makeEvent({ timeNs: -5_000n })], 'UTC', true)).rows[0]!;
  t.is(neg.timestamp, '-5');
});

test('CSV rows end with CRLF and there is one row per event', (t) => {
  const out = runSink(new TimesketchCsvSink('UTC', true), [makeEvent(), makeEvent({ timeNs: T0 + 1n, message: 'two\nlines' })]);
  t.true(out.endsWith('\r\n'));
  t.is(out.split('\r\n').length, 4);
});

test('JSONL: every line parses and carries message, datetime (with offset), timestamp, timestamp_desc', (t) => {
  const events = [
    makeEvent({ message: 'a "quoted"\nmessage, with commas', timestampDesc: 'Creation Time', fields: { exit_code: 1, ok: true } }),
    makeEvent({ timeNs: utcNs(2026, 12, 31, 23, 59, 59, 999_999_999), timestampDesc: 'End Time' }),
    makeEvent({ timeNs: -1n }),
  ];
  const out = runSink(new TimesketchJsonlSink('UTC'), events);
  const lines = out.split('\n');
  t.is(lines.pop(), '');
  t.is(lines.length, 3);
  const objs = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  for (const o of objs) {
    for (const k of ['message', 'datetime', 'timestamp', 'timestamp_desc']) t.true(k in o, k);
    t.is(typeof o.message, 'string');
    t.is(typeof o.timestamp, 'number');
    t.true(Number.isInteger(o.timestamp));
    t.regex(o.datetime as string, ISO_US);
    t.is(BigInt(o.timestamp as number), microsOf(o.datetime as string));
  }
  t.is(objs[0]!.message, 'a "quoted"\nmessage, with commas');
  t.is(objs[0]!.datetime, '2026-11-29T05:46:55.123456+00:00');
  t.is(objs[0]!.timestamp, 1795931215123456);
  t.is(objs[0]!.timestamp_desc, 'Creation Time');
  t.is(objs[0]!.time_ns, '2026-11-29T05:46:55.123456789Z');
  t.is(objs[0]!.exit_code, 1);
  t.is(objs[0]!.ok, true);
  t.is(objs[1]!.datetime, '2026-12-31T23:59:59.999999+00:00');
  t.is(objs[2]!.timestamp, -1);
});

test('JSONL: datetime in the output zone', (t) => {
  const o = JSON.parse(runSink(new TimesketchJsonlSink('America/New_York'), [makeEvent()]).trim()) as Record<string, unknown>;
  t.is(o.datetime, '2026-11-29T00:46:55.123456-05:00');
  t.is(o.timestamp, 1795931215123456);
});
