import test from 'ava';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DYNAMIC_HEADER } from '../../src/merge/readers/dynamic.ts';
import { DR, isoNs, read } from './helpers.ts';

/**
 * plaso's `dynamic` output (psort's default). plaso writes it without any quoting
 * (plaso/output/shared_dsv.py: `_SanitizeField` turns the delimiter into a space, `_GetString` joins the
 * values with it; see shared/docs/output-formats.md 3.1): a `"` is an ordinary character, and a value
 * holding a line feed (an additional field) breaks the line. The lines below are in that shape; the
 * first is plaso's end-to-end sample (test_data/end_to_end/dynamic.log).
 */
const made: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(path.join(tmpdir(), 'dt-merge-dynamic-'));
  made.push(d);
  return d;
};
test.after.always(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});
const write = (name: string, text: string): string => {
  const f = path.join(tmp(), name);
  writeFileSync(f, text);
  return f;
};
const offsetOf = (file: string, needle: string): number => readFileSync(file).indexOf(needle);

const PLASO = [
  DYNAMIC_HEADER,
  '2012-01-22T07:52:33+00:00,Content Modification Time,LOG,Log File,[client  pid: 30840] INFO No change in [/etc/netgroup]. Done,text/syslog_traditional,OS:/tmp/test/test_data/syslog/syslog,-',
  // quotes as the message had them: a leading quoted request, then an odd one (RFC 4180 would swallow the lines after it)
  '2024-07-24T10:57:02.877297+00:00,Entry Written,WEBHIST,Apache Access,"GET /index.html HTTP/1.1" 200 from 10.0.0.5  agent "curl/8.5.0",apache:access,OS:/var/log/apache2/access.log,-',
  '2024-07-24T10:57:03.000000+00:00,Entry Written,LOG,Syslog,user said "hi  and left,text/syslog,OS:/var/log/syslog,Malware Printed',
  `2024-07-24T12:57:04.000000+02:00,Content Modification Time,FILE,File stat,OS:/var/lib/docker/overlay2/${DR.mount}/diff/etc/passwd Type: file,filestat,OS:/var/lib/docker/overlay2/${DR.mount}/diff/etc/passwd,-`,
  // timestamp 0, and --dynamic_time's semantic values: rows without a time
  '0000-00-00T00:00:00.000000+00:00,Not a time,LOG,Syslog,no time,text/syslog,OS:/var/log/syslog,-',
  'Not set,Creation Time,FILE,File stat,not set,filestat,OS:/x,-',
  // a line cut short, and one with a column too many (not something plaso writes)
  '2024-07-24T10:57:05.000000+00:00,Entry Written,LOG',
  '2024-07-24T10:57:06.000000+00:00,Entry Written,LOG,Syslog,one,two,text/syslog,OS:/var/log/syslog,-',
  '2024-07-24T10:57:07.9687500+00:00,Entry Written,LOG,Syslog,last "line,text/syslog,OS:/var/log/syslog,-',
  '',
].join('\n');

test('plaso dynamic CSV: read as plaso writes it (no quoting): quotes are text, a row after an odd quote is its own', async (t) => {
  const file = write('timeline.csv', PLASO);
  const { events, hostPaths, warnings, result } = await read(file);
  t.is(result.format, 'dynamic');
  t.is(result.untimed, 2);
  t.deepEqual(events.map((e) => [e.message, e.timeNs, e.timestampDesc, e.offset]), [
    ['[client  pid: 30840] INFO No change in [/etc/netgroup]. Done', isoNs('2012-01-22T07:52:33Z'), 'Content Modification Time', offsetOf(file, '2012-01-22')],
    ['"GET /index.html HTTP/1.1" 200 from 10.0.0.5  agent "curl/8.5.0"', isoNs('2024-07-24T10:57:02.877297Z'), 'Entry Written', offsetOf(file, '2024-07-24T10:57:02')],
    ['user said "hi  and left', isoNs('2024-07-24T10:57:03Z'), 'Entry Written', offsetOf(file, '2024-07-24T10:57:03')],
    [`OS:/var/lib/docker/overlay2/${DR.mount}/diff/etc/passwd Type: file`, isoNs('2024-07-24T10:57:04Z'), 'Content Modification Time', offsetOf(file, '2024-07-24T12:57:04')],
    ['last "line', isoNs('2024-07-24T10:57:07.96875Z'), 'Entry Written', offsetOf(file, '2024-07-24T10:57:07')],
  ]);
  t.true(events.every((e) => e.kind === 'plaso.dynamic'));
  const [syslog, apache, tagged, stat] = events;
  t.deepEqual([syslog!.source, syslog!.sourcetype, syslog!.parser], ['LOG', 'Log File', 'text/syslog_traditional']);
  t.is(syslog!.fields.original_display_name, 'OS:/tmp/test/test_data/syslog/syslog');
  t.is(syslog!.fields.tag, undefined); // `-`: no value
  t.is(tagged!.fields.tag, 'Malware Printed');
  t.deepEqual([apache!.source, apache!.sourcetype, apache!.dataType], ['WEBHIST', 'Apache Access', '']);
  // the display name is the host path for attribution
  t.is(hostPaths[events.indexOf(stat!)], `/var/lib/docker/overlay2/${DR.mount}/diff/etc/passwd`);
  t.deepEqual(warnings.list.map((w) => [w.kind, w.offset]), [
    ['malformed', offsetOf(file, '2024-07-24T10:57:05')],
    ['malformed', offsetOf(file, '2024-07-24T10:57:06')],
  ]);
});

test('plaso dynamic CSV with --additional_fields: a value with a line feed is joined back over its lines', async (t) => {
  const file = write('extra.csv', [
    `${DYNAMIC_HEADER},filename,inode,text`,
    '2012-06-27T18:17:01+00:00,Entry Written,LOG,Syslog,Reporter <CRON> PID: 8442 (pam_unix(cron:session): session closed for user root),syslog,OS:/var/log/syslog.1,-,/var/log/syslog.1,15,Reporter <CRON> PID: |8442| (pam_unix(cron:session): session',
    ' closed for user root)',
    '2012-06-27T18:17:02+00:00,Entry Written,LOG,Syslog,next,syslog,OS:/var/log/syslog.1,-,/var/log/syslog.1,15,-',
    '',
  ].join('\n'));
  const { events, warnings, result } = await read(file);
  t.is(result.format, 'dynamic');
  t.deepEqual(warnings.list, []);
  t.is(events.length, 2);
  t.is(events[0]!.fields.text, 'Reporter <CRON> PID: |8442| (pam_unix(cron:session): session\n closed for user root)');
  t.is(events[0]!.offset, offsetOf(file, '2012-06-27T18:17:01'));
  t.is(events[0]!.inode, '15');
  t.is(events[0]!.fields.filename, '/var/log/syslog.1');
  t.is(events[1]!.message, 'next');
  t.is(events[1]!.fields.text, undefined);
});

test('a dynamic CSV re-saved with RFC 4180 quoting (a spreadsheet, pandas) is read with --input-format timesketch-csv', async (t) => {
  // not plaso's own output (it never quotes): commas in values, doubled quotes, a line feed inside quotes
  const file = write('resaved.csv', [
    DYNAMIC_HEADER,
    '2012-01-22T07:52:33+00:00,Content Modification Time,LOG,Log File,"a, b ""quoted""\r\nsecond line",syslog,"OS:/var/log/sys,log",-',
    '2012-01-22T07:52:34+00:00,Content Modification Time,LOG,Log File,plain,syslog,OS:/var/log/syslog,-',
    '',
  ].join('\r\n'));
  const quoted = await read(file, { format: 'timesketch-csv' });
  t.deepEqual(quoted.warnings.list, []);
  t.deepEqual(quoted.events.map((e) => [e.message, e.fields.original_display_name, e.offset]), [
    ['a, b "quoted"\r\nsecond line', 'OS:/var/log/sys,log', offsetOf(file, '2012-01-22T07:52:33')],
    ['plain', 'OS:/var/log/syslog', offsetOf(file, '2012-01-22T07:52:34')],
  ]);
  // told from its header it is read as plaso writes: the quoted row does not fit, and is warned about (both its lines), not guessed
  const literal = await read(file);
  t.is(literal.result.format, 'dynamic');
  t.deepEqual(literal.events.map((e) => e.message), ['plain']);
  t.deepEqual(literal.warnings.list.map((w) => [w.kind, w.offset]), [['malformed', offsetOf(file, '2012-01-22T07:52:33')], ['malformed', offsetOf(file, 'second line')]]);
});
