import test from 'ava';
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import path from 'node:path';
import tar from 'tar-stream';
import { extract, INCIDENT } from '../helpers/run.ts';
import { secondsFractionToNs } from '../../src/time/nanotime.ts';
import { whiteoutOf } from '../../src/extractors/tar-split.timemap.ts';
import { tarNumber, parsePax } from '../../src/extractors/tar-header.ts';

const DEAD = path.join(INCIDENT, 'dataroot.tar.gz');

/** mtime (ns) of every entry under docker/overlay2/<cache>/diff/ in the data-root archive. */
async function diffMtimes(): Promise<Map<string, bigint>> {
  const out = new Map<string, bigint>();
  const ex = tar.extract();
  createReadStream(DEAD).pipe(createGunzip()).pipe(ex);
  for await (const entry of ex) {
    const m = /^docker\/overlay2\/([0-9a-f]{64})\/diff\/(.+?)\/?$/.exec(entry.header.name);
    if (m) {
      const pax = entry.header.pax as Record<string, string> | undefined;
      out.set(`${m[1]}:/${m[2]}`, pax?.mtime ? secondsFractionToNs(pax.mtime)! : BigInt(entry.header.mtime!.getTime()) * 1_000_000n);
    }
    entry.resume();
  }
  return out;
}

test('every layer file header rebuilt from tar-split has the mtime the extracted layer file has on disk', async (t) => {
  const [{ events, warnings }, disk] = await Promise.all([extract([DEAD]), diffMtimes()]);
  t.deepEqual(warnings.list, []);
  const files = events.filter((e) => e.kind === 'layer.file.mtime');
  t.true(files.length > 300, `${files.length} layer entries`);
  let compared = 0;
  for (const e of files) {
    if (e.fields.whiteout) continue; // image-layer whiteouts become 0/0 devices with the extraction time
    const key = `${e.fields.layer}:${e.fields.path}`;
    const onDisk = disk.get(key);
    if (onDisk === undefined) continue; // a path the layer's own diff does not hold (e.g. '/')
    t.is(e.timeNs, onDisk, key);
    compared++;
  }
  t.true(compared > 300, `${compared} compared`);
});

test('the committed image layer carries the whiteouts and the opaque directory of the attack on web', async (t) => {
  const { events } = await extract([DEAD]);
  const wh = events.filter((e) => e.kind === 'layer.file.mtime' && e.fields.whiteout).map((e) => `${e.fields.whiteout} ${e.fields.whiteout_target}`).sort();
  t.deepEqual(wh, ['opaque /var/www/static', 'whiteout /etc/motd', 'whiteout /var/www/robots.txt']);
  const motd = events.find((e) => e.fields.whiteout_target === '/etc/motd')!;
  t.regex(String(motd.fields.images), /webapp:backdoored/);
});

test('whiteout names and tar numbers', (t) => {
  t.deepEqual(whiteoutOf('etc/.wh.motd'), { kind: 'whiteout', target: '/etc/motd' });
  t.deepEqual(whiteoutOf('var/www/static/.wh..wh..opq'), { kind: 'opaque', target: '/var/www/static' });
  t.is(whiteoutOf('.wh..wh.aufs'), null);
  t.is(whiteoutOf('etc/passwd'), null);
  const b = Buffer.alloc(12);
  b.write('00000001750\0', 'latin1');
  t.is(tarNumber(b, 0, 12), 0o1750);
  const big = Buffer.from([0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00]);
  t.is(tarNumber(big, 0, 12), 256);
  t.deepEqual([...parsePax(Buffer.from('30 mtime=1704067200.123456789\n'))].map(([k, v]) => [k, v.toString()]), [['mtime', '1704067200.123456789']]);
});
