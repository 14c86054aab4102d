import test from 'ava';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { TimelineEvent } from '../../src/events/event.ts';
import { L2tCsvSink } from '../../src/sinks/l2tcsv.ts';
import { BodyfileSink } from '../../src/sinks/bodyfile.ts';
import { JsonlSink } from '../../src/sinks/jsonl.ts';
import { TimesketchCsvSink, TimesketchJsonlSink } from '../../src/sinks/timesketch.ts';
import { makeEvent, runSink, statEvent } from '../sinks/make-event.ts';
import { DR, fixture, isoNs, read } from './helpers.ts';

const tmp = (): string => mkdtempSync(path.join(tmpdir(), 'dt-merge-readers-'));
const offsetOf = (file: string, needle: string): number => readFileSync(file).indexOf(needle);
const FIXTURE_DIR = path.dirname(fixture('host.body'));

test('bodyfile: raw |, \\| and %7C in names, fractions, links, deleted entries, MD5, empty owner, before 1970; timeless and bad lines', async (t) => {
  const file = fixture('host.body');
  const { events, hostPaths, warnings, result } = await read(file);
  t.is(result.format, 'bodyfile');
  t.is(result.untimed, 1); // $OrphanFiles
  t.is(events.length, 15);
  t.true(events.every((e) => e.kind === 'host.bodyfile' && e.evidence === 'host.body' && e.evidenceSource === FIXTURE_DIR && e.dataType === 'fs:bodyfile:entry'));
  // newer fls / plaso test data: \| escapes, nanosecond fraction kept; one event per non-zero column, in m a c b order
  const pipes = events.filter((e) => e.fields.filename === '/file|with|pipes');
  t.deepEqual(pipes.map((e) => e.timestampDesc), ['Content Modification Time', 'Last Access Time', 'Metadata Modification Time', 'Creation Time']);
  t.true(pipes.every((e) => e.timeNs === 1_596_091_265_352_146_149n && e.inode === '64-128-2' && e.offset === offsetOf(file, '0|/file\\|')));
  t.is(pipes[0]!.fields.uid, 48);
  // this tool's %XX escape (as mactime decodes it), and a | that old fls leaves as it is
  t.deepEqual(events.filter((e) => e.offset === offsetOf(file, '0|/tmp/a%7C')).map((e) => [e.fields.filename, e.timestampDesc, e.timeNs]),
    [['/tmp/a|b%c', 'Last Access Time', 1_700_000_000_000_000_000n]]);
  t.deepEqual(events.filter((e) => e.offset === offsetOf(file, '0|/usr/bin/raw')).map((e) => [e.fields.filename, e.timestampDesc]), [['/usr/bin/raw|pipe', 'Content Modification Time']]);
  // symbolic link: target split off by the l mode; crtime 0 gives no event
  const link = events.filter((e) => e.fields.filename === '/link');
  t.deepEqual(link.map((e) => e.timestampDesc), ['Content Modification Time', 'Last Access Time', 'Metadata Modification Time']);
  t.is(link[0]!.fields.symbolic_link_target, '/etc/passwd');
  t.is(link[0]!.message, '/link -> /etc/passwd Owner identifier: 0 Group identifier: 0 Mode: l/lrwxrwxrwx');
  // deleted: mark split off into a field, kept in the message; a half second kept
  const dropper = events.filter((e) => e.fields.filename === '/tmp/dropper.sh');
  t.true(dropper.every((e) => e.fields.deleted === 'deleted' && e.message.startsWith('/tmp/dropper.sh (deleted) ')));
  t.is(dropper.find((e) => e.timestampDesc === 'Content Modification Time')!.timeNs, 1_700_000_200_500_000_000n);
  t.is(dropper.find((e) => e.timestampDesc === 'Content Modification Time')!.fields.time_raw, '1700000200.5');
  // plaso's test shape: \\ escape, MD5, empty UID/GID, 7 fraction digits
  const dir = events.find((e) => e.fields.filename === '\\testdir2')!;
  t.is(dir.timeNs, 1_573_896_478_189_698_000n);
  t.is(dir.fields.md5, 'd41d8cd98f00b204e9800998ecf8427e');
  t.is(dir.fields.uid, undefined);
  t.regex(dir.message, /Owner identifier: - .* MD5: d41d8cd98f00b204e9800998ecf8427e$/);
  // before 1970: signed, the fraction too
  t.is(events.find((e) => e.fields.filename === '/before-1970')!.timeNs, -1_500_000_000n);
  // the host path handed on for attribution is the bare path
  t.is(hostPaths[events.indexOf(dropper[0]!)], '/tmp/dropper.sh');
  t.deepEqual(warnings.list.map((w) => [w.kind, w.offset, w.evidence]), [
    ['malformed', offsetOf(file, '0|bad line'), 'host.body'],
    ['malformed', offsetOf(file, '0|/badtime'), 'host.body'],
  ]);
});

test('bodyfile with --input-timezone: the epoch values are read as that zone\'s wall clock (as plaso -z does)', async (t) => {
  const { events } = await read(fixture('host.body'), { zone: 'Europe/Berlin' });
  // 1700000000 = 2023-11-14 22:13:20 as a wall clock in Berlin (CET, +01:00) = 21:13:20Z
  const a = events.find((e) => e.fields.filename === '/tmp/a|b%c')!;
  t.is(a.timeNs, isoNs('2023-11-14T21:13:20Z'));
  t.regex(String(a.fields.time_zone_note), /Europe\/Berlin local time \(UTC\+01:00\)/);
  // summer: 1596091265.352146149 = 2020-07-30 06:41:05 wall, CEST +02:00
  t.is(events.find((e) => e.fields.filename === '/file|with|pipes')!.timeNs, isoNs('2020-07-30T04:41:05.352146149Z'));
});

async function mactimeOf(body: string, args: string[], tz: string): Promise<string> {
  const dir = tmp();
  const out = path.join(dir, 'mactime.csv');
  writeFileSync(out, execFileSync('mactime', ['-b', body, '-d', ...args], { env: { ...process.env, TZ: tz } }));
  return out;
}

test('mactime -d: real mactime output of the bodyfile (-y UTC, and local dates read in --input-timezone) gives the bodyfile\'s times', async (t) => {
  const body = await read(fixture('host.body'));
  const key = (e: TimelineEvent): string => `${e.timeNs / 1_000_000_000n} ${e.timestampDesc} ${String(e.fields.filename)} ${String(e.fields.deleted ?? '')} ${e.inode}`;
  const iso = await read(await mactimeOf(fixture('host.body'), ['-y'], 'UTC'));
  t.is(iso.result.format, 'mactime');
  t.deepEqual(iso.warnings.list, []);
  t.is(iso.result.untimed, 3); // the 0000-00-00 rows of the zero columns
  const listed = new Set(iso.events.map((e) => e.fields.filename));
  // mactime drops names with | (escaped or not), an empty UID and times before 1970; everything else agrees
  t.deepEqual([...listed].sort(), ['/link', '/tmp/a|b%c', '/tmp/dropper.sh']);
  const floor = (e: TimelineEvent): bigint => (e.timeNs < 0n ? -1n : e.timeNs / 1_000_000_000n);
  t.deepEqual(iso.events.map(key).sort(), body.events.filter((e) => listed.has(e.fields.filename)).map((e) => key({ ...e, timeNs: floor(e) * 1_000_000_000n })).sort());
  t.true(iso.events.every((e) => e.kind === 'host.mactime' && e.fields.macb !== undefined));
  t.is(iso.events.find((e) => e.fields.filename === '/link')!.fields.symbolic_link_target, '/etc/passwd');
  // default dates are local (TZ of mactime): the same instants when read in that zone
  const local = await read(await mactimeOf(fixture('host.body'), [], 'Europe/Berlin'), { zone: 'Europe/Berlin' });
  t.deepEqual(local.warnings.list, []);
  t.deepEqual(local.events.map(key).sort(), iso.events.map(key).sort());
  t.regex(String(local.events[0]!.fields.time_raw), /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) Nov 14 2023 2\d:\d\d:\d\d$/);
  // without the zone: read as UTC, and said once
  const assumed = await read(await mactimeOf(fixture('host.body'), [], 'Europe/Berlin'));
  t.deepEqual(assumed.warnings.list.map((w) => w.kind), ['zone-assumed']);
  t.is(assumed.events[0]!.timeNs - local.events[0]!.timeNs, 3_600_000_000_000n);
});

test('L2T CSV: plaso\'s lines (output-formats 2.6), a MACB line split per description, Not a time, a line cut short', async (t) => {
  const file = fixture('plaso.l2t.csv');
  const { events, hostPaths, warnings, result } = await read(file);
  t.is(result.format, 'l2tcsv');
  t.is(result.untimed, 1);
  t.is(events.length, 4);
  const cron = events[0]!;
  t.is(cron.timeNs, isoNs('2012-01-22T07:53:01Z'));
  t.is(cron.kind, 'plaso.l2tcsv');
  t.is(cron.timestampDesc, 'Content Modification Time');
  t.is(cron.message, 'Cron ran: touch /var/run/crond.somecheck for user: root pid: 31051');
  t.deepEqual([cron.source, cron.sourcetype, cron.parser], ['LOG', 'Cron log', 'text/syslog_traditional']);
  t.is(cron.offset, offsetOf(file, '01/22/2012,07:53:01'));
  t.deepEqual(cron.fields, {
    macb: 'M...', user: 'root', hostname: 'myhostname.myhost.com', filename: 'OS:/tmp/test/test_data/syslog/syslog',
    format: 'text/syslog_traditional', time_raw: '01/22/2012 07:53:01 UTC',
    extra: 'message_body: (root) CMD (touch /var/run/crond.somecheck); reporter: CRON; sha256_hash: 1f0105612f6ad2d225d6bd9ba631148740e312598878adcd2b74098a3dab50c4',
  });
  t.is(events[1]!.fields.notes, 'Malware Printed');
  t.is(events[1]!.fields.extra, 'my_number: 123; some_additional_foo: True');
  // the M.C. line of a file in a disk image: two events, one line, the TSK path for attribution
  const [m, c] = events.slice(2);
  t.deepEqual([m!.timestampDesc, c!.timestampDesc], ['Content Modification Time', 'Metadata Modification Time']);
  t.is(m!.offset, c!.offset);
  t.is(m!.inode, '22');
  t.is(m!.fields.l2t_type, 'Content Modification Time; Metadata Modification Time');
  t.is(hostPaths[2], `/var/lib/docker/overlay2/${DR.mount}/diff/etc/passwd`);
  t.deepEqual(warnings.list.map((w) => [w.kind, w.offset]), [['malformed', offsetOf(file, '01/22/2012,07:53:01,UTC,M...,LOG,a line cut short')]]);
});

test('L2T CSV zones: CET/CEST by their names (the repeated hour told apart), an ambiguous name needs --input-timezone, a contradicting one is refused', async (t) => {
  const file = fixture('plaso-cet.l2t.csv');
  const plain = await read(file);
  t.deepEqual(plain.events.map((e) => [e.message, e.timeNs]), [
    ['[client  pid: 30840] INFO No change in [/etc/netgroup]. Done', isoNs('2012-01-22T07:52:33Z')], // = the UTC line of plaso's l2tcsv.log
    ['summer line', isoNs('2012-07-01T07:00:00Z')],
    ['first 02:30 (summer time)', isoNs('2012-10-28T00:30:00Z')],
    ['second 02:30 (winter time)', isoNs('2012-10-28T01:30:00Z')],
  ]);
  t.deepEqual(plain.warnings.list.map((w) => [w.kind, w.offset]), [['unknown-zone', offsetOf(file, '01/22/2012,08:52:33,CST')]]);
  t.regex(plain.warnings.list[0]!.message, /"CST" does not name one offset: 1 line\(s\) skipped/);
  // the zone given: CET/CEST agree with it and pick the hour; CST is taken as the zone says
  const berlin = await read(file, { zone: 'Europe/Berlin' });
  t.deepEqual(berlin.events.slice(0, 4).map((e) => e.timeNs), plain.events.map((e) => e.timeNs));
  t.is(berlin.events[4]!.timeNs, isoNs('2012-01-22T07:52:33Z'));
  t.deepEqual(berlin.warnings.list, []);
  const chicago = await read(file, { zone: 'America/Chicago' });
  t.deepEqual(chicago.events.map((e) => [e.message, e.timeNs]), [['ambiguous zone name', isoNs('2012-01-22T14:52:33Z')]]);
  t.deepEqual(chicago.warnings.list.map((w) => w.kind), ['zone-mismatch', 'zone-mismatch', 'zone-mismatch', 'zone-mismatch']);
});

test('L2T CSV written by this tool reads back to the nanosecond (time_ns in extra), in UTC and in a zone with summer time', async (t) => {
  const events = [
    makeEvent({ timeNs: isoNs('2026-03-29T00:59:59.999999999Z'), message: 'before the change, with, commas' }),
    makeEvent({ timeNs: isoNs('2026-03-29T01:00:00.000000001Z'), message: 'after the change' }),
    statEvent('Content Modification Time', isoNs('2026-07-01T12:00:00.5Z')),
    statEvent('Metadata Modification Time', isoNs('2026-07-01T12:00:00.5Z')),
  ];
  for (const zone of ['UTC', 'Europe/Berlin']) {
    const file = path.join(tmp(), 'ours.csv');
    writeFileSync(file, runSink(new L2tCsvSink(zone, null), events));
    const back = await read(file);
    t.deepEqual(back.warnings.list, [], zone);
    t.deepEqual(back.events.map((e) => e.timeNs), events.map((e) => e.timeNs), zone);
    t.deepEqual(back.events.map((e) => e.parser), events.map((e) => e.parser), zone);
    t.is(back.events[0]!.message, 'before the change  with  commas');
    // the MACB line of the two file times is two events again
    t.is(back.events[2]!.offset, back.events[3]!.offset);
  }
});

test('json_line: plaso\'s shapes, exact nanoseconds from date_time, a date_time that disagrees, Not a time, a bad line', async (t) => {
  const file = fixture('plaso.json_line.jsonl');
  const { events, hostPaths, warnings, result } = await read(file);
  t.is(result.format, 'json_line');
  t.is(result.untimed, 1);
  t.is(events.length, 4);
  const [syslog, stat, test3, mismatch] = events;
  t.is(syslog!.timeNs, 1_453_449_153_000_000_000n);
  t.is(syslog!.message, '[client, pid: 30840] INFO No change in [/etc/netgroup]. Done');
  t.deepEqual([syslog!.dataType, syslog!.parser, syslog!.kind, syslog!.inode], ['syslog:line', 'syslog', 'plaso.json_line', '0']);
  t.is(syslog!.fields.pid, 30840);
  t.is(syslog!.fields.original_display_name, 'OS:/tmp/test/test_data/syslog');
  t.is(syslog!.fields.original_offset, 0);
  t.is(syslog!.fields.filename, '/tmp/test/test_data/syslog');
  t.is(syslog!.fields.pathspec, '{"type_indicator":"OS","__type__":"PathSpec","location":"/tmp/test/test_data/syslog"}');
  t.is(syslog!.fields.__container_type__, undefined);
  // 1795937382123456789 ns is beyond 2^53: read from the text, not rounded
  t.is(stat!.timeNs, 1_795_937_382_123_456_789n);
  t.is(hostPaths[1], `/var/lib/docker/overlay2/${DR.mount}/diff/etc/passwd`);
  t.is(test3!.fields.text, 'Reporter <CRON> PID: |8442| (pam_unix(cron:session): session\n closed for user root)');
  t.is(test3!.timestampDesc, 'Unknown Time');
  t.is(mismatch!.timeNs, 1_340_821_021_000_000_000n);
  t.deepEqual(warnings.list.map((w) => [w.kind, w.offset]), [['bad-json', offsetOf(file, '{not json')]]);
});

test('Timesketch CSV: quoted values over lines keep their first line\'s offset; datetime with offset, naive, or only a timestamp; disagreements and bad rows', async (t) => {
  const file = fixture('timesketch.csv');
  const { events, warnings, result } = await read(file);
  t.is(result.format, 'timesketch-csv');
  t.deepEqual(events.map((e) => [e.message, e.timeNs, e.timestampDesc]), [
    ['User logged in, from 10.0.0.5', isoNs('2024-07-24T10:57:02.877297Z'), 'Login Time'],
    ['multi-line\r\nmessage with "quotes"', isoNs('2024-07-24T10:57:03Z'), 'Event Recorded'],
    ['naive datetime', isoNs('2024-07-24T10:57:04Z'), 'Event Recorded'],
    ['only a timestamp', isoNs('2024-07-24T10:57:05.000001Z'), 'Event Recorded'],
    ['timestamp disagrees', isoNs('2024-07-24T10:57:06Z'), 'Event Recorded'],
  ]);
  t.is(events[1]!.offset, offsetOf(file, '"multi-line'));
  t.is(events[2]!.offset, offsetOf(file, 'naive datetime'));
  t.deepEqual(events[0]!.fields, { original_datetime: '2024-07-24T10:57:02.877297Z', original_timestamp: '1721818622877297', hostname: 'web01' });
  t.is(events[0]!.dataType, 'auth:login');
  t.deepEqual(warnings.list.map((w) => [w.kind, w.offset]), [
    ['time-mismatch', offsetOf(file, 'timestamp disagrees')],
    ['bad-time', offsetOf(file, 'bad datetime')],
    ['malformed', offsetOf(file, 'too,few')],
  ]);
  // a naive datetime is read in --input-timezone
  const berlin = await read(file, { zone: 'Europe/Berlin' });
  t.is(berlin.events[2]!.timeNs, isoNs('2024-07-24T08:57:04Z'));
  t.is(berlin.events[0]!.timeNs, events[0]!.timeNs);
});

test('Timesketch JSONL: datetime, timestamp, extra keys kept (lists as JSON); a row without timestamp_desc and a non-object are warnings', async (t) => {
  const file = fixture('timesketch.jsonl');
  const { events, warnings, hostPaths } = await read(file);
  t.deepEqual(events.map((e) => [e.kind, e.message, e.timeNs, e.fields.extra_field_1]), [
    ['timesketch.jsonl', 'A message', 1_331_698_658_276_340_000n, 'foo'],
    ['timesketch.jsonl', 'Another message', 1_331_698_658_276_341_000n, 'bar'],
  ]);
  t.is(events[1]!.fields.tag, '["suspicious","login"]');
  t.is(hostPaths[1], `/var/lib/docker/containers/${'a'.repeat(64)}/hostname`);
  t.deepEqual(warnings.list.map((w) => [w.kind, w.offset]), [
    ['malformed', offsetOf(file, '{"message": "no timestamp_desc"')],
    ['bad-json', offsetOf(file, '["not"')],
  ]);
});

test('this tool\'s jsonl, timesketch-jsonl and timesketch-csv read back to the nanosecond with their fields; the CSV formula guard comes off', async (t) => {
  const events = [
    makeEvent({ timeNs: isoNs('2026-11-29T05:46:55.123456789Z'), containerId: 'a'.repeat(64), containerName: 'web', stream: 'stdout', fields: { partial_chunks: 2, attr_x: 'y' } }),
    makeEvent({ timeNs: isoNs('2026-11-29T05:46:55.123456790Z'), message: '=cmd|\' /C calc\'!A0, "quoted"\nnext line', offset: 77 }),
    statEvent('Creation Time', isoNs('1969-12-31T23:59:59.999999999Z')),
  ];
  for (const [name, sink, format] of [
    ['ours.jsonl', new JsonlSink(), 'jsonl'],
    ['ours-ts.jsonl', new TimesketchJsonlSink('Europe/Berlin'), 'timesketch-jsonl'],
    ['ours-ts.csv', new TimesketchCsvSink('UTC', true), 'timesketch-csv'],
  ] as const) {
    const file = path.join(tmp(), name);
    writeFileSync(file, runSink(sink, events));
    const back = await read(file);
    t.is(back.result.format, format);
    t.deepEqual(back.warnings.list, [], name);
    t.deepEqual(back.events.map((e) => [e.timeNs, e.message, e.timestampDesc, e.containerId, e.containerName, e.dataType, e.parser]),
      events.map((e) => [e.timeNs, e.message, e.timestampDesc, e.containerId, e.containerName, e.dataType, e.parser]), name);
    t.deepEqual(back.events.map((e) => [e.fields.original_kind, e.fields.original_evidence, String(e.fields.original_offset)]),
      events.map((e) => [e.kind, e.evidence, String(e.offset)]), name);
    t.is(String(back.events[0]!.fields.partial_chunks), '2', name);
    t.is(back.events[0]!.stream, 'stdout', name);
    t.is(back.events[2]!.inode, '1234', name);
  }
});

test('a bodyfile written by this tool reads back: %XX names and nanoseconds', async (t) => {
  const e = statEvent('Content Modification Time', isoNs('2026-01-02T03:04:05.000000007Z'), { evidence: 'containers/abc/we|rd%name\tx' });
  const log = makeEvent({ timeNs: isoNs('2026-01-02T03:04:06.5Z'), message: 'a | b' });
  const file = path.join(tmp(), 'ours.body');
  writeFileSync(file, runSink(new BodyfileSink(), [e, log]));
  const back = await read(file);
  t.deepEqual(back.events.map((x) => [x.timeNs, x.fields.filename]), [
    [e.timeNs, '/evidence/docker/containers/abc/we|rd%name\tx'.replace(/^/, 'OS:')],
    [log.timeNs, `[docker:container.log] a | b (OS:/evidence/docker/${log.evidence}@0)`],
  ]);
  t.deepEqual(back.hostPaths, ['OS:/evidence/docker/containers/abc/we|rd%name\tx', null]);
});

test('formats are told from the first lines; --input-format overrides; gzip is read with offsets in the decompressed text; an unknown file is a warning', async (t) => {
  const want: Record<string, string> = {
    'host.body': 'bodyfile', 'plaso.l2t.csv': 'l2tcsv', 'plaso-cet.l2t.csv': 'l2tcsv', 'plaso.json_line.jsonl': 'json_line',
    'timesketch.csv': 'timesketch-csv', 'timesketch.jsonl': 'timesketch-jsonl',
  };
  for (const [name, format] of Object.entries(want)) t.is(String((await read(fixture(name))).result.format), format, name);
  const dir = tmp();
  const gz = path.join(dir, 'plaso.l2t.csv.gz');
  writeFileSync(gz, gzipSync(readFileSync(fixture('plaso.l2t.csv'))));
  const plain = await read(fixture('plaso.l2t.csv'));
  const zipped = await read(gz);
  t.deepEqual(zipped.events.map((e) => [e.offset, e.timeNs, e.message]), plain.events.map((e) => [e.offset, e.timeNs, e.message]));
  const text = path.join(dir, 'notes.txt');
  writeFileSync(text, 'just some notes\nnothing else\n');
  const unknown = await read(text);
  t.is(unknown.result.format, null);
  t.deepEqual(unknown.warnings.list.map((w) => w.kind), ['unknown-format']);
  // a bodyfile whose first lines are comments only is found by --input-format
  const body = path.join(dir, 'odd.txt');
  copyFileSync(fixture('host.body'), body);
  t.is((await read(body, { format: 'bodyfile' })).events.length, 15);
  const forced = await read(fixture('timesketch.jsonl'), { format: 'bodyfile' });
  t.is(forced.events.length, 0);
  t.true(forced.warnings.list.every((w) => w.kind === 'malformed'));
});
