import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { ID, configV2, makeTree } from '../helpers/dataroot.ts';
import { extract } from '../helpers/run.ts';
import { cliIn, csvRows, tarArchive, tmp } from './helpers/hostile.ts';

const c = `containers/${ID}`;
const L = 'c'.repeat(26);
const b = (s: string): Buffer => Buffer.from(s, 'latin1');

/** File names as bytes, and the evidence path text each must come out as (invalid UTF-8 as `\xNN`). */
const NAMES: [Buffer, string][] = [
  [b('bad-\xff\xfe-name'), 'bad-\\xff\\xfe-name'],
  [Buffer.from([0x63, 0xc3, 0x28]), 'c\\xc3('], // a lead byte without its continuation
  [Buffer.from([0xed, 0xa0, 0x80, 0x2e, 0x6c, 0x6f, 0x67]), '\\xed\\xa0\\x80.log'], // an encoded surrogate is not UTF-8
  [Buffer.from('pipe|name'), 'pipe|name'],
  [Buffer.from('comma,name'), 'comma,name'],
  [Buffer.from('quote"name\''), 'quote"name\''],
  [Buffer.from('new\nline'), 'new\nline'],
  [Buffer.from('tab\tname'), 'tab\tname'],
  [Buffer.from('cr\rname'), 'cr\rname'],
  [Buffer.from('pct%41%7Cname'), 'pct%41%7Cname'], // mactime %-decodes: must come back as written
  [Buffer.from('ümlaut-日本-😀'), 'ümlaut-日本-😀'],
  [Buffer.from('line\u2028sep'), 'line\u2028sep'], // a JavaScript line terminator
];

function localRecord(timeNano: bigint, line: Buffer): Buffer {
  const w = new BinaryWriter();
  w.tag(1, 2).string('stdout').tag(2, 0).int64(timeNano).tag(3, 2).bytes(line);
  const body = Buffer.from(w.finish());
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body, len]);
}

const JSON_LOG = Buffer.concat([
  // a raw invalid byte inside the JSON string (Docker itself writes U+FFFD; a forged file may not):
  // kept as \xe9 and flagged, as in a local-driver log
  b('{"log":"caf\xe9 |,\\"\\t tab\\n","stream":"stdout","time":"2026-01-02T03:04:06Z"}\n'),
  Buffer.from('{"log":"lone \\ud800 surrogate\\n","stream":"stdout","time":"2026-01-02T03:04:07Z"}\n'),
  Buffer.from('{"log":"two\\nlines, \\"quoted\\"\\r\\n","stream":"stderr","time":"2026-01-02T03:04:08Z"}\n'),
]);
const LOCAL_LOG = Buffer.concat([localRecord(1767323049000000000n, b('bytes \xe9\x80 kept |,"\t')), localRecord(1767323050000000000n, Buffer.from('valid ünï'))]);

/** A data root whose container folder and layer hold every name above, a folder with a bad name, and a symlink to bytes. */
function directoryEvidence(): string {
  const root = makeTree({
    [`${c}/config.v2.json`]: configV2(ID, { Name: '/we|ird,"name"\ttab' }),
    [`${c}/${ID}-json.log`]: JSON_LOG,
    [`${c}/local-logs/container.log`]: LOCAL_LOG,
  });
  const diff = path.join(root, 'overlay2', L, 'diff');
  mkdirSync(diff, { recursive: true });
  for (const dir of [path.join(root, c), diff]) {
    for (const [name] of NAMES) writeFileSync(Buffer.concat([Buffer.from(dir + '/'), name]), 'x');
  }
  const badDir = Buffer.concat([Buffer.from(diff + '/'), b('dir-\xff')]);
  mkdirSync(badDir);
  writeFileSync(Buffer.concat([badDir, Buffer.from('/inner')]), 'y');
  symlinkSync(b('/target-\xfe|x'), path.join(diff, 'link'));
  return root;
}

const expectedPaths = (prefix: string): string[] => [
  ...NAMES.map(([, text]) => `${prefix}${c}/${text}`),
  ...NAMES.map(([, text]) => `${prefix}overlay2/${L}/diff/${text}`),
  `${prefix}overlay2/${L}/diff/dir-\\xff`,
  `${prefix}overlay2/${L}/diff/dir-\\xff/inner`,
  `${prefix}overlay2/${L}/diff/link`,
];

const messages = [
  '[we|ird,"name"\ttab] stdout: caf\\xe9 |,"\t tab',
  '[we|ird,"name"\ttab] stdout: lone \ud800 surrogate',
  '[we|ird,"name"\ttab] stderr: two\nlines, "quoted"\r',
  '[we|ird,"name"\ttab] stdout: bytes \\xe9\\x80 kept |,"\t',
  '[we|ird,"name"\ttab] stdout: valid ünï',
];

test('invalid UTF-8 and | , " newline tab CR in names and log text (directory evidence): every event comes out, names kept exactly', async (t) => {
  const root = directoryEvidence();
  const { events, warnings } = await extract([root]);
  t.deepEqual(warnings.list, []);
  const paths = new Set(events.filter((e) => e.kind === 'file.mtime').map((e) => e.evidence));
  for (const p of expectedPaths('')) t.true(paths.has(p), JSON.stringify(p));
  t.is(events.find((e) => e.evidence === `overlay2/${L}/diff/link` && e.kind === 'file.mtime')?.fields.link_target, '/target-\\xfe|x');
  t.is(events.find((e) => e.evidence === `overlay2/${L}/diff/dir-\\xff/inner`)?.fields.path, '/dir-\\xff/inner');
  const logs = events.filter((e) => e.kind === 'container.log');
  t.deepEqual(logs.map((e) => e.message), messages);
  t.is(logs[0]!.fields.attr_bytes_escaped, 'invalid UTF-8 bytes written as \\xNN (and a \\ before xNN as \\x5c)');
  t.is(logs[3]!.fields.attr_bytes_escaped, 'invalid UTF-8 bytes written as \\xNN (and a \\ before xNN as \\x5c)');
  t.is(logs[4]!.fields.attr_bytes_escaped, undefined);
});

test('the same names as tar members (evidence read in place): kept exactly, like a directory', async (t) => {
  const dir = tmp('names-tar');
  const archive = path.join(dir, 'evidence.tar');
  writeFileSync(archive, tarArchive([
    { name: `docker/${c}/config.v2.json`, data: configV2(ID, { Name: '/we|ird,"name"\ttab' }) },
    { name: `docker/${c}/${ID}-json.log`, data: JSON_LOG },
    { name: `docker/${c}/local-logs/container.log`, data: LOCAL_LOG },
    ...NAMES.flatMap(([name]) => [
      { name: Buffer.concat([Buffer.from(`docker/${c}/`), name]), data: 'x' },
      { name: Buffer.concat([Buffer.from(`docker/overlay2/${L}/diff/`), name]), data: 'x' },
    ]),
    { name: b(`docker/overlay2/${L}/diff/dir-\xff/`), type: '5' },
    { name: b(`docker/overlay2/${L}/diff/dir-\xff/inner`), data: 'y' },
    { name: `docker/overlay2/${L}/diff/link`, type: '2', linkname: '/target-|x' },
  ]));
  const { events, warnings } = await extract([archive]);
  t.deepEqual(warnings.list, []);
  const paths = new Set(events.filter((e) => e.kind === 'file.mtime').map((e) => e.evidence));
  for (const p of expectedPaths('docker/')) t.true(paths.has(p), JSON.stringify(p));
  t.deepEqual(events.filter((e) => e.kind === 'container.log').map((e) => e.message), messages);
});

interface MactimeRow { Date: string; 'File Name': string }

test('every output stays well-formed with such names and text: L2T 17 columns, Timesketch CSV parses back, jsonl parses, mactime reads the bodyfile', async (t) => {
  const root = directoryEvidence();
  const dir = tmp('names-out');
  const out = (f: string): string => path.join(dir, f);
  for (const [file, format] of [['t.jsonl', 'jsonl'], ['t.l2t.csv', 'l2tcsv'], ['t.ts.csv', 'timesketch-csv'], ['t.ts.jsonl', 'timesketch-jsonl'], ['t.body', 'bodyfile']]) {
    const r = await cliIn(['extract', root, '-f', format!, '-o', out(file!), '-q']);
    t.is(r.code, 0, `${format}: ${r.stderr}`);
    // every output is valid UTF-8 (invalid bytes of the evidence were escaped, lone surrogates replaced)
    t.notThrows(() => new TextDecoder('utf-8', { fatal: true }).decode(readFileSync(out(file!))), file);
  }

  const jsonl = readFileSync(out('t.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { evidence: string; message: string; kind: string });
  const n = jsonl.length;
  for (const p of expectedPaths('')) t.true(jsonl.some((o) => o.evidence === p), JSON.stringify(p));
  t.deepEqual(jsonl.filter((o) => o.kind === 'container.log').map((o) => o.message), messages);

  // L2T: no quoting, so each line must hold exactly 16 commas and no line break of its own
  const l2t = readFileSync(out('t.l2t.csv'), 'utf8');
  t.false(l2t.includes('\r'));
  const l2tLines = l2t.trimEnd().split('\n');
  for (const l of l2tLines) t.is((l.match(/,/g) ?? []).length, 16, l);
  for (const [, text] of NAMES) {
    const clean = `${c}/${text}`.replace(/[\r\n]/g, '').replace(/,/g, ' ');
    t.true(l2tLines.some((l) => l.split(',')[12] === `OS:${root}/${clean}`), clean);
  }

  // Timesketch CSV: one row per event, every row as wide as the header, paths back exactly
  const [header, ...rows] = await csvRows(readFileSync(out('t.ts.csv'), 'utf8'));
  t.is(rows.length, n);
  t.true(rows.every((r) => r.length === header!.length));
  const ev = header!.indexOf('evidence');
  t.deepEqual(rows.map((r) => r[ev]).sort(), jsonl.map((o) => o.evidence).sort());
  t.is(readFileSync(out('t.ts.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l)).length, n);

  // bodyfile: 11 fields a line, and Debian's mactime lists every file name as written (LF as the two characters \n)
  const body = readFileSync(out('t.body'), 'utf8').trimEnd().split('\n');
  t.is(body.length, n);
  t.true(body.every((l) => l.split('|').length === 11));
  const macOut = execFileSync('mactime', ['-b', out('t.body'), '-d', '-y'], { env: { ...process.env, TZ: 'UTC' } }).toString('utf8');
  const macRows = (await csvRows(macOut)).slice(1).map((r) => ({ Date: r[0]!, 'File Name': r[7]! }) as MactimeRow);
  const names = new Set(macRows.filter((r) => r.Date !== '0000-00-00T00:00:00Z').map((r) => r['File Name']));
  for (const p of expectedPaths('')) {
    const name = `OS:${root}/${p}${p.endsWith('/link') ? ' -> /target-\\xfe|x' : ''}`.replace(/\n/g, '\\n');
    t.true(names.has(name), JSON.stringify(name));
  }
});

/**
 * Formerly a bug, now fixed and kept as a regression test (src/extractors/layer-layout.ts LAYOUTS, and src/extractors/volume-files.ts VOLUME_PATH):
 * the path patterns end in `(.+)` / `(\/.*)`, and `.` does not match a line terminator (LF, CR, U+2028,
 * U+2029), so a layer or volume file whose name holds one matches no extractor and is dropped without a warning (a
 * container can name a file so on purpose). Fix there: `[^]` (or the `s` flag) instead of `.` in those
 * patterns.
 */
test('layer and volume files whose names hold a line terminator come out', async (t) => {
  const names = ['evil\nname', 'cr\rname', 'ls\u2028name'];
  const root = makeTree({
    [`${c}/config.v2.json`]: configV2(ID),
    ...Object.fromEntries(names.flatMap((n) => [[`overlay2/${L}/diff/etc/cron.d/${n}`, '* * * * * root sh\n'], [`volumes/data/_data/${n}`, 'x']])),
  });
  const { events } = await extract([root]);
  const paths = new Set(events.filter((e) => e.kind === 'file.mtime').map((e) => e.evidence));
  for (const n of names) {
    t.true(paths.has(`overlay2/${L}/diff/etc/cron.d/${n}`), JSON.stringify(n));
    t.true(paths.has(`volumes/data/_data/${n}`), JSON.stringify(n));
  }
});
