import test from 'ava';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { extract, INCIDENT, unpack, type Extracted } from '../helpers/run.ts';
import { parseRfc3339, isGoZero } from '../../src/time/nanotime.ts';
import { makeTree } from '../helpers/dataroot.ts';
import type { TimelineEvent } from '../../src/events/event.ts';

const IMAGES = path.join(INCIDENT, 'truth/images');
const DEAD = path.join(INCIDENT, 'dataroot.tar.gz');
const truth = readdirSync(IMAGES).filter((f) => f.endsWith('.inspect.json')).map((f) => {
  const raw = JSON.parse(readFileSync(path.join(IMAGES, f), 'utf8'));
  const inspect = Array.isArray(raw) ? raw[0] : raw;
  const history = readFileSync(path.join(IMAGES, f.replace('.inspect.json', '.history.jsonl')), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  return { inspect, history: history.reverse() as { CreatedAt: string; CreatedBy: string; Comment: string }[] };
});

const NOP = '/bin/sh -c #(nop) ';
const collapse = (s: string): string => s.split(/\s+/).filter(Boolean).join(' ');

let cached: Promise<Extracted> | null = null;
const run = (): Promise<Extracted> => (cached ??= extract([DEAD]));

function check(t: import('ava').ExecutionContext, events: TimelineEvent[]): void {
  t.is(truth.length, 14);
  for (const { inspect, history } of truth) {
    const mine = events.filter((e) => e.imageId === inspect.Id);
    const created = mine.filter((e) => e.kind === 'image.created');
    t.deepEqual(created.map((e) => e.timeNs), [parseRfc3339(inspect.Created)!.ns], `${inspect.Id} Created`);
    t.is(created[0]!.fields.image_tags ?? null, inspect.RepoTags.length ? [...inspect.RepoTags].sort().join(', ') : null);
    const steps = mine.filter((e) => e.kind === 'image.history').sort((a, b) => Number(a.fields.step) - Number(b.fields.step));
    t.is(steps.length, history.length, `${inspect.Id} history length`);
    history.forEach((h, i) => {
      const e = steps[i]!;
      // docker history prints whole seconds
      t.is(e.timeNs / 1_000_000_000n, parseRfc3339(h.CreatedAt)!.ns / 1_000_000_000n, `${inspect.Id} step ${i + 1} second`);
      const by = h.CreatedBy.startsWith(NOP) ? h.CreatedBy.slice(NOP.length) : h.CreatedBy;
      if (by) t.true(collapse(e.message).includes(collapse(by).slice(0, 40)), `${inspect.Id} step ${i + 1}: ${e.message}`);
      else t.is(e.fields.comment, h.Comment);
    });
    const tagged = mine.filter((e) => e.kind === 'image.tagged');
    const lastTag = inspect.Metadata.LastTagTime as string;
    t.deepEqual(tagged.map((e) => e.timeNs), isGoZero(lastTag) ? [] : [parseRfc3339(lastTag)!.ns], `${inspect.Id} LastTagTime`);
    t.is(created[0]!.fields.parent_image ?? '', inspect.Parent);
  }
}

test('image Created, every history step and LastTagTime match docker inspect / docker history (tar)', async (t) => {
  check(t, (await run()).events);
});

test('the same from the unpacked data root (directory walk of image/)', async (t) => {
  check(t, (await extract([unpack(DEAD, ['docker/image'])])).events);
});

test('each non-empty history step names the layer (cache id) it made, through the chain id in layerdb', async (t) => {
  const { events } = await run();
  const web = events.filter((e) => e.kind === 'image.history' && e.fields.image_tags === 'webapp:1.0, webapp:latest');
  const layered = web.filter((e) => e.fields.empty_layer === false);
  t.is(layered.length, 6);
  t.true(layered.every((e) => typeof e.fields.layer === 'string' && /^[0-9a-f]{64}$/.test(String(e.fields.layer))));
  t.is(new Set(layered.map((e) => e.fields.layer)).size, 6);
  t.true(web.filter((e) => e.fields.empty_layer === true).every((e) => e.fields.layer === null && /\[empty layer\]/.test(e.message)));
});

test('the image config digest is checked against its id', async (t) => {
  const { events, warnings } = await run();
  t.true(events.filter((e) => e.kind === 'image.created').every((e) => e.fields.digest_matches_id === true));
  t.false(warnings.list.some((w) => w.kind === 'digest-mismatch'));
});

test('an altered image config (sha256 no longer its name) is flagged, and still read', async (t) => {
  const id = 'e'.repeat(64);
  const root = makeTree({ [`image/overlay2/imagedb/content/sha256/${id}`]: JSON.stringify({ created: '2026-01-02T03:04:05Z', history: [{ created: '2026-01-02T03:04:05Z', created_by: 'RUN evil' }], rootfs: { type: 'layers', diff_ids: [] } }) });
  const { events, warnings } = await extract([root]);
  t.deepEqual(warnings.list.map((w) => w.kind), ['digest-mismatch']);
  const created = events.find((e) => e.kind === 'image.created')!;
  t.is(created.fields.digest_matches_id, false);
  t.regex(created.message, /DIGEST DOES NOT MATCH/);
  t.regex(events.find((e) => e.kind === 'image.history')!.message, /RUN evil \[layer not in rootfs\]/);
});
