/** Review: TarSource and tarMembers, names and xattr values as bytes. */
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TarSource } from '../../src/evidence/tar-source.ts';
import type { EvidenceEntry } from '../../src/evidence/entry.ts';
import { tarMembers } from '../../src/extractors/tar-members.ts';
import { Warnings } from '../../src/warnings.ts';
import { tarArchive, base256, type TarMember } from '../hostile/helpers/hostile.ts';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

async function walk(members: TarMember[]): Promise<{ entries: EvidenceEntry[]; warnings: Warnings }> {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'dt-review-tar-')), 'e.tar');
  writeFileSync(file, tarArchive(members));
  const warnings = new Warnings();
  const entries: EvidenceEntry[] = [];
  await new TarSource('e', file, warnings).walk({ descend: () => true, want: () => 'meta', visit: async (e) => { entries.push(e); } });
  return { entries, warnings };
}

test('xattr values: the text \\xff and the byte 0xFF do not come out the same', async (t) => {
  const { entries } = await walk([
    { name: 'literal', data: 'x', pax: { 'SCHILY.xattr.security.capability': b('\\xff') } },
    { name: 'byte', data: 'x', pax: { 'SCHILY.xattr.security.capability': b('\xff') } },
  ]);
  const cap = (n: string): string | undefined => entries.find((e) => e.path === n)?.xattrs?.['security.capability'];
  t.is(cap('byte'), '\\xff');
  t.not(cap('literal'), cap('byte'));
});

test('a pax path whose bytes cannot be read again (its pax header over 1 MiB): not a silent U+FFFD', async (t) => {
  const { entries, warnings } = await walk([
    { name: 'placeholder', data: 'x', pax: { comment: 'c'.repeat(1_200_000), path: b('bad-\xff-name') } },
  ]);
  t.is(entries.length, 1);
  const silent = entries[0]!.path.includes('\ufffd') && warnings.list.length === 0;
  t.false(silent, `${entries[0]!.path} ${JSON.stringify(warnings.list)}`);
});

test('tarMembers: a base-256 mtime tar-stream does not know is not read as 1970', async (t) => {
  const mtimeField = Buffer.alloc(12);
  // GNU base-256: 0x80 flag bit with value bits in the first byte too (tarNumber reads it; tar-stream gives null -> 0)
  base256(1767323045n).copy(mtimeField);
  mtimeField[0] = 0x81;
  const bytes = tarArchive([{ name: 'f', data: 'x', mtimeField }]);
  const headers = [];
  const bad: string[] = [];
  for await (const h of tarMembers((async function* () { yield bytes; })(), (_o, m) => bad.push(m))) headers.push(h);
  t.is(headers.length, 1);
  t.not(headers[0]!.mtime, 0n, `mtime ${headers[0]!.mtime} warnings ${bad.join('; ')}`);
});
