import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { paxRecord } from '../../src/evidence/pax-raw.ts';
import { extract } from '../helpers/run.ts';
import { ID, configV2 } from '../helpers/dataroot.ts';
import { tarArchive } from '../hostile/helpers/hostile.ts';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

test('pax records are read as bytes: the value of a key, any bytes in it, the last record of a key winning', (t) => {
  const data = Buffer.concat([b('19 path=a\xffb/c\xfe.txt\n'), b('13 mtime=1.5\n'), b('14 path=final\n')]);
  t.deepEqual(paxRecord(data, 'path'), b('final'));
  t.deepEqual(paxRecord(data.subarray(0, 19), 'path'), b('a\xffb/c\xfe.txt'));
  t.deepEqual(paxRecord(data, 'mtime'), b('1.5'));
  t.is(paxRecord(data, 'linkpath'), null);
  t.is(paxRecord(b('99 path=cut short\n'), 'path'), null, 'a record longer than the data is not read');
});

test('tar evidence: a pax path and linkpath holding bytes that are not UTF-8 keep them as \\xNN (tar-stream would give U+FFFD)', async (t) => {
  const c = `containers/${ID}`;
  const long = 'd'.repeat(110);
  const name = Buffer.concat([b(`docker/${c}/`), b(long), b('/bad-\xff-\xe9-name')]);
  const archive = path.join(mkdtempSync(path.join(tmpdir(), 'dt-pax-')), 'evidence.tar');
  writeFileSync(archive, tarArchive([
    { name: `docker/${c}/config.v2.json`, data: configV2(ID) },
    { name, data: 'x' },
    { name: `docker/${c}/link`, type: '2', linkname: 'placeholder', pax: { linkpath: b('/target-\xfe') } },
    { name: `docker/${c}/\u00e9t\u00e9-${long}`, data: 'valid UTF-8 pax path' },
  ]));
  const { events } = await extract([archive]);
  const paths = events.filter((e) => e.kind === 'file.mtime').map((e) => e.evidence);
  t.true(paths.includes(`docker/${c}/${long}/bad-\\xff-\\xe9-name`), paths.join('\n'));
  t.true(paths.includes(`docker/${c}/\u00e9t\u00e9-${long}`));
  t.false(paths.some((p) => p.includes('\ufffd')));
  t.is(events.find((e) => e.evidence === `docker/${c}/link`)?.fields.link_target, '/target-\\xfe');
});

test('an inner layer tar (tarMembers): pax path and linkpath bytes that are not UTF-8 kept as \\xNN', async (t) => {
  const { tarMembers } = await import('../../src/extractors/tar-members.ts');
  const long = 'e'.repeat(120);
  const inner = tarArchive([
    { name: Buffer.concat([b(`usr/${long}/x-\xff`)]), data: 'x' },
    { name: 'usr/link', type: '2', linkname: 'placeholder', pax: { linkpath: b('../t-\xfe\xe9') } },
  ]);
  const headers = [];
  for await (const h of tarMembers((async function* () { yield inner; })())) headers.push(h);
  t.is(headers[0]!.name, `usr/${long}/x-\\xff`);
  t.is(headers[1]!.linkname, '../t-\\xfe\\xe9');
});

test('an inner layer tar: a binary xattr (security.capability) keeps its exact bytes (base64)', async (t) => {
  const { tarMembers } = await import('../../src/extractors/tar-members.ts');
  const cap = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x00, 0x30, 0x00, 0x00, 0xff, 0xfe, 0x80]);
  const inner = tarArchive([{ name: 'usr/bin/ping', data: 'x', pax: { 'SCHILY.xattr.security.capability': cap, 'SCHILY.xattr.user.note': 'caf\u00e9' } }]);
  const headers = [];
  for await (const h of tarMembers((async function* () { yield inner; })())) headers.push(h);
  t.is(headers[0]!.xattrs['security.capability'], cap.toString('base64'));
  t.is(headers[0]!.xattrs['user.note'], Buffer.from('caf\u00e9').toString('base64'));
});

test('tar evidence: two binary file capabilities that differ only in bytes that are not UTF-8 stay apart (a copied-up file\'s new capability is a change)', async (t) => {
  const { TarSource } = await import('../../src/evidence/tar-source.ts');
  const { Warnings } = await import('../../src/warnings.ts');
  const archive = path.join(mkdtempSync(path.join(tmpdir(), 'dt-cap-')), 'caps.tar');
  writeFileSync(archive, tarArchive([
    { name: 'a', data: 'x', pax: { 'SCHILY.xattr.security.capability': Buffer.from([1, 0, 0, 2, 0xff, 0, 0, 0]) } },
    { name: 'b', data: 'x', pax: { 'SCHILY.xattr.security.capability': Buffer.from([1, 0, 0, 2, 0xfe, 0, 0, 0]) } },
  ]));
  const caps: string[] = [];
  await new TarSource('caps.tar', archive, new Warnings()).walk({
    descend: () => true, want: () => 'meta',
    visit: async (e) => { caps.push(e.xattrs?.['security.capability'] ?? ''); },
  });
  t.is(caps.length, 2);
  t.not(caps[0], caps[1]);
  t.true(caps[0]!.includes('\\xff'));
});

test('an inner layer tar: a pax value whose raw bytes can no longer be read (a pax header over 1 MiB) is a bad-value warning, never a silent U+FFFD', async (t) => {
  const { tarMembers } = await import('../../src/extractors/tar-members.ts');
  const inner = tarArchive([{ name: 'usr/x', data: 'x', pax: { path: b('usr/a\xffb'), 'SCHILY.xattr.user.big': Buffer.alloc(1_200_000, 0x41) } }]);
  const said: [number, string][] = [];
  const headers = [];
  for await (const h of tarMembers((async function* () { for (let i = 0; i < inner.length; i += 65536) yield inner.subarray(i, i + 65536); })(), undefined, (n, m) => said.push([n, m]))) headers.push(h);
  t.is(headers.length, 1);
  t.is(headers[0]!.name, 'usr/a\ufffdb');
  t.is(said.length, 1);
  t.is(said[0]![0], 0);
  t.regex(said[0]![1], /pax path .*U\+FFFD/);
});
