import test from 'ava';
import { L2tCsvSink, L2T_HEADER } from '../../src/sinks/l2tcsv.js';
import type { TimelineEvent } from '../../src/events/event.js';
import { RawLine } from '../../src/events/raw-line.js';
import { makeEvent, runSink, statEvent, T0, utcNs } from './make-event.js';

const PLASO_COLUMNS = ['date', 'time', 'timezone', 'MACB', 'source', 'sourcetype', 'type', 'user', 'host', 'short', 'desc',
  'version', 'filename', 'inode', 'notes', 'format', 'extra'] as const;
type L2tRow = Record<(typeof PLASO_COLUMNS)[number], string>;

/** Lines of an l2tcsv output without the header, each split into its 17 columns. */
function rows(events: TimelineEvent[], zone = 'UTC', hostname: string | null = null): L2tRow[] {
  const out = runSink(new L2tCsvSink(zone, hostname), events);
  const lines = out.split('\n');
  if (lines.at(-1) !== '') throw new Error('output does not end with a newline');
  lines.pop();
  if (lines.shift() !== PLASO_COLUMNS.join(',')) throw new Error('bad header');
  return lines.map((l) => {
    const cells = l.split(',');
    if (cells.length !== 17) throw new Error(`line has ${cells.length} cells: ${l}`);
    return Object.fromEntries(PLASO_COLUMNS.map((c, i) => [c, cells[i]!])) as L2tRow;
  });
}

const one = (e: TimelineEvent, zone = 'UTC', hostname: string | null = null): L2tRow => {
  const r = rows([e], zone, hostname);
  if (r.length !== 1) throw new Error(`expected one line, got ${r.length}`);
  return r[0]!;
};

test('header is exactly plaso\'s 17 columns', (t) => {
  const sink = new L2tCsvSink('UTC', null);
  t.is(sink.header(), 'date,time,timezone,MACB,source,sourcetype,type,user,host,short,desc,version,filename,inode,notes,format,extra\n');
  t.is(L2T_HEADER.split(',').length, 17);
  t.deepEqual(L2T_HEADER.split(','), [...PLASO_COLUMNS]);
});

test('every line has exactly 16 commas; commas in any value become spaces', (t) => {
  const events = [
    makeEvent({
      message: 'a, b,c', evidenceSource: '/ev,idence', evidence: 'containers/x,y/x-json.log', containerName: 'n,m', containerId: 'id,1',
      imageId: 'sha256:a,b', stream: 'std,out', inode: '1,2', parser: 'p,q', source: 'S,T', sourcetype: 'Long, source',
      timestampDesc: 'Content Modification Time', fields: { 'k,ey': 'v,al', list: 'a, b, c', n: 1.5 },
    }),
    makeEvent({ timeNs: T0 + 1_000_000_000n, message: ',,,' }),
  ];
  const out = runSink(new L2tCsvSink('UTC', 'host,name'), events);
  const lines = out.split('\n').slice(0, -1);
  t.is(lines.length, 3);
  for (const l of lines) t.is(l.split(',').length - 1, 16, l);
  const r = rows(events, 'UTC', 'host,name');
  t.is(r[0]!.desc, 'a  b c');
  t.is(r[0]!.short, 'a  b c');
  t.is(r[0]!.host, 'host name');
  t.is(r[0]!.filename, 'OS:/ev idence/containers/x y/x-json.log');
  t.is(r[0]!.inode, '1 2');
  t.is(r[0]!.format, 'p q');
  t.is(r[0]!.source, 'S T');
  t.is(r[0]!.sourcetype, 'Long  source');
  t.regex(r[0]!.extra, /(^|; )k ey: v al(;|$)/);
  t.regex(r[0]!.extra, /(^|; )list: a  b  c(;|$)/);
  t.is(r[1]!.desc, '   ');
});

test('CR and LF are removed from desc and short (not replaced), and never split a line', (t) => {
  const r = one(makeEvent({ message: 'pam_unix(cron:session): session\n closed\r\nfor user root\r', fields: { out: 'line1\nline2\r\n' } }));
  t.is(r.desc, 'pam_unix(cron:session): session closedfor user root');
  t.is(r.short, r.desc);
  // extra: plaso turns \n into '-' and drops \r
  t.regex(r.extra, /(^|; )out: line1-line2-(;|$)/);
  // a newline in the file name must not break the line either
  const r2 = one(makeEvent({ evidence: 'containers/a\nb/log' }));
  t.is(r2.filename, 'OS:/evidence/docker/containers/ab/log');
});

test('short is the first 77 characters + ... when the message is over 80 characters', (t) => {
  const m80 = 'x'.repeat(80);
  t.is(one(makeEvent({ message: m80 })).short, m80);
  const m81 = 'abcdefghij'.repeat(8) + 'Z';
  const r = one(makeEvent({ message: m81 }));
  t.is(r.short, m81.slice(0, 77) + '...');
  t.is(r.short.length, 80);
  t.is(r.desc, m81);
  // the length counts after CR/LF removal, as plaso's formatter strips them first
  t.is(one(makeEvent({ message: 'y'.repeat(40) + '\r\n' + 'y'.repeat(40) })).short, 'y'.repeat(80));
  // characters, not UTF-16 units: an emoji is one character and is never cut in half
  const emoji = '😀'.repeat(81);
  const re = one(makeEvent({ message: emoji }));
  t.is(re.short, '😀'.repeat(77) + '...');
  t.false(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/.test(re.short), 'no lone high surrogate');
  t.is(one(makeEvent({ message: '😀'.repeat(80) })).short, '😀'.repeat(80));
  // commas are replaced after cutting, like plaso's _SanitizeField
  t.is(one(makeEvent({ message: ','.repeat(90) })).short, ' '.repeat(77) + '...');
});

test('date MM/DD/YYYY, time HH:MM:SS in whole seconds (truncated), zone UTC', (t) => {
  const r = one(makeEvent({ timeNs: utcNs(2026, 11, 29, 5, 46, 55, 999_999_999) }));
  t.is(r.date, '11/29/2026');
  t.is(r.time, '05:46:55');
  t.is(r.timezone, 'UTC');
  const r2 = one(makeEvent({ timeNs: utcNs(1999, 1, 2, 3, 4, 5) }));
  t.is(`${r2.date} ${r2.time}`, '01/02/1999 03:04:05');
  // before 1970 floors, too
  const r3 = one(makeEvent({ timeNs: -1n }));
  t.is(`${r3.date} ${r3.time} ${r3.timezone}`, '12/31/1969 23:59:59 UTC');
});

test('a timestamp of 0 is plaso\'s not-set form', (t) => {
  const r = one(makeEvent({ timeNs: 0n, timestampDesc: 'Not a time' }));
  t.is(`${r.date},${r.time},${r.timezone},${r.MACB}`, '00/00/0000,--:--:--,-,....');
  // plaso's timestamp is in microseconds: 999 ns is still 0
  t.is(one(makeEvent({ timeNs: 999n })).date, '00/00/0000');
  t.is(one(makeEvent({ timeNs: 1000n })).date, '01/01/1970');
});

test('MACB from the description', (t) => {
  const cases: [string, string][] = [
    ['Content Modification Time', 'M...'],
    ['Start Time', '.A..'],
    ['Last Access Time', '.A..'],
    ['Creation Time', '...B'],
    ['Metadata Modification Time', '..C.'],
    ['End Time', '....'],
    ['Health Check Start Time', '....'],
    ['Content Deletion Time', 'M...'],
  ];
  for (const [desc, macb] of cases) {
    const r = one(makeEvent({ timestampDesc: desc }));
    t.is(r.MACB, macb, desc);
    t.is(r.type, desc);
  }
});

test('fs:stat events of one file at the same time merge into one M.C. line', (t) => {
  const ts = utcNs(2026, 3, 1, 10, 0, 0, 123_456_000);
  // our sort puts file.ctime before file.mtime (by kind); plaso sorts the descriptions
  const r = rows([statEvent('Metadata Modification Time', ts), statEvent('Content Modification Time', ts)]);
  t.is(r.length, 1);
  t.is(r[0]!.MACB, 'M.C.');
  t.is(r[0]!.type, 'Content Modification Time; Metadata Modification Time');
  t.is(r[0]!.source, 'FILE');
  t.is(r[0]!.sourcetype, 'File stat');
  t.is(r[0]!.inode, '1234');
  t.is(`${r[0]!.date} ${r[0]!.time}`, '03/01/2026 10:00:00');
});

test('all four file times at one microsecond: MACB, descriptions sorted', (t) => {
  const ts = utcNs(2026, 3, 1, 10, 0, 0, 5_000);
  const r = rows(['Last Access Time', 'Creation Time', 'Metadata Modification Time', 'Content Modification Time'].map((d) => statEvent(d, ts)));
  t.is(r.length, 1);
  t.is(r[0]!.MACB, 'MACB');
  t.is(r[0]!.type, 'Content Modification Time; Creation Time; Last Access Time; Metadata Modification Time');
});

test('MACB merge: same microsecond merges, another microsecond / file / data type does not', (t) => {
  const us = utcNs(2026, 3, 1, 10, 0, 0, 123_456_000);
  // same microsecond, different nanoseconds: one plaso timestamp, so one line
  t.is(rows([statEvent('Content Modification Time', us + 100n), statEvent('Metadata Modification Time', us + 900n)]).length, 1);
  // the next microsecond: two lines
  const two = rows([statEvent('Content Modification Time', us), statEvent('Metadata Modification Time', us + 1000n)]);
  t.deepEqual(two.map((x) => x.MACB), ['M...', '..C.']);
  // another file at the same time: two lines
  const files = rows([
    statEvent('Content Modification Time', us),
    statEvent('Metadata Modification Time', us, { evidence: 'containers/abc/hosts', message: 'containers/abc/hosts [x]' }),
  ]);
  t.deepEqual(files.map((x) => x.MACB), ['M...', '..C.']);
  // the same file in two evidence arguments: two lines
  t.is(rows([statEvent('Content Modification Time', us), statEvent('Metadata Modification Time', us, { evidenceSource: '/other' })]).length, 2);
  // non-fs:stat events with merge-able descriptions of one artifact stay separate
  const docker = rows([
    makeEvent({ timeNs: us, timestampDesc: 'Creation Time', dataType: 'docker:container:configuration', evidence: 'c/config.v2.json' }),
    makeEvent({ timeNs: us, timestampDesc: 'Content Modification Time', dataType: 'docker:container:configuration', evidence: 'c/config.v2.json' }),
  ]);
  t.deepEqual(docker.map((x) => x.MACB), ['...B', 'M...']);
  // the same description twice is not one line with a doubled type
  const dup = rows([statEvent('Content Modification Time', us), statEvent('Content Modification Time', us)]);
  t.deepEqual(dup.map((x) => x.type), ['Content Modification Time', 'Content Modification Time']);
});

test('MACB merge when another file\'s event sits between within the microsecond (plaso groups by event values)', (t) => {
  const us = utcNs(2026, 3, 1, 10, 0, 0, 123_456_000);
  const other = statEvent('Content Modification Time', us + 200n, { evidence: 'containers/abc/hosts', message: 'hosts', inode: '99' });
  const r = rows([statEvent('Content Modification Time', us + 100n), other, statEvent('Metadata Modification Time', us + 300n)]);
  t.deepEqual(r.map((x) => [x.MACB, x.inode]), [['M.C.', '1234'], ['M...', '99']]);
});

test('a held-back MACB line is written by end()', (t) => {
  const sink = new L2tCsvSink('UTC', null);
  t.is(sink.write(statEvent('Content Modification Time', T0)), '');
  t.is(sink.write(statEvent('Metadata Modification Time', T0)), '');
  const flushed = sink.end();
  t.is(flushed.split('\n').length, 2);
  t.true(flushed.includes(',M.C.,'));
  t.is(sink.end(), '');
  // a later event flushes the earlier microsecond
  const s2 = new L2tCsvSink('UTC', null);
  t.is(s2.write(makeEvent({ timeNs: T0 })), '');
  t.regex(s2.write(makeEvent({ timeNs: T0 + 1000n })), /^11\/29\/2026,05:46:55,UTC,M\.\.\./);
});

test('lines the fast path made join a held microsecond only up to 100 000 held events, as events do (bounded memory)', (t) => {
  const sink = new L2tCsvSink('UTC', null);
  t.is(sink.write(statEvent('Content Modification Time', T0)), '');
  const bytes = Buffer.from('a raw line\n');
  const raw = (): RawLine => new RawLine(T0 - (T0 % 1_000_000_000n), Number(T0 % 1_000_000_000n), '/ev', 'containers/c/c-json.log', 0, bytes, 0, bytes.length);
  // the stat event and 99 999 lines are held: 100 000
  for (let i = 0; i < 99_999; i++) t.is(sink.writeRaw(raw()), '');
  // the next line flushes them all and goes out after them
  const out = sink.writeRaw(raw());
  t.truthy(out);
  t.is(out!.split('\n').length - 1, 100_001);
  t.true(out!.endsWith('a raw line\n'));
  // nothing is held now: a line goes out as its bytes
  t.is(sink.writeRaw(raw()), null);
});

test('the 100 000 cap counts the lines the fast path wrote through, so file times group as on the JSON path', (t) => {
  const json = new L2tCsvSink('UTC', null);
  const fast = new L2tCsvSink('UTC', null);
  const bytes = Buffer.from('raw\n');
  let a = '';
  let b = '';
  for (let i = 0; i < 99_999; i++) {
    a += json.write(makeEvent({ timeNs: T0 }));
    b += fast.writeRaw(new RawLine(T0 - (T0 % 1_000_000_000n), Number(T0 % 1_000_000_000n), '/ev', 'containers/c/c-json.log', 0, bytes, 0, bytes.length)) ?? 'raw\n';
  }
  // the 100 000th item of the microsecond, then the 100 001st: the cap splits them on both paths
  for (const d of ['Content Modification Time', 'Metadata Modification Time']) {
    a += json.write(statEvent(d, T0));
    b += fast.write(statEvent(d, T0));
  }
  a += json.end();
  b += fast.end();
  const count = (x: string, macb: string): number => x.split('\n').filter((l) => l.includes(`,${macb},`) && !l.includes('Container Log')).length;
  t.is(count(a, 'M.C.'), 0);
  t.is(count(b, 'M.C.'), count(a, 'M.C.'));
  t.is(count(b, '..C.'), count(a, '..C.'));
  t.is(count(a, '..C.'), 1);
});

test('version is 2, user/notes are -, extra is sorted "key: value" pairs joined by "; "', (t) => {
  const r = one(makeEvent({
    containerId: 'abc', containerName: 'web', stream: 'stdout',
    fields: { zeta: 'last', alpha: 'first', my_number: 123, some_additional_foo: true, off: false, gone: null },
  }));
  t.is(r.version, '2');
  t.is(r.user, '-');
  t.is(r.notes, '-');
  t.is(r.host, '-');
  const pairs = r.extra.split('; ');
  t.deepEqual(pairs, [...pairs].sort());
  for (const p of pairs) t.regex(p, /^[a-z_]+: /);
  t.true(pairs.includes('alpha: first'));
  t.true(pairs.includes('zeta: last'));
  t.true(pairs.includes('container_id: abc'));
  t.true(pairs.includes('container_name: web'));
  t.true(pairs.includes('stream: stdout'));
  t.true(pairs.includes('time_ns: 2026-11-29T05:46:55.123456789Z'));
  t.false(pairs.some((p) => p.startsWith('gone')), 'null fields are left out');
  // plaso writes Python values: True / False
  t.true(r.extra.includes('my_number: 123; '));
  t.true(pairs.includes('some_additional_foo: True'));
  t.true(pairs.includes('off: False'));
});

test('extra is sorted as whole "key: value" strings, as plaso sorts them', (t) => {
  // "a1: x" < "a: y" because '1' (0x31) < ':' (0x3a); a key-only sort would put "a" first
  const r = one(makeEvent({ fields: { a: 'y', a1: 'x', 'a.b': 'z' } }));
  const pairs = r.extra.split('; ').filter((p) => p.startsWith('a'));
  t.deepEqual(pairs, ['a.b: z', 'a1: x', 'a: y']);
});

test('reproduces the line shape of plaso\'s l2tcsv sample (output-formats.md 2.6)', (t) => {
  // 01/22/2012,07:53:01,UTC,M...,LOG,Cron log,Content Modification Time,root,myhostname.myhost.com,
  // (root) CMD (...),Cron ran: ...,2,OS:/tmp/test/test_data/syslog/syslog,-,-,text/syslog_traditional,message_body: ...; reporter: CRON; sha256_hash: ...
  // Differences we cannot avoid: no user attribute (-), the short message is the full message, extra also
  // carries our kind/offset/time_ns keys (evidence_source only for archives: for a directory it is in filename).
  const e = makeEvent({
    timeNs: utcNs(2012, 1, 22, 7, 53, 1),
    timestampDesc: 'Content Modification Time',
    kind: 'syslog.line',
    message: 'Cron ran: touch /var/run/crond.somecheck for user: root pid: 31051',
    source: 'LOG', sourcetype: 'Cron log', dataType: 'syslog:cron:task_run', parser: 'text/syslog_traditional',
    evidenceSource: '/tmp/test/test_data/syslog/', evidenceKind: 'OS', evidence: 'syslog', offset: 0,
    fields: {
      reporter: 'CRON', message_body: '(root) CMD (touch /var/run/crond.somecheck)',
      sha256_hash: '1f0105612f6ad2d225d6bd9ba631148740e312598878adcd2b74098a3dab50c4',
    },
  });
  const out = runSink(new L2tCsvSink('UTC', 'myhostname.myhost.com'), [e]);
  t.is(out,
    'date,time,timezone,MACB,source,sourcetype,type,user,host,short,desc,version,filename,inode,notes,format,extra\n'
    + '01/22/2012,07:53:01,UTC,M...,LOG,Cron log,Content Modification Time,-,myhostname.myhost.com,'
    + 'Cron ran: touch /var/run/crond.somecheck for user: root pid: 31051,'
    + 'Cron ran: touch /var/run/crond.somecheck for user: root pid: 31051,'
    + '2,OS:/tmp/test/test_data/syslog/syslog,-,-,text/syslog_traditional,'
    + 'kind: syslog.line; '
    + 'message_body: (root) CMD (touch /var/run/crond.somecheck); offset: 0; reporter: CRON; '
    + 'sha256_hash: 1f0105612f6ad2d225d6bd9ba631148740e312598878adcd2b74098a3dab50c4; time_ns: 2012-01-22T07:53:01.000000000Z\n');
});

test('TAR evidence display name', (t) => {
  t.is(one(makeEvent({ evidenceKind: 'TAR', evidenceSource: 'img.tar', evidence: 'containers/a/a-json.log' })).filename, 'TAR:/containers/a/a-json.log');
});

test('--timezone Europe/Berlin: spring DST change on 2026-03-29 01:00 UTC', (t) => {
  const at = (ns: bigint): string => { const r = one(makeEvent({ timeNs: ns }), 'Europe/Berlin'); return `${r.date} ${r.time} ${r.timezone}`; };
  t.is(at(utcNs(2026, 3, 29, 0, 59, 59, 999_999_999)), '03/29/2026 01:59:59 CET');
  t.is(at(utcNs(2026, 3, 29, 1, 0, 0)), '03/29/2026 03:00:00 CEST');
  t.is(at(utcNs(2026, 3, 28, 23, 30, 0)), '03/29/2026 00:30:00 CET');
  t.is(at(utcNs(2026, 12, 31, 23, 30, 0)), '01/01/2027 00:30:00 CET');
});

test('--timezone Europe/Berlin: the autumn overlap on 2026-10-25 (02:xx twice)', (t) => {
  const at = (ns: bigint): string => { const r = one(makeEvent({ timeNs: ns }), 'Europe/Berlin'); return `${r.date} ${r.time} ${r.timezone}`; };
  t.is(at(utcNs(2026, 10, 25, 0, 30, 0)), '10/25/2026 02:30:00 CEST');
  t.is(at(utcNs(2026, 10, 25, 0, 59, 59)), '10/25/2026 02:59:59 CEST');
  t.is(at(utcNs(2026, 10, 25, 1, 0, 0)), '10/25/2026 02:00:00 CET');
  t.is(at(utcNs(2026, 10, 25, 1, 30, 0)), '10/25/2026 02:30:00 CET');
  t.is(at(utcNs(2026, 10, 25, 2, 0, 0)), '10/25/2026 03:00:00 CET');
});

test('--timezone America/New_York: EST / EDT around both 2026 changes', (t) => {
  const at = (ns: bigint): string => { const r = one(makeEvent({ timeNs: ns }), 'America/New_York'); return `${r.date} ${r.time} ${r.timezone}`; };
  t.is(at(utcNs(2026, 3, 8, 6, 59, 59)), '03/08/2026 01:59:59 EST');
  t.is(at(utcNs(2026, 3, 8, 7, 0, 0)), '03/08/2026 03:00:00 EDT');
  t.is(at(utcNs(2026, 11, 1, 5, 59, 59)), '11/01/2026 01:59:59 EDT');
  t.is(at(utcNs(2026, 11, 1, 6, 0, 0)), '11/01/2026 01:00:00 EST');
  t.is(at(utcNs(2026, 1, 1, 3, 0, 0)), '12/31/2025 22:00:00 EST');
});

test('a merged MACB line is rendered in the output zone', (t) => {
  const ts = utcNs(2026, 7, 1, 12, 0, 0);
  const r = rows([statEvent('Content Modification Time', ts), statEvent('Metadata Modification Time', ts)], 'Europe/Berlin');
  t.is(r.length, 1);
  t.is(`${r[0]!.date} ${r[0]!.time} ${r[0]!.timezone} ${r[0]!.MACB}`, '07/01/2026 14:00:00 CEST M.C.');
});

test('extra order is Python\'s code-point order (an astral character sorts after U+FFFD)', (t) => {
  // "a😀" vs "a\uFFFD": U+1F600 > U+FFFD for Python, but its UTF-16 unit 0xD83D < 0xFFFD
  const r = one(makeEvent({ fields: { 'a😀': 1, 'a\uFFFD': 2, 'a\uE000': 3, a0: 4 } }));
  const pairs = r.extra.split('; ').filter((p) => p.startsWith('a'));
  t.deepEqual(pairs, ['a0: 4', 'a\uE000: 3', 'a\uFFFD: 2', 'a😀: 1']);
});

test('extra is in the same order as sorting the whole "key: value" strings, for any field names (property)', async (t) => {
  const fcm = (await import('fast-check')).default;
  const { extraOf } = await import('../../src/sinks/l2tcsv.ts');
  const name = fcm.string({ unit: fcm.constantFrom('a', 'b', ':', ' ', '_', 'Z', '\u{1F600}', '\uFFFD'), minLength: 1, maxLength: 4 });
  fcm.assert(fcm.property(fcm.uniqueArray(fcm.tuple(name, fcm.string({ maxLength: 4 })), { selector: (x) => x[0], maxLength: 6 }), (pairs) => {
    const fields: Record<string, string> = Object.create(null);
    for (const [k, v] of pairs) fields[`f${k}`] = v;
    const e = makeEvent({ fields });
    const got = extraOf(e);
    // Python: sorted(...) on whole strings by code point
    const expected = got.split('; ').slice().sort((a, b) => {
      const x = Array.from(a).map((c) => c.codePointAt(0)!);
      const y = Array.from(b).map((c) => c.codePointAt(0)!);
      for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
      return x.length - y.length;
    });
    return pairs.some(([, v]) => v.includes(';') || v.includes('\n') || v.includes('\r')) || got === expected.join('; ');
  }), { numRuns: 3000 });
  t.pass();
});

test('the per-file template for plain log lines writes exactly what the general path writes (property)', async (t) => {
  const fcm = (await import('fast-check')).default;
  const text = fcm.string({ unit: fcm.constantFrom('a', ',', '\n', '\r', ' ', 'é', '\u{1F600}', ';', ':'), maxLength: 100 });
  fcm.assert(fcm.property(
    fcm.record({
      t: fcm.bigInt({ min: 1n, max: 4_000_000_000_000_000_000n }), msg: text, name: fcm.option(text, { nil: undefined }),
      stream: fcm.option(fcm.constantFrom('stdout', 'stderr'), { nil: undefined }), offset: fcm.nat(), tar: fcm.boolean(),
      zone: fcm.constantFrom('UTC', 'Europe/Berlin'), extraField: fcm.constantFrom('none', 'partial', 'rotation', 'offset_in', 'both'), rotation: fcm.integer({ min: 1, max: 99 }),
    }),
    (r) => {
      const e = makeEvent({
        timeNs: r.t, kind: 'container.log', message: r.msg, offset: r.offset, evidenceKind: r.tar ? 'TAR' : 'OS', evidenceSource: r.tar ? '/x/e,v.tar' : '/x/dir',
        evidence: 'containers/c/c-json.log', timestampDesc: 'Content Modification Time', source: 'DOCKER', sourcetype: 'Docker Container Log',
        dataType: 'docker:container:log:entry', parser: 'docker_timeline/json_file_log', containerId: 'c'.repeat(64), imageId: 'sha256:x',
        ...(r.name !== undefined ? { containerName: r.name } : {}), ...(r.stream ? { stream: r.stream } : {}),
        // a split line's field is the line's own; a rotation's number and a compressed file's offset_in are the file's (in the template)
        fields: {
          log_driver: 'json-file', time_raw: 'x',
          ...(r.extraField === 'partial' ? { partial_chunks: 2 } : {}),
          ...(r.extraField === 'offset_in' || r.extraField === 'both' ? { offset_in: 'decompressed stream' } : {}),
          ...(r.extraField === 'rotation' || r.extraField === 'both' ? { rotation: r.rotation } : {}),
        },
      });
      return runSink(new L2tCsvSink(r.zone, 'h,ost'), [e, e]) === runSink(new L2tCsvSink(r.zone, 'h,ost', false), [e, e]);
    },
  ), { numRuns: 1500 });
  t.pass();
});

test('a local date outside the years 0000-9999 is written in UTC (MM/DD/YYYY has four digits), as Timesketch\'s datetime is', (t) => {
  for (const [zone, ns, want] of [
    ['Pacific/Kiritimati', utcNs(9999, 12, 31, 23, 59, 59, 500_000_000), '12/31/9999,23:59:59,UTC,'],
    ['Etc/GMT+12', utcNs(0, 1, 1, 0, 0, 0, 500_000_000), '01/01/0000,00:00:00,UTC,'],
  ] as const) {
    const sink = new L2tCsvSink(zone, null);
    const line = sink.write(makeEvent({ timeNs: ns })) + sink.end();
    t.true(line.startsWith(want), `${zone}: ${line.slice(0, 40)}`);
    t.is(sink.zoneColumns(ns), want, 'the fast path\'s columns too');
  }
  // a date inside the range stays in the zone
  const inRange = new L2tCsvSink('Pacific/Kiritimati', null).zoneColumns(utcNs(2026, 1, 1));
  t.true(inRange.startsWith('01/01/2026,14:00:00,') && !inRange.includes('UTC'), inRange);
});
