import test from 'ava';
import { Readable } from 'node:stream';
import { saveLayer } from '../../src/extractors/save-layer.ts';
import type { ArtifactRef } from '../../src/extractors/extractor.ts';
import { tarArchive } from '../hostile/helpers/hostile.ts';

test('a layer tar member whose time is not one: listed without it, and a bad-time warning naming the member (was silent)', async (t) => {
  const layer = tarArchive([
    { name: 'etc/ok', data: 'x', mtime: 1_700_000_000 },
    { name: 'etc/bad', data: 'y', pax: { mtime: 'not-a-time' } },
  ]);
  const ref = { root: '', rel: 'abc/layer.tar', entry: { path: 'abc/layer.tar' } } as unknown as ArtifactRef;
  const records: { header: { name: string } }[] = [];
  const warnings: { kind: string; offset: number; message: string }[] = [];
  await saveLayer.extract(ref, Readable.from([layer]), { record: (r) => records.push(r as never), warn: (w) => warnings.push(w) });
  t.deepEqual(records.map((r) => r.header.name), ['etc/ok', 'etc/bad']);
  t.is(warnings.length, 1);
  t.like(warnings[0], { kind: 'bad-time', offset: 1 });
  t.regex(warnings[0]!.message, /member #1: pax mtime "not-a-time" of "etc\/bad"/);
});
