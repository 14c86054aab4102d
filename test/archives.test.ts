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
