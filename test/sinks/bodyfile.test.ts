import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseString } from 'fast-csv';
import fc from 'fast-check';
import { BodyfileSink, bodyTime, escapeBodyName } from '../../src/sinks/bodyfile.js';
import { decodeBytes } from '../../src/extractors/bytes-text.js';
import { decodeBodyName } from '../../src/merge/readers/file-entry.js';
import type { TimelineEvent } from '../../src/events/event.js';
import { makeEvent, runSink, statEvent, utcNs } from './make-event.js';

const MACTIME = '/usr/bin/mactime';

interface MactimeRow { Date: string; Size: string; Type: string; Mode: string; UID: string; GID: string; Meta: string; 'File Name': string }

/** Write the events with BodyfileSink, run the real `mactime -b FILE -d -y`, parse its CSV output. */
async function mactime(events: TimelineEvent[]): Promise<{ body: string; rows: MactimeRow[] }> {
  const body = runSink(new BodyfileSink(), events);
  const dir = mkdtempSync(join(tmpdir(), 'bodyfile-test-'));
  try {
    const file = join(dir, 'timeline.body');
    writeFileSync(file, body, 'utf8');
    const out = execFileSync(MACTIME, ['-b', file, '-d', '-y'], { env: { ...process.env, TZ: 'UTC' } }).toString('utf8');
    const rows: MactimeRow[] = [];
    await new Promise<void>((resolve, reject) => {
      parseString<MactimeRow, MactimeRow>(out, { headers: true })
        .on('error', reject).on('data', (r: MactimeRow) => rows.push(r)).on('end', () => resolve());
    });
    return { body, rows };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** mactime -y's date for an event: UTC, whole seconds (truncated). Computed without src/time. */
const isoSecond = (ns: bigint): string => new Date(Number(ns / 1_000_000_000n) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The name mactime should print for an event (LF is written as the two characters `\n`, see bodyfile.ts). */
function expectedName(e: TimelineEvent): string {
  const display = `OS:/evidence/docker/${e.evidence}`;
  const name = e.stat ? display : `[docker:${e.kind}] ${e.message} (${display}@${e.offset})`;
  return name.replace(/\n/g, '\\n');
}

const NASTY_NAMES = [
  'containers/abc/pipe|in|name',
  'containers/abc/100%25 %7C done %',
  'containers/abc/tab\there',
  'containers/abc/comma,here',
  'containers/abc/"double" \'single\' quotes',
  'containers/abc/ümlaut-ß-日本-😀',
  'containers/abc/cr\rhere',
  'containers/abc/bell\x07del\x7f',
  'containers/abc/new\nline',
  'containers/abc/back\\slash, literal \\n and \\\\ two',
];

test('every line has 11 pipe-separated fields, whatever the name holds', (t) => {
  const events = [
    ...NASTY_NAMES.map((n, i) => statEvent('Content Modification Time', utcNs(2026, 1, 1, 0, 0, i), { evidence: n })),
    makeEvent({ message: 'a|b|c\nd\re%41', containerName: 'x|y' }),
  ];
  const body = runSink(new BodyfileSink(), events);
  const lines = body.split('\n');
  t.is(lines.pop(), '');
  t.is(lines.length, events.length);
  for (const l of lines) t.is(l.split('|').length, 11, l);
  t.false(/[\r\x00-\x08\x0b-\x1f\x7f]/.test(body), 'no raw control characters');
});

test('file events: MD5 0, name, inode, mode, uid, gid, size, then atime|mtime|ctime|crtime', (t) => {
  const ts = utcNs(2026, 11, 29, 5, 46, 55, 123_456_789);
  const line = (d: string): string => new BodyfileSink().write(statEvent(d, ts));
  t.is(line('Content Modification Time'), '0|OS:/evidence/docker/containers/abc/hostname|1234|-rw-r--r--|0|0|13|0|1795931215.123456789|0|0\n');
  t.is(line('Last Access Time'), '0|OS:/evidence/docker/containers/abc/hostname|1234|-rw-r--r--|0|0|13|1795931215.123456789|0|0|0\n');
  t.is(line('Metadata Modification Time'), '0|OS:/evidence/docker/containers/abc/hostname|1234|-rw-r--r--|0|0|13|0|0|1795931215.123456789|0\n');
  t.is(line('Creation Time'), '0|OS:/evidence/docker/containers/abc/hostname|1234|-rw-r--r--|0|0|13|0|0|0|1795931215.123456789\n');
});

test('times are seconds.nnnnnnnnn, signed decimals before 1970', (t) => {
  t.is(bodyTime(utcNs(2026, 11, 29, 5, 46, 55, 5)), '1795931215.000000005');
  t.is(bodyTime(0n), '0.000000000');
  t.is(bodyTime(999_999_999n), '0.999999999');
  // -1 ns is -0.000000001 s; -1.5 s must not read as -2.5 s (plaso reads this field with float())
  t.is(bodyTime(-1n), '-0.000000001');
  t.is(bodyTime(-1_500_000_000n), '-1.500000000');
  t.is(bodyTime(-86_400_000_000_000n), '-86400.000000000');
  for (const ns of [-1n, -1_500_000_000n, -123_456_789_012n, 1_764_395_215_123_456_789n]) {
    const [s, f] = bodyTime(ns).split('.');
    t.is(f!.length, 9);
    // the decimal reads back to the same nanoseconds
    const neg = s!.startsWith('-');
    const back = (BigInt(s!.replace('-', '')) * 1_000_000_000n + BigInt(f!)) * (neg ? -1n : 1n);
    t.is(back, ns);
  }
});

test('name escaping: %XX for what mactime decodes, \\n for a line feed, %5C for a backslash that is not a \\xNN escape', (t) => {
  t.is(escapeBodyName('a|b%c\td\re\x00f\x7fg'), 'a%7Cb%25c%09d%0De%00f%7Fg');
  t.is(escapeBodyName('x\ny'), 'x\\ny');
  t.is(escapeBodyName('ü,"q"'), 'ü,"q"');
  t.is(escapeBodyName('a\\b \\n \\\\ \\xff \\x5cx41'), 'a%5Cb %5Cn %5C%5C \\xff \\x5cx41');
});

test('merge reads this tool\'s bodyfile names back exactly, whatever bytes the names held', (t) => {
  const bytes = fc.array(fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(...Buffer.from('\\xn|%5C0aff'))), { maxLength: 40 });
  fc.assert(fc.property(bytes, (b) => {
    const name = decodeBytes(Uint8Array.from(b)).text;
    t.is(decodeBodyName(escapeBodyName(name)), name, JSON.stringify(name));
  }), { numRuns: 5000 });
});

test('real mactime lists every event with its name decoded back, its UTC second and its macb letter', async (t) => {
  const base = utcNs(2026, 11, 29, 5, 46, 0);
  const fileEvents = NASTY_NAMES.map((n, i) =>
    statEvent('Content Modification Time', base + BigInt(i) * 1_000_000_000n + 123_456_789n, { evidence: n }));
  const descs: [string, string][] = [
    ['Content Modification Time', 'm...'],
    ['Last Access Time', '.a..'],
    ['Start Time', '.a..'],
    ['Metadata Modification Time', '..c.'],
    ['End Time', '..c.'],
    ['Health Check Start Time', '..c.'],
    ['Creation Time', '...b'],
  ];
  const dockerEvents = descs.map(([d], i) => makeEvent({
    timeNs: base + 60_000_000_000n + BigInt(i) * 1_000_000_000n + 500_000_000n, timestampDesc: d, kind: `k${i}`,
    message: `Container "web|1", 100% done\n\tline2 ünï 😀 ${d}`, offset: 10 * i,
  }));
  const events = [...fileEvents, ...dockerEvents];
  const { rows } = await mactime(events);
  const timed = rows.filter((r) => r.Date !== '0000-00-00T00:00:00Z');
  t.is(timed.length, events.length, 'one mactime row per event (each at its own second)');
  for (const e of events) {
    const name = expectedName(e);
    const found = timed.filter((r) => r['File Name'] === name);
    t.is(found.length, 1, `listed once: ${JSON.stringify(name)}`);
    const r = found[0];
    if (!r) continue;
    t.is(r.Date, isoSecond(e.timeNs), name);
    const want = e.stat ? 'm...' : descs.find(([d]) => d === e.timestampDesc)![1];
    t.is(r.Type, want, `${e.timestampDesc}: ${name}`);
    if (e.stat) {
      t.is(r.Meta, '1234');
      t.is(r.Mode, '-rw-r--r--');
      t.is(`${r.UID}/${r.GID}/${r.Size}`, '0/0/13');
    }
  }
  // names that need no LF escape come back exactly
  const exact = fileEvents.filter((e) => !e.evidence.includes('\n')).map((e) => `OS:/evidence/docker/${e.evidence}`);
  for (const n of exact) t.true(timed.some((r) => r['File Name'] === n), n);
});

test('mactime truncates .999999999 to the second (does not round up)', async (t) => {
  const e = statEvent('Content Modification Time', utcNs(2026, 12, 31, 23, 59, 59, 999_999_999));
  const { body, rows } = await mactime([e]);
  t.true(body.includes('|1798761599.999999999|'));
  const timed = rows.filter((r) => r.Date !== '0000-00-00T00:00:00Z');
  t.deepEqual(timed.map((r) => [r.Date, r.Type]), [['2026-12-31T23:59:59Z', 'm...']]);
});

test('times of one file in the same second share one mactime row (m.c.)', async (t) => {
  const ts = utcNs(2026, 6, 1, 12, 0, 0);
  const { rows } = await mactime([
    statEvent('Content Modification Time', ts + 1n),
    statEvent('Metadata Modification Time', ts + 999_000_000n),
    statEvent('Creation Time', ts + 1_000_000_000n),
  ]);
  const timed = rows.filter((r) => r.Date !== '0000-00-00T00:00:00Z');
  t.deepEqual(timed.map((r) => [r.Date, r.Type]), [['2026-06-01T12:00:00Z', 'm.c.'], ['2026-06-01T12:00:01Z', '...b']]);
});

test('a time before 1970 does not break the sink or mactime', async (t) => {
  const old = statEvent('Content Modification Time', -1_500_000_000n, { evidence: 'containers/abc/old' });
  const fine = statEvent('Content Modification Time', utcNs(2026, 1, 1), { evidence: 'containers/abc/new' });
  const line = new BodyfileSink().write(old);
  t.is(line, '0|OS:/evidence/docker/containers/abc/old|1234|-rw-r--r--|0|0|13|0|-1.500000000|0|0\n');
  const { rows } = await mactime([old, fine]);
  // mactime cannot show a negative time (it drops it); the other event is still listed
  t.true(rows.some((r) => r['File Name'] === 'OS:/evidence/docker/containers/abc/new' && r.Date === '2026-01-01T00:00:00Z'));
});
