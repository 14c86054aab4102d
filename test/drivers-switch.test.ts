import test, { type ExecutionContext } from 'ava';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { extract, FIXTURES, type Extracted } from './helpers/run.ts';
import { truthContainers, truthLifecycle, truthLogLines, type TruthContainer } from './helpers/truth.ts';
import { actionWindow, engineEvents, engineLayers, labArchive, labUnpacked, removeLabCopies } from './helpers/real-lab.ts';
import { isGoZero, parseRfc3339, secondsFractionToNs } from '../src/time/nanotime.ts';
import type { TimelineEvent } from '../src/events/event.ts';

/**
 * A storage-driver switch made by a real Docker 20.10.24 engine (fixtures/driver-switch, see its
 * README.md): one data root used by an overlay2 engine (phase 1), then, after a clean stop, by a vfs
 * engine on the same --data-root (phase 2). The vfs engine does not load phase 1's containers, so
 * each phase's truth (docker ps / inspect / logs --timestamps / diff / history, its event stream and
 * debug log) was taken while its own engine ran. Both phases are compared value by value with it.
 */
const SCN = 'driver-switch';
const DIR = path.join(FIXTURES, SCN);
const ACTIONS = path.join(DIR, 'actions.log');
// the action that last changed each path `docker diff` lists (on overlay2 the chmod of /etc/group copies it up into /etc: its ctime)
const PHASES = [
  { driver: 'overlay2', truth: path.join(DIR, 'truth/phase1-overlay2'), truthAt: 'T01', stop: 'S01', layerDir: 'overlay2', actions: { '/tmp': 'B04', '/tmp/dropper.sh': 'B04', '/etc/passwd': 'B05', '/etc/motd': 'B06', '/etc/group': 'B07', '/etc': 'B07' } as Record<string, string> },
  { driver: 'vfs', truth: path.join(DIR, 'truth/phase2-vfs'), truthAt: 'T03', stop: 'S03', layerDir: 'vfs/dir', actions: { '/tmp': 'V04', '/tmp/after.sh': 'V04', '/etc': 'V05', '/etc/motd': 'V05', '/etc/passwd': 'V06' } as Record<string, string> },
].map((p) => {
  const json = (f: string): any => { const v = JSON.parse(readFileSync(f, 'utf8')); return Array.isArray(v) ? v[0] : v; };
  const images = readdirSync(path.join(p.truth, 'images')).filter((f) => f.endsWith('.inspect.json')).map((f) => ({
    inspect: json(path.join(p.truth, 'images', f)),
    history: readFileSync(path.join(p.truth, 'images', f.replace('.inspect.json', '.history.jsonl')), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).reverse(),
  }));
  const containers = truthContainers(p.truth);
  // layer folders: overlay2's docker inspect names them (GraphDriver.Data); vfs's only its debug log does
  const folder = (dir: string): string => /\/overlay2\/([0-9a-f]{64})\/diff$/.exec(dir)![1]!;
  const vfs = p.driver === 'vfs' ? engineLayers(p.truth) : null;
  const mounts = new Map(containers.map((c) => [c.id, vfs ? vfs.mounts.get(c.id)! : folder(c.inspect.GraphDriver.Data.UpperDir)]));
  const imageLayers = vfs ? vfs.untarred : [folder(images[0]!.inspect.GraphDriver.Data.UpperDir)];
  return { ...p, images, containers, mounts, imageLayers, engine: engineEvents(p.truth) };
});

test.after.always(removeLabCopies);
const runs = new Map<boolean, Promise<Extracted>>();
const run = (unpacked: boolean): Promise<Extracted> => {
  if (!runs.has(unpacked)) runs.set(unpacked, extract([unpacked ? labUnpacked(SCN, 'dataroot') : labArchive(SCN, 'dataroot')]));
  return runs.get(unpacked)!;
};

for (const unpacked of [false, true]) {
  test(`driver switch (real 20.10 engine, overlay2 then vfs on one data root), ${unpacked ? 'unpacked' : 'tar'}: both image stores read; every container's lifecycle, logs, drift and storage_driver equal its engine's truth`, async (t) => {
    const { events, warnings } = await run(unpacked);
    t.deepEqual(warnings.list, []);
    const v = checker(t);
    const created = events.filter((e) => e.kind === 'container.created');
    const ps = PHASES.flatMap((p) => readFileSync(path.join(p.truth, 'ps-a.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)));
    v.eq(created.map((e) => `${e.containerId} ${e.containerName}`).sort(), ps.map((p) => `${p.ID} ${p.Names}`).sort(), 'docker ps -a of both phases');
    for (const p of PHASES) {
      for (const c of p.containers) {
        const mine = events.filter((e) => e.containerId === c.id);
        v.eq([...new Set(mine.map((e) => e.containerName))], [c.name], `${c.name}: every event named`);
        // the README's claim: each container's events carry the driver it used
        v.eq([...new Set(mine.filter((e) => 'storage_driver' in e.fields).map((e) => e.fields.storage_driver))], [c.inspect.Driver], `${c.name}: storage_driver`);
        v.eq(c.inspect.Driver, p.driver, `${c.name} ran on ${p.driver}`);
        checkCreated(v, p, c, created.find((e) => e.containerId === c.id)!);
        checkLifecycle(v, p, c, mine);
        checkLogs(v, p, c, mine.filter((e) => e.kind === 'container.log'));
        checkDrift(v, p, c, mine.filter((e) => e.kind === 'container.drift'), unpacked);
      }
      for (const im of p.images) checkImage(v, p, im, events);
    }
    v.eq(events.filter((e) => e.kind === 'image.created').map((e) => `${e.imageId} ${e.fields.storage_driver}`).sort(),
      PHASES.flatMap((p) => p.images.map((i) => `${i.inspect.Id} ${p.driver}`)).sort(), 'one image per image store, each from its own driver');
    checkLayers(v, events);
    t.log(`${v.count} values equal the engine truth`);
    t.true(v.count > 150, `${v.count} values`);
  });
}

test('driver switch, dead-box tar: mtime, atime and ctime of every overlay2/ and vfs/dir/ entry equal the stat truth', async (t) => {
  const { events } = await run(false);
  const times = new Map<string, bigint>();
  for (const e of events) if (e.parser === 'docker_timeline/layer_files') times.set(`${e.evidence} ${e.kind}`, e.timeNs);
  const rows = gunzipSync(readFileSync(path.join(DIR, 'truth/dataroot.stat.tsv.gz'))).toString('utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
  let compared = 0;
  const drivers = new Set<string>();
  for (const [p, , , , , , mtime, atime, ctime] of rows) {
    const m = /^docker\/(overlay2\/[0-9a-f]{64}(?:-init)?\/diff|vfs\/dir\/[0-9a-f]{64}(?:-init)?)(?:\/|$)/.exec(p!);
    if (!m) continue;
    drivers.add(m[1]!.split('/')[0]!);
    const at = p!.replace(/\/$/, '');
    t.is(times.get(`${at} file.mtime`), secondsFractionToNs(mtime!)!, `${p} mtime`);
    t.is(times.get(`${at} file.atime`), secondsFractionToNs(atime!)!, `${p} atime`);
    t.is(times.get(`${at} file.ctime`), secondsFractionToNs(ctime!)!, `${p} ctime`);
    compared++;
  }
  t.deepEqual([...drivers].sort(), ['overlay2', 'vfs']);
  t.is(compared, [...times.keys()].filter((k) => k.endsWith(' file.mtime')).length, 'no layer entry the truth does not list');
  t.true(compared > 1500, `${compared} entries`);
});

type Phase = (typeof PHASES)[number];

function checkCreated(v: Checker, p: Phase, c: TruthContainer, e: TimelineEvent): void {
  const i = c.inspect;
  // dead box: a container running at truth time was stopped at that phase's shutdown; its last die event holds the exit code
  const die = p.engine.filter((x) => x.id === c.id && x.status === 'die').at(-1)!;
  const want: Record<string, unknown> = {
    image_id: i.Image, image_name: i.Config.Image, storage_driver: i.Driver, log_path: i.LogPath, restart_count: i.RestartCount,
    running: false, pid: 0, exit_code: i.State.Running ? Number(die.exitCode) : i.State.ExitCode,
  };
  for (const [k, w] of Object.entries(want)) v.eq(k === 'image_id' ? e.imageId : e.fields[k], w, `${c.name} ${k}`);
}

function checkLifecycle(v: Checker, p: Phase, c: TruthContainer, mine: TimelineEvent[]): void {
  const kinds: Record<string, string> = { Created: 'container.created', StartedAt: 'container.started', FinishedAt: 'container.finished' };
  const want = truthLifecycle(c).map((w) => `${kinds[w.label]} ${w.ns}`);
  const got = mine.filter((e) => Object.values(kinds).includes(e.kind)).map((e) => `${e.kind} ${e.timeNs}`);
  if (c.inspect.State.Running) {
    // FinishedAt was written at that phase's shutdown, just before the engine's die event
    const fin = mine.find((e) => e.kind === 'container.finished')!;
    const die = p.engine.filter((x) => x.id === c.id && x.status === 'die').at(-1)!;
    v.ok(fin.timeNs > actionWindow(ACTIONS, p.stop)[0] && fin.timeNs <= die.timeNano && die.timeNano - fin.timeNs < 1_000_000_000n, `${c.name} FinishedAt at the ${p.driver} engine's shutdown`);
    want.push(`container.finished ${fin.timeNs}`);
  }
  v.eq(got.sort(), want.sort(), `${c.name} lifecycle`);
}

/** Every docker logs line is one event (same ns, stream, text); other lines came after that phase's truth was taken. */
function checkLogs(v: Checker, p: Phase, c: TruthContainer, logs: TimelineEvent[]): void {
  const left = [...logs];
  for (const l of truthLogLines(p.truth, c.name)) {
    const at = left.findIndex((e) => e.timeNs === l.ns && e.stream === l.stream && e.message.includes(l.text));
    v.ok(at >= 0, `${c.name} ${l.stream} ${l.ns} ${l.text}`, 3);
    if (at >= 0) left.splice(at, 1);
  }
  v.eq(left.filter((e) => e.timeNs < actionWindow(ACTIONS, p.truthAt)[0]).map((e) => e.message), [], `${c.name}: log events docker logs does not list`);
}

function checkDrift(v: Checker, p: Phase, c: TruthContainer, drift: TimelineEvent[], unpacked: boolean): void {
  const diff = readFileSync(path.join(p.truth, 'containers', `${c.name}.diff.txt`), 'utf8').split('\n').filter((l) => /^[ACD] \//.test(l)).sort();
  v.eq(drift.map((e) => `${e.fields.change} ${e.fields.path}`).sort(), diff, `${c.name} drift`);
  const mount = p.mounts.get(c.id)!;
  for (const e of drift) {
    v.eq(e.fields.layer, `${p.driver}:${mount}`, `${c.name} ${e.fields.path} writable layer`);
    if (unpacked && e.fields.change !== 'D') continue; // A and C are dated by ctime, which an unpacked copy does not keep
    const [from, to] = actionWindow(ACTIONS, p.actions[String(e.fields.path)]!);
    v.ok(e.timeNs >= from && e.timeNs <= to, `${c.name} ${e.fields.change} ${e.fields.path} at ${e.timeNs}, in action ${p.actions[String(e.fields.path)]}`);
  }
}

function checkImage(v: Checker, p: Phase, im: Phase['images'][number], events: TimelineEvent[]): void {
  const { inspect: i, history } = im;
  const mine = events.filter((e) => e.imageId === i.Id && e.kind.startsWith('image.'));
  v.eq(mine.filter((e) => e.kind === 'image.created').map((e) => [e.timeNs, e.fields.image_tags, e.fields.storage_driver, e.fields.comment, e.fields.docker_version]),
    [[parseRfc3339(i.Created)!.ns, i.RepoTags.join(', '), p.driver, i.Comment, i.DockerVersion]], `${i.Id} Created, tags, driver`);
  v.eq(mine.filter((e) => e.kind === 'image.tagged').map((e) => e.timeNs), isGoZero(i.Metadata.LastTagTime) ? [] : [parseRfc3339(i.Metadata.LastTagTime)!.ns], `${i.Id} LastTagTime`);
  const steps = mine.filter((e) => e.kind === 'image.history').sort((a, b) => Number(a.fields.step) - Number(b.fields.step));
  v.eq(steps.map((e) => [e.timeNs / 1_000_000_000n, e.fields.comment ?? '', e.fields.created_by ?? '', e.fields.storage_driver]),
    history.map((h: any) => [parseRfc3339(h.CreatedAt)!.ns / 1_000_000_000n, h.Comment, h.CreatedBy, p.driver]), `${i.Id} history`);
  v.eq(steps.filter((e) => e.fields.empty_layer === false).map((e) => e.fields.diff_id), i.RootFS.Layers, `${i.Id} diff ids in order`);
  // the layer each step made is this driver's copy (its cache id), not the other driver's with the same chain id
  v.eq(steps.filter((e) => e.fields.empty_layer === false).map((e) => e.fields.layer), p.imageLayers, `${i.Id} layer = ${p.driver} cache id`);
}

/** Every layer folder and every tar-split header attributed to its own driver's image or container. */
function checkLayers(v: Checker, events: TimelineEvent[]): void {
  const want: string[] = [];
  for (const p of PHASES) {
    for (const l of p.imageLayers) want.push(`${p.layerDir}/${l}: image layer of ${p.images[0]!.inspect.Id}`);
    for (const c of p.containers) want.push(`${p.layerDir}/${p.mounts.get(c.id)}-init: init layer of ${c.name}`, `${p.layerDir}/${p.mounts.get(c.id)}: writable layer of ${c.name}`);
  }
  const seen = new Map<string, Set<string>>();
  for (const e of events) {
    if (e.parser !== 'docker_timeline/layer_files' || e.kind !== 'file.mtime') continue;
    const folder = /(?:^|\/)(overlay2\/[0-9a-f]{64}(?:-init)?|vfs\/dir\/[0-9a-f]{64}(?:-init)?)(?:\/|$)/.exec(e.evidence)![1]!;
    (seen.get(folder) ?? seen.set(folder, new Set()).get(folder)!).add(e.fields.layer_role === 'image layer' ? `image layer of ${e.imageId}` : `${e.fields.layer_role} of ${e.containerName}`);
  }
  v.eq([...seen].map(([k, s]) => `${k}: ${[...s].join(' + ')}`).sort(), want.sort(), 'every layer folder attributed as its engine stacked it');
  // the same rootfs imported twice: one chain id, a layer in each driver's layerdb, each with its own cache id and image
  const chains = new Set(events.filter((e) => e.kind === 'image.history' && e.fields.empty_layer === false).map((e) => e.fields.chain_id));
  v.eq(chains.size, 1, 'one chain id in both image stores');
  for (const p of PHASES) {
    const headers = events.filter((e) => e.kind === 'layer.file.mtime' && e.evidence.startsWith(`docker/image/${p.driver}/layerdb/`));
    v.ok(headers.length > 250, `${p.driver} tar-split headers`);
    v.eq([...new Set(headers.map((e) => `${e.fields.layer} ${e.fields.images}`))], [`${p.imageLayers[0]} ${p.images[0]!.inspect.RepoTags.join(', ')}`], `${p.driver} tar-split: its own cache id and image`);
  }
}

interface Checker {
  eq(got: unknown, want: unknown, what: string): void;
  ok(cond: boolean, what: string, values?: number): void;
  readonly count: number;
}
function checker(t: ExecutionContext): Checker {
  let count = 0;
  return {
    eq(got, want, what) { t.deepEqual(got, want, what); count += Array.isArray(want) ? Math.max(want.length, 1) : 1; },
    ok(cond, what, values = 1) { t.true(cond, what); count += values; },
    get count() { return count; },
  };
}
