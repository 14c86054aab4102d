/**
 * Issue 6: the `\xNN` escape of names that are not UTF-8 was ambiguous: a name holding the four
 * characters `\xff` came out the same as one holding the byte 0xFF. A literal backslash before `xHH`
 * is now written `\x5c`, so the two differ in every output and each reads back to its bytes.
 */
import test from 'ava';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { ID, configV2, makeTree } from '../helpers/dataroot.ts';
import { extract } from '../helpers/run.ts';
import { cliIn, csvRows, tarArchive, tmp } from './helpers/hostile.ts';
import { unescapeBytes } from '../../src/extractors/bytes-text.ts';

const L = 'e'.repeat(26);
const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const LITERAL = b('a\\xffb'); // the four characters \ x f f
const BYTE = b('a\xffb'); // the byte 0xFF
/** A long literal name: in an archive it is written as a pax `path` record (UTF-8 text, decoded by tar-stream). */
const LONG = b(`${'n'.repeat(100)}\\x41`);
const TEXT = new Map<Buffer, string>([[LITERAL, 'a\\x5cxffb'], [BYTE, 'a\\xffb'], [LONG, `${'n'.repeat(100)}\\x5cx41`]]);

function localRecord(timeNano: bigint, line: Buffer): Buffer {
  const w = new BinaryWriter();
  w.tag(1, 2).string('stdout').tag(2, 0).int64(timeNano).tag(3, 2).bytes(line);
  const body = Buffer.from(w.finish());
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body, len]);
}
const LOCAL_LOG = Buffer.concat([localRecord(1767323049000000000n, b('printf \\xff')), localRecord(1767323050000000000n, b('printf \\xff \xff'))]);

function directoryEvidence(): string {
  const root = makeTree({ [`containers/${ID}/config.v2.json`]: configV2(ID), [`containers/${ID}/local-logs/container.log`]: LOCAL_LOG });
  const diff = path.join(root, 'overlay2', L, 'diff');
  mkdirSync(diff, { recursive: true });
  for (const name of TEXT.keys()) writeFileSync(Buffer.concat([Buffer.from(`${diff}/`), name]), 'x');
  symlinkSync(b('/t/\\xfe'), path.join(diff, 'link-literal'));
  symlinkSync(b('/t/\xfe'), path.join(diff, 'link-byte'));
  return root;
}

const layerPaths = (prefix: string): string[] => [...TEXT.values()].map((t) => `${prefix}overlay2/${L}/diff/${t}`);

test('directory evidence: a name holding the text \\xff and one holding the byte 0xFF come out different, each reading back to its bytes', async (t) => {
  const { events, warnings } = await extract([directoryEvidence()]);
  t.deepEqual(warnings.list, []);
  const files = events.filter((e) => e.kind === 'file.mtime' && e.fields.layer === L);
  for (const [name, text] of TEXT) {
    const e = files.find((f) => f.evidence === `overlay2/${L}/diff/${text}`);
    t.truthy(e, text);
    t.deepEqual(unescapeBytes(String(e!.fields.path)), Buffer.concat([Buffer.from('/'), name]));
  }
  t.is(files.find((e) => e.fields.path === '/link-literal')?.fields.link_target, '/t/\\x5cxfe');
  t.is(files.find((e) => e.fields.path === '/link-byte')?.fields.link_target, '/t/\\xfe');
  const logs = events.filter((e) => e.kind === 'container.log');
  t.deepEqual(logs.map((e) => [e.message, e.fields.attr_bytes_escaped !== undefined]), [
    ['[test] stdout: printf \\xff', false], // valid text: as it is (no flag)
    ['[test] stdout: printf \\x5cxff \\xff', true], // escaped, flagged: reads back exactly
  ]);
  t.deepEqual(unescapeBytes(logs[1]!.message.slice('[test] stdout: '.length)), b('printf \\xff \xff'));
});

test('tar evidence (names in ustar fields and in a pax path record): the same texts as a directory', async (t) => {
  const dir = tmp('escape-tar');
  const archive = path.join(dir, 'evidence.tar');
  writeFileSync(archive, tarArchive([
    { name: `docker/containers/${ID}/config.v2.json`, data: configV2(ID) },
    ...[...TEXT.keys()].map((name) => ({ name: Buffer.concat([Buffer.from(`docker/overlay2/${L}/diff/`), name]), data: 'x' })),
    { name: `docker/overlay2/${L}/diff/link-literal`, type: '2', linkname: '/t/\\xfe' },
  ]));
  const { events, warnings } = await extract([archive]);
  t.deepEqual(warnings.list, []);
  const paths = new Set(events.filter((e) => e.kind === 'file.mtime').map((e) => e.evidence));
  for (const p of layerPaths('docker/')) t.true(paths.has(p), p);
  t.is(events.find((e) => e.fields.path === '/link-literal')?.fields.link_target, '/t/\\x5cxfe');
});

test('every output keeps the two apart (jsonl, L2T, Timesketch CSV, bodyfile), and merge reads this tool\'s bodyfile back to the same texts', async (t) => {
  const root = directoryEvidence();
  const dir = tmp('escape-out');
  const out = (f: string): string => path.join(dir, f);
  for (const [file, format] of [['t.jsonl', 'jsonl'], ['t.l2t.csv', 'l2tcsv'], ['t.ts.csv', 'timesketch-csv'], ['t.body', 'bodyfile']] as const) {
    const r = await cliIn(['extract', root, '-f', format, '-o', out(file), '-q']);
    t.is(r.code, 0, `${format}: ${r.stderr}`);
  }
  const want = layerPaths('');
  const jsonl = readFileSync(out('t.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { evidence: string });
  for (const p of want) t.true(jsonl.some((o) => o.evidence === p), `jsonl ${p}`);
  const l2t = readFileSync(out('t.l2t.csv'), 'utf8').trimEnd().split('\n').map((l) => l.split(',')[12]);
  for (const p of want) t.true(l2t.includes(`OS:${root}/${p}`), `l2tcsv ${p}`);
  const [header, ...rows] = await csvRows(readFileSync(out('t.ts.csv'), 'utf8'));
  const ev = header!.indexOf('evidence');
  for (const p of want) t.true(rows.some((r) => r[ev] === p), `timesketch ${p}`);
  const body = readFileSync(out('t.body'), 'utf8').split('\n').map((l) => l.split('|')[1]);
  for (const p of want) t.true(body.includes(`OS:${root}/${p}`), `bodyfile ${p}`);

  const merged = await cliIn(['merge', out('t.body'), '-f', 'jsonl', '-o', out('m.jsonl')]);
  t.is(merged.code, 0, merged.stderr);
  const rowsBack = readFileSync(out('m.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { filename?: string; symbolic_link_target?: string });
  const names = new Set(rowsBack.map((o) => o.filename));
  for (const p of want) t.true(names.has(`OS:${root}/${p}`), `merged ${p}`);
  const target = (link: string): string | undefined => rowsBack.find((o) => o.filename === `OS:${root}/overlay2/${L}/diff/${link}`)?.symbolic_link_target;
  t.is(target('link-literal'), '/t/\\x5cxfe');
  t.is(target('link-byte'), '/t/\\xfe');
});
