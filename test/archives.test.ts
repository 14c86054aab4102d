import test from 'ava';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { extract, FIXTURES } from './helpers/run.ts';
import { parseRfc3339 } from '../src/time/nanotime.ts';

const SAVE = path.join(FIXTURES, 'docker-save');
const collapse = (s: string): string => s.split(/\s+/).filter(Boolean).join(' ');

test('docker save (legacy layout): image Created and every history step equal docker inspect / docker history', async (t) => {
  const { events, warnings } = await extract([path.join(SAVE, 'image-save.tar.gz')]);
  t.deepEqual(warnings.list, []);
  for (const name of ['webapp-1.0', 'webapp-backdoored']) {
    const raw = JSON.parse(readFileSync(path.join(SAVE, 'truth', `${name}.inspect.json`), 'utf8'));
    const inspect = Array.isArray(raw) ? raw[0] : raw;
    const history = readFileSync(path.join(SAVE, 'truth', `${name}.history.jsonl`), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).reverse();
    const mine = events.filter((e) => e.imageId === inspect.Id);
    const created = mine.filter((e) => e.kind === 'image.created');
    t.deepEqual(created.map((e) => e.timeNs), [parseRfc3339(inspect.Created)!.ns], name);
    t.is(created[0]!.fields.image_tags, [...inspect.RepoTags].sort().join(', '));
    t.is(created[0]!.fields.storage_driver, 'docker-save');
    const steps = mine.filter((e) => e.kind === 'image.history').sort((a, b) => Number(a.fields.step) - Number(b.fields.step));
    t.is(steps.length, history.length);
    history.forEach((h: { CreatedAt: string; CreatedBy: string; Comment: string }, i: number) => {
      t.is(steps[i]!.timeNs / 1_000_000_000n, parseRfc3339(h.CreatedAt)!.ns / 1_000_000_000n);
      const by = h.CreatedBy.replace(/^\/bin\/sh -c #\(nop\) /, '');
      if (by) t.true(collapse(steps[i]!.message).includes(collapse(by).slice(0, 40)), steps[i]!.message);
    });
  }
});

test('docker save: the layer tars are read in place; each file names the image step that made it; the commit layer holds the whiteouts', async (t) => {
  const { events } = await extract([path.join(SAVE, 'image-save.tar.gz')]);
  const files = events.filter((e) => e.kind === 'layer.file.mtime');
  t.true(files.length > 300);
  t.true(files.every((e) => e.parser === 'docker_timeline/layer_tar' && /^[0-9a-f]{64}\/layer\.tar$/.test(e.evidence)));
  const motd = files.find((e) => e.fields.whiteout_target === '/etc/motd')!;
  t.regex(String(motd.fields.images), /webapp:backdoored/);
  t.regex(motd.message, /whiteout: deletes \/etc\/motd/);
  const startSh = files.find((e) => e.fields.path === '/usr/local/bin/start.sh')!;
  t.regex(startSh.message, /made by .* step 7: \/bin\/sh -c #\(nop\) COPY file:/);
  const tool = files.find((e) => e.fields.path === '/tmp/.x/tool.sh')!;
  t.is(tool.timeNs, 1577836800000000000n, 'the timestomped mtime travels with the image');
});

test('docker export: every member of the flattened file system, with its in-container path and the mtime tar lists', async (t) => {
  const { events, warnings } = await extract([path.join(FIXTURES, 'docker-export/container-export.tar.gz')]);
  t.deepEqual(warnings.list, []);
  const listing = readFileSync(path.join(FIXTURES, 'docker-export/truth/tar-listing.txt'), 'utf8').trim().split('\n');
  const byPath = new Map(events.filter((e) => e.kind === 'file.mtime').map((e) => [e.fields.path, e]));
  t.is(byPath.size, listing.length);
  for (const line of listing) {
    const m = /^\S+ \S+ +\S+ (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) (.+?)(?: -> .*)?$/.exec(line)!;
    const p = `/${m[2]!.replace(/\/$/, '')}`;
    const e = byPath.get(p);
    t.truthy(e, p);
    t.is(e!.timeNs / 1_000_000_000n, parseRfc3339(`${m[1]!.replace(' ', 'T')}Z`)!.ns / 1_000_000_000n, p);
  }
  t.is(byPath.get('/tmp/.x/tool.sh')!.timeNs, 1577836800000000000n);
});

/** Rebuild the lab's docker save as an OCI image layout (blobs by digest, index.json, no manifest.json); one layer gzip-compressed. */
async function ociFromSave(): Promise<string> {
  const { createReadStream, mkdirSync, mkdtempSync, writeFileSync } = await import('node:fs');
  const { createGunzip, gzipSync } = await import('node:zlib');
  const { createHash } = await import('node:crypto');
  const { tmpdir } = await import('node:os');
  const tar = (await import('tar-stream')).default;
  const { execFileSync } = await import('node:child_process');
  const members = new Map<string, Buffer>();
  const ex = tar.extract();
  createReadStream(path.join(SAVE, 'image-save.tar.gz')).pipe(createGunzip()).pipe(ex);
  for await (const m of ex) {
    const chunks: Buffer[] = [];
    for await (const c of m) chunks.push(c as Buffer);
    if (m.header.type === 'file') members.set(m.header.name, Buffer.concat(chunks));
    else if (m.header.type === 'symlink') members.set(m.header.name, Buffer.from(`->${path.posix.join(path.posix.dirname(m.header.name), m.header.linkname!)}`));
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'dt-oci-'));
  mkdirSync(path.join(dir, 'blobs/sha256'), { recursive: true });
  const put = (b: Buffer): string => {
    const d = createHash('sha256').update(b).digest('hex');
    writeFileSync(path.join(dir, 'blobs/sha256', d), b);
    return d;
  };
  const resolve = (name: string): Buffer => {
    const b = members.get(name)!;
    return b.toString('utf8', 0, 2) === '->' ? resolve(b.toString('utf8').slice(2)) : b;
  };
  const manifest = JSON.parse(members.get('manifest.json')!.toString()) as { Config: string; RepoTags: string[]; Layers: string[] }[];
  const index = { schemaVersion: 2, manifests: [] as unknown[] };
  manifest.forEach((img, n) => {
    const config = put(members.get(img.Config)!);
    const layers = img.Layers.map((l, i) => {
      const gz = n === 0 && i === 0;
      // the commit layer of webapp:backdoored (its whiteouts) compressed with Debian's zstd
      const zst = n === 1 && i === img.Layers.length - 1;
      const blob = gz ? gzipSync(resolve(l)) : zst ? execFileSync('zstd', ['-q', '-c'], { input: resolve(l) }) : resolve(l);
      return { mediaType: gz ? 'application/vnd.oci.image.layer.v1.tar+gzip' : zst ? 'application/vnd.oci.image.layer.v1.tar+zstd' : 'application/vnd.oci.image.layer.v1.tar', digest: `sha256:${put(blob)}`, size: blob.length };
    });
    const m = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${config}` }, layers }));
    index.manifests.push({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${put(m)}`, size: m.length, annotations: { 'io.containerd.image.name': `docker.io/library/${img.RepoTags[0]}`, 'org.opencontainers.image.ref.name': img.RepoTags[0]!.split(':')[1] } });
  });
  writeFileSync(path.join(dir, 'index.json'), JSON.stringify(index));
  writeFileSync(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  return dir;
}

test('an OCI image layout (index.json, blobs; no manifest.json; gzip and zstd layers), as a directory and as a tar: images, history and layer files', async (t) => {
  const dir = await ociFromSave();
  const { execFileSync } = await import('node:child_process');
  const tarFile = `${dir}.tar`;
  execFileSync('tar', ['-cf', tarFile, '-C', dir, '.']);
  for (const evidence of [dir, tarFile]) {
    const { events, warnings } = await extract([evidence]);
    t.deepEqual(warnings.list, [], evidence);
    const created = events.filter((e) => e.kind === 'image.created');
    t.deepEqual(created.map((e) => e.fields.image_tags).sort(), ['docker.io/library/webapp:1.0', 'docker.io/library/webapp:backdoored']);
    t.is(events.filter((e) => e.kind === 'image.history').length, 25);
    const files = events.filter((e) => e.kind === 'layer.file.mtime');
    t.true(files.length > 300, `${files.length}`);
    t.regex(String(files.find((e) => e.fields.whiteout_target === '/etc/motd')!.fields.images), /webapp:backdoored/, 'read from the zstd layer');
    t.true(files.some((e) => e.fields.path === '/bin/busybox'), 'the gzip-compressed base layer is read');
  }
});
