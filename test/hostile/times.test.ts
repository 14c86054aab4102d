import test from 'ava';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { ID, ID2, configV2, makeTree } from '../helpers/dataroot.ts';
import { extract } from '../helpers/run.ts';
import { cliIn, csvRows, tmp } from './helpers/hostile.ts';
import { MAX_TIME_NS, MIN_TIME_NS, parseRfc3339, secondsFractionToNs } from '../../src/time/nanotime.ts';
import { MAX_MESSAGE } from '../../src/warnings.ts';

const c = `containers/${ID}`;
const c2 = `containers/${ID2}`;

/** Nanoseconds of a UTC calendar time, computed with Date (not src/time). */
const utc = (iso: string, nanos = 0n): bigint => {
  const d = new Date(0);
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)$/.exec(iso)!;
  d.setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  d.setUTCHours(Number(m[4]), Number(m[5]), Number(m[6]), 0);
  return BigInt(d.getTime()) * 1_000_000n + nanos;
};

const HUGE_FRACTION = `2026-01-02T03:04:05.${'9'.repeat(1_000_000)}Z`;

/** json-file lines: [time, good?] in file order. */
const LINES: [unknown, bigint | 'bad-time' | 'bad-log-entry'][] = [
  ['2026-01-02T03:04:06.000000001Z', utc('2026-01-02T03:04:06', 1n)],
  ['0001-01-01T00:00:00Z', 'bad-time'], // Go's zero time: "not set" is no time for a log line
  ['1969-12-31T23:59:59.5Z', -500_000_000n],
  ['9999-12-31T23:59:59.999999999Z', utc('9999-12-31T23:59:59', 999_999_999n)],
  ['2026-02-30T00:00:00Z', 'bad-time'], // no 30 February
  [HUGE_FRACTION, 'bad-time'], // a million fraction digits
  ['1600-02-29T12:00:00Z', utc('1600-02-29T12:00:00')], // 1600 was a leap year
  ['2026-01-02T24:00:00Z', 'bad-time'],
  ['2026-01-02T03:04:05+25:00', 'bad-time'],
  ['12026-01-02T03:04:05Z', 'bad-time'],
  ['0000-01-01T00:00:00Z', utc('0000-01-01T00:00:00')], // year 0 exists in RFC 3339 (proleptic Gregorian)
  [1767323045, 'bad-log-entry'],
  ['2026-01-02T03:04:05.123456789-05:30', utc('2026-01-02T08:34:05', 123_456_789n)],
];

function localRecord(timeNano: bigint, text: string): Buffer {
  const w = new BinaryWriter();
  w.tag(1, 2).string('stdout').tag(2, 0).int64(timeNano).tag(3, 2).bytes(Buffer.from(text));
  const body = Buffer.from(w.finish());
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body, len]);
}

function evidence(): { root: string; log: string; config: string; lineOffsets: number[]; local: Buffer } {
  const lines = LINES.map(([time], i) => JSON.stringify({ log: `line ${i}\n`, stream: 'stdout', time }) + '\n');
  const lineOffsets = lines.map((_, i) => lines.slice(0, i).reduce((n, l) => n + Buffer.byteLength(l), 0));
  const config = configV2(ID, {}, {
    StartedAt: '1969-12-31T23:59:59.5Z', FinishedAt: '2026-02-30T00:00:00Z',
    Health: { Status: 'healthy', FailingStreak: 0, Log: [{ Start: '9999-12-31T23:59:59.999999999Z', End: '9999-12-31T23:59:59.999999999Z', ExitCode: 0, Output: 'ok' }] },
  });
  const local = Buffer.concat([
    localRecord(-1n, 'a nanosecond before 1970'),
    localRecord(0n, 'no time at all'),
    localRecord(9223372036854775807n, 'the last int64 nanosecond'),
  ]);
  const root = makeTree({
    [`${c}/config.v2.json`]: config,
    [`${c}/${ID}-json.log`]: lines.join(''),
    [`${c}/local-logs/container.log`]: local,
    // Go's zero time everywhere: the container was never created, started or stopped as far as the file says
    [`${c2}/config.v2.json`]: configV2(ID2, { Created: '0001-01-01T00:00:00Z', Name: '/zero' }, { StartedAt: '0001-01-01T00:00:00Z', FinishedAt: '0001-01-01T00:00:01Z' }),
  });
  return { root, log: lines.join(''), config, lineOffsets, local };
}

test('times out of range in configs and logs: no crash, no invented time; bad ones are bad-time warnings with path and offset, good ones exact to the ns', async (t) => {
  const { root, config, lineOffsets, local } = evidence();
  const { events, warnings } = await extract([root]);

  // json-file: each line with a time gives exactly that time; each bad one a warning at its own offset
  const logs = events.filter((e) => e.kind === 'container.log' && e.evidence === `${c}/${ID}-json.log`);
  const want = LINES.flatMap(([, r], i) => (typeof r === 'bigint' ? [[`[test] stdout: line ${i}`, r, lineOffsets[i]]] : []));
  t.deepEqual(logs.map((e) => [e.message, e.timeNs, e.offset]).sort((a, b) => Number(a[2]) - Number(b[2])), want);
  const logWarnings = warnings.list.filter((w) => w.evidence === `${c}/${ID}-json.log`).map((w) => [w.kind, w.offset]);
  t.deepEqual(logWarnings, LINES.flatMap(([, r], i) => (typeof r === 'bigint' ? [] : [[r, lineOffsets[i]]])));

  // config: a start before 1970 is an event; 30 February is a warning at the value's offset; a probe in 9999 an event
  const life = events.filter((e) => e.containerId === ID && e.kind.startsWith('container.') && e.kind !== 'container.log');
  t.deepEqual(life.map((e) => [e.kind, e.timeNs, e.offset]), [
    ['container.started', -500_000_000n, config.indexOf('"StartedAt":')],
    ['container.created', utc('2026-01-02T03:04:05', 123_456_789n), config.indexOf('"Created":')],
    ['container.health_probe', utc('9999-12-31T23:59:59', 999_999_999n), config.indexOf('"Start":"9999')],
  ]);
  t.deepEqual(warnings.list.filter((w) => w.evidence === `${c}/config.v2.json`).map((w) => [w.kind, w.offset]), [['bad-time', config.indexOf('"FinishedAt":"2026-02-30')]]);

  // local driver: int64 ns as they are (before 1970 too); time_nano 0 is a warning at the record's offset
  const rec = local.readUInt32BE(0) + 8;
  t.deepEqual(events.filter((e) => e.evidence === `${c}/local-logs/container.log` && e.kind === 'container.log').map((e) => [e.timeNs, e.offset]),
    [[-1n, 0], [9223372036854775807n, rec + local.readUInt32BE(rec) + 8]]);
  t.deepEqual(warnings.list.filter((w) => w.evidence === `${c}/local-logs/container.log`).map((w) => [w.kind, w.offset]), [['bad-time', rec]]);

  // Go's zero time is "not set": no event and no warning; a second after it is a real (if odd) time
  t.deepEqual(events.filter((e) => e.containerId === ID2 && e.dataType === 'docker:container:configuration').map((e) => [e.kind, e.timeNs]),
    [['container.finished', utc('0001-01-01T00:00:01')]]);
  t.deepEqual(warnings.list.filter((w) => w.evidence.startsWith(c2)), []);

  // nothing outside the years every output can write
  t.true(events.every((e) => e.timeNs >= MIN_TIME_NS && e.timeNs <= MAX_TIME_NS));
  // the warning about the million-digit time quotes it cut short (a warnings file is not a copy of the evidence)
  const huge = warnings.list.find((w) => w.offset === lineOffsets[5])!;
  t.true(huge.message.length < MAX_MESSAGE + 100, `${huge.message.length} characters`);
  t.regex(huge.message, /\.\.\. \(\d+ more characters\)$/);
});

test('the time parsers reject what is not a time quickly: a million fraction digits, 4 MB of seconds', (t) => {
  const start = Date.now();
  t.is(parseRfc3339(HUGE_FRACTION), null);
  t.is(secondsFractionToNs('9'.repeat(4 << 20)), null);
  t.is(secondsFractionToNs(`1.${'5'.repeat(4 << 20)}`), 1_555_555_555n);
  t.true(Date.now() - start < 2000, `${Date.now() - start} ms`);
});

/**
 * Timesketch: rows whose year is outside 1700-9999 are dropped by Timesketch's importer (its date
 * handling): we write them anyway, with a four-digit-year `datetime` and the exact integer `timestamp`
 * (microseconds, truncated), so they are in the file for any other tool. A local date that would fall
 * outside 0000-9999, or a zone offset that is not whole minutes (local mean time), is written in UTC.
 */
test('Timesketch outputs for years outside 1700-9999 (and 9999 itself): what we write, exactly', async (t) => {
  const { root } = evidence();
  const dir = tmp('ts-years');
  const rows = new Map<string, string[]>();
  const label = (message: string): string | null =>
    /line (2|3|6|10)$/.exec(message)?.[0] ?? (/^Container test started/.test(message) ? 'started'
      : /^Container zero finished/.test(message) ? 'zero finished' : /^Health probe of test/.test(message) ? 'probe' : null);
  for (const zone of ['UTC', 'Europe/Berlin']) {
    const jsonl = path.join(dir, `${zone.replace('/', '-')}.jsonl`);
    const csv = path.join(dir, `${zone.replace('/', '-')}.csv`);
    t.is((await cliIn(['extract', root, '-f', 'timesketch-jsonl', '-z', zone, '-o', jsonl, '-q'])).code, 3);
    t.is((await cliIn(['extract', root, '-f', 'timesketch-csv', '-z', zone, '-o', csv, '-q'])).code, 3);
    // timestamp is written as exact integer text: read it from the raw line, not through a double
    for (const line of readFileSync(jsonl, 'utf8').trim().split('\n')) {
      const o = JSON.parse(line) as { message: string; datetime: string };
      const l = label(o.message);
      if (l) rows.set(`${zone} jsonl ${l}`, [o.datetime, /"timestamp":(-?\d+),/.exec(line)![1]!]);
    }
    const [header, ...body] = await csvRows(readFileSync(csv, 'utf8'));
    const [mi, di, ti] = ['message', 'datetime', 'timestamp'].map((k) => header!.indexOf(k));
    for (const r of body) {
      const l = label(r[mi!]!);
      if (l) rows.set(`${zone} csv ${l}`, [r[di!]!, r[ti!]!]);
    }
  }
  const year0 = ['0000-01-01T00:00:00.000000+00:00', '-62167219200000000'];
  const year1 = ['0001-01-01T00:00:01.000000+00:00', '-62135596799000000'];
  const y1600 = ['1600-02-29T12:00:00.000000+00:00', '-11670955200000000'];
  const y9999 = ['9999-12-31T23:59:59.999999+00:00', '253402300799999999']; // a double would make it 10000-01-01
  const y1969 = ['1969-12-31T23:59:59.500000+00:00', '-500000'];
  const y1969Berlin = ['1970-01-01T00:59:59.500000+01:00', '-500000'];
  const want: Record<string, string[]> = {};
  for (const [zone, before1970] of [['UTC', y1969], ['Europe/Berlin', y1969Berlin]] as const) {
    for (const f of ['jsonl', 'csv']) {
      Object.assign(want, {
        [`${zone} ${f} line 2`]: before1970, [`${zone} ${f} line 3`]: y9999, [`${zone} ${f} line 6`]: y1600, [`${zone} ${f} line 10`]: year0,
        [`${zone} ${f} started`]: before1970, [`${zone} ${f} probe`]: y9999, [`${zone} ${f} zero finished`]: year1,
      });
    }
  }
  // Berlin's local dates of year 0, 1 and 1600 are in local mean time (+00:53:28) and of 9999-12-31T23:59Z in
  // the year 10000: written in UTC
  t.deepEqual(Object.fromEntries(rows), want);
});

/**
 * Formerly a bug, now fixed and kept as a regression test (src/extractors/container-config.ts, parseHealth and containerConfigEvents): a health probe
 * whose `Start` is not a time is dropped without a word (`if (!p.start) continue`). The README promises
 * "a record without a valid time is a warning, not an event". Fix there: in `extract`, for each probe
 * whose Start is a string that is not Go's zero time and does not parse, warn
 * `{ kind: 'bad-time', offset: <probe offset>, message: 'health probe Start ... is not a time; no event made' }`.
 */
test('a health probe whose Start is not a time is a bad-time warning, not silently dropped', async (t) => {
  const config = configV2(ID, {}, { Health: { Status: 'healthy', FailingStreak: 0, Log: [{ Start: '2026-02-30T00:00:00Z', End: '2026-02-30T00:00:01Z', ExitCode: 0, Output: 'ok' }] } });
  const { warnings } = await extract([makeTree({ [`${c}/config.v2.json`]: config })]);
  t.deepEqual(warnings.list.map((w) => [w.kind, w.offset]), [['bad-time', config.indexOf('"Start":"2026-02-30')]]);
});
