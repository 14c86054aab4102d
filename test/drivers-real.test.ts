import test, { type ExecutionContext } from 'ava';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { extract, FIXTURES, type Extracted } from './helpers/run.ts';
import { liveCutoff, truthContainers, truthLifecycle, truthLogLines, type TruthContainer } from './helpers/truth.ts';
import { actionWindow, engineEvents, engineLayers, labArchive, labUnpacked, removeLabCopies, type LabCopy } from './helpers/real-lab.ts';
import { isGoZero, parseRfc3339, secondsFractionToNs } from '../src/time/nanotime.ts';
import type { TimelineEvent } from '../src/events/event.ts';

/**
 * The lab's small story (make-lab.sh scenario_small) run by a real Docker 20.10.24 engine on the vfs
 * and btrfs storage drivers (fixtures/vfs-small, fixtures/btrfs-small; see their README.md), read as
 * the lab made them (.tar.gz) and unpacked, dead-box and live, and compared value by value with the
 * engine's own truth: docker ps / inspect / logs --timestamps / diff / history, its event stream and
 * debug log (layer ids), and the btrfs subvolume list.
 */
const SCENARIOS = [
  { scenario: 'vfs-small', driver: 'vfs', layerDir: 'vfs/dir' },
  { scenario: 'btrfs-small', driver: 'btrfs', layerDir: 'btrfs/subvolumes' },
] as const;
const COPIES: [string, LabCopy, boolean][] = [
  ['dead-box tar', 'dataroot', false], ['live tar', 'dataroot-live', false],
  ['dead-box unpacked', 'dataroot', true], ['live unpacked', 'dataroot-live', true],
];
/** The exec of scenario_small that made each change `docker diff` lists (actions.log ids). */
const ACTION_OF: Record<string, string> = { '/tmp': 'B04', '/tmp/dropper.sh': 'B04', '/etc/passwd': 'B05', '/etc': 'B06', '/etc/motd': 'B06', '/etc/group': 'B07' };

test.after.always(removeLabCopies);

const runs = new Map<string, Promise<Extracted>>();
const run = (scenario: string, copy: LabCopy, unpacked: boolean): Promise<Extracted> => {
  const key = `${scenario} ${copy} ${unpacked}`;
  if (!runs.has(key)) runs.set(key, extract([unpacked ? labUnpacked(scenario, copy) : labArchive(scenario, copy)]));
  return runs.get(key)!;
};
const json = (file: string): any => { const v = JSON.parse(readFileSync(file, 'utf8')); return Array.isArray(v) ? v[0] : v; };
const diffTxt = (truth: string, name: string): string[] =>
  readFileSync(path.join(truth, 'containers', `${name}.diff.txt`), 'utf8').split('\n').filter((l) => /^[ACD] \//.test(l)).sort();

for (const { scenario, driver, layerDir } of SCENARIOS) {
  const dir = path.join(FIXTURES, scenario);
  const truth = path.join(dir, 'truth');
  const actions = path.join(dir, 'actions.log');
  const containers = truthContainers(truth);
  const engine = engineEvents(truth);
  const layers = engineLayers(truth);
  const images = readdirSync(path.join(truth, 'images')).filter((f) => f.endsWith('.inspect.json')).map((f) => ({
    inspect: json(path.join(truth, 'images', f)),
    history: readFileSync(path.join(truth, 'images', f.replace('.inspect.json', '.history.jsonl')), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).reverse(),
  }));
  const truthStart = actionWindow(actions, 'T01')[0];
  const layerOf = (evidence: string): string | null => new RegExp(`(?:^|/)${layerDir}/([0-9a-f]{64}(?:-init)?)(?:/|$)`).exec(evidence)?.[1] ?? null;

  for (const [label, copy, unpacked] of COPIES) {
    test(`${scenario} (real ${driver} engine) ${label}: containers, names, images, lifecycle, every log line, layer order and drift equal the engine truth`, async (t) => {
      const { events, warnings } = await run(scenario, copy, unpacked);
      t.deepEqual(warnings.list, []);
      const cutoff = copy === 'dataroot-live' ? liveCutoff(actions) : null;
      const v = checker(t);

      // containers and names: exactly docker ps -a; the removed one leaves no event and no layer
      const ps = readFileSync(path.join(truth, 'ps-a.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      const created = events.filter((e) => e.kind === 'container.created');
      v.eq(created.map((e) => `${e.containerId} ${e.containerName}`).sort(), ps.map((p) => `${p.ID} ${p.Names}`).sort(), 'docker ps -a');
      const gone = engine.find((e) => e.status === 'destroy')!;
      const goneMount = layers.mounts.get(gone.id)!;
      v.eq(events.filter((e) => e.containerId === gone.id || e.evidence.includes(goneMount)).length, 0, `removed ${gone.name}: no event, no layer`);
      for (const c of containers) {
        const mine = events.filter((e) => e.containerId === c.id);
        v.eq([...new Set(mine.map((e) => e.containerName))], [c.name], `${c.name}: every event named`);
        checkConfig(v, c, created.find((e) => e.containerId === c.id)!, cutoff !== null);
        checkLifecycle(v, c, mine, cutoff);
        checkLogs(v, c, mine.filter((e) => e.kind === 'container.log'), cutoff);
        checkDrift(v, c, mine.filter((e) => e.kind === 'container.drift'), unpacked);
      }
      v.eq(events.filter((e) => e.kind === 'image.created').map((e) => e.imageId).sort(), images.map((i) => i.inspect.Id).sort(), 'images');
      for (const im of images) checkImage(v, im, events);
      checkLayerOrder(v, events);
      t.log(`${v.count} values equal the engine truth`);
      t.true(v.count > 100, `${v.count} values`);
    });
  }

  for (const unpacked of [false, true]) {
    test(`${scenario} (real ${driver} engine) dead-box ${unpacked ? 'unpacked: mtime' : 'tar: mtime, atime and ctime'} of every ${layerDir} entry equal the stat truth`, async (t) => {
      const { events } = await run(scenario, 'dataroot', unpacked);
      const times = new Map<string, bigint>();
      for (const e of events) if (e.parser === 'docker_timeline/layer_files') times.set(`${e.evidence} ${e.kind}`, e.timeNs);
      const rows = gunzipSync(readFileSync(path.join(truth, 'dataroot.stat.tsv.gz'))).toString('utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
      let compared = 0;
      for (const [p, , , , , , mtime, atime, ctime] of rows) {
        if (!layerOf(p!)) continue;
        const at = p!.replace(/\/$/, '');
        t.is(times.get(`${at} file.mtime`), secondsFractionToNs(mtime!)!, `${p} mtime`);
        if (!unpacked) {
          t.is(times.get(`${at} file.atime`), secondsFractionToNs(atime!)!, `${p} atime`);
          t.is(times.get(`${at} file.ctime`), secondsFractionToNs(ctime!)!, `${p} ctime`);
        }
        compared++;
      }
      t.is(compared, [...times.keys()].filter((k) => k.endsWith(' file.mtime')).length, 'no layer entry the truth does not list');
      t.log(`${compared} entries, ${unpacked ? 1 : 3} time(s) each`);
      t.true(compared > 1400, `${compared} entries`);
    });
  }

  test(`${scenario} (real ${driver} engine): every file header of the image layer's tar-split has the mtime its file has in the layer folder`, async (t) => {
    const { events } = await run(scenario, 'dataroot', false);
    const onDisk = new Map(events.filter((e) => e.kind === 'file.mtime' && e.fields.layer_role === 'image layer').map((e) => [e.fields.path, e.timeNs]));
    const headers = events.filter((e) => e.kind === 'layer.file.mtime');
    t.deepEqual(headers.map((e) => String(e.fields.path)).sort(), [...onDisk.keys()].map(String).sort());
    // but the layer folder itself: the engine made it before untarring into it, and does not set its times from the `./` header
    const differ = headers.filter((e) => onDisk.get(e.fields.path) !== e.timeNs).map((e) => e.fields.path);
    t.deepEqual(differ, ['/']);
    t.true(headers.length > 250);
  });

  /** The created event's fields against docker inspect (state: where the copy holds the state inspect saw). */
  function checkConfig(v: Checker, c: TruthContainer, e: TimelineEvent, live: boolean): void {
    const i = c.inspect;
    const want: Record<string, unknown> = {
      image_id: i.Image, image_name: i.Config.Image, container_hostname: i.Config.Hostname, log_path: i.LogPath, storage_driver: i.Driver,
      restart_policy: i.HostConfig.RestartPolicy.Name, network_mode: i.HostConfig.NetworkMode, ipc_mode: i.HostConfig.IpcMode,
      log_driver: i.HostConfig.LogConfig.Type, privileged: i.HostConfig.Privileged, auto_remove: i.HostConfig.AutoRemove, restart_count: i.RestartCount,
    };
    if (live || !i.State.Running) Object.assign(want, { running: i.State.Running, exit_code: i.State.ExitCode, pid: i.State.Pid });
    else {
      // dead box: the engine stopped it at shutdown; its last die event holds the exit code
      const die = engine.filter((x) => x.id === c.id && x.status === 'die').at(-1)!;
      Object.assign(want, { running: false, exit_code: Number(die.exitCode), pid: 0 });
    }
    for (const [k, w] of Object.entries(want)) v.eq(k === 'image_id' ? e.imageId : e.fields[k], w, `${c.name} ${k}`);
  }

  function checkLifecycle(v: Checker, c: TruthContainer, mine: TimelineEvent[], cutoff: bigint | null): void {
    const kinds: Record<string, string> = { Created: 'container.created', StartedAt: 'container.started', FinishedAt: 'container.finished' };
    const want = truthLifecycle(c).filter((w) => cutoff === null || w.ns <= cutoff).map((w) => `${kinds[w.label]} ${w.ns}`);
    const got = mine.filter((e) => Object.values(kinds).includes(e.kind)).map((e) => `${e.kind} ${e.timeNs}`);
    if (cutoff === null && c.inspect.State.Running) {
      // dead box: FinishedAt was written at shutdown (after S01), just before the engine's die event
      const fin = mine.find((e) => e.kind === 'container.finished')!;
      const die = engine.filter((x) => x.id === c.id && x.status === 'die').at(-1)!;
      v.ok(fin.timeNs > actionWindow(actions, 'S01')[0] && fin.timeNs <= die.timeNano && die.timeNano - fin.timeNs < 1_000_000_000n, `${c.name} FinishedAt at shutdown`);
      want.push(`container.finished ${fin.timeNs}`);
    }
    v.eq(got.sort(), want.sort(), `${c.name} lifecycle`);
  }

  /** Every docker logs line is one event (same ns, stream, text); any other line was logged after the truth was taken (dead box). */
  function checkLogs(v: Checker, c: TruthContainer, logs: TimelineEvent[], cutoff: bigint | null): void {
    const left = [...logs];
    for (const l of truthLogLines(truth, c.name).filter((x) => cutoff === null || x.ns <= cutoff)) {
      const at = left.findIndex((e) => e.timeNs === l.ns && e.stream === l.stream && e.message.includes(l.text));
      v.ok(at >= 0, `${c.name} ${l.stream} ${l.ns} ${l.text}`, 3);
      if (at >= 0) left.splice(at, 1);
    }
    v.eq(left.filter((e) => cutoff !== null || e.timeNs < truthStart).map((e) => e.message), [], `${c.name}: log events docker logs does not list`);
  }

  function checkDrift(v: Checker, c: TruthContainer, drift: TimelineEvent[], unpacked: boolean): void {
    v.eq(drift.map((e) => `${e.fields.change} ${e.fields.path}`).sort(), diffTxt(truth, c.name), `${c.name} drift`);
    const mount = layers.mounts.get(c.id)!;
    for (const e of drift) {
      v.eq(e.fields.storage_driver, driver, 'storage_driver');
      v.eq(e.fields.layer, `${driver}:${mount}`, `${c.name} ${e.fields.path} writable layer`);
      if (e.fields.change !== 'A') v.eq(e.fields.lower_layer, `${driver}:${mount}-init`, `${c.name} ${e.fields.path} compared with the init layer`);
      // A and C are dated by ctime, which an unpacked copy does not keep; D by its folder's mtime, which it does
      if (unpacked && e.fields.change !== 'D') continue;
      const [from, to] = actionWindow(actions, ACTION_OF[String(e.fields.path)]!);
      v.ok(e.timeNs >= from && e.timeNs <= to, `${c.name} ${e.fields.change} ${e.fields.path} at ${e.timeNs}, in action ${ACTION_OF[String(e.fields.path)]}`);
    }
    if (c.name === 'svc') {
      v.ok(/^metadata change only \(mode -rw-r--r-- -> -rwxrwxrwx/.test(String(drift.find((e) => e.fields.path === '/etc/group')!.fields.change_detail)), '/etc/group: chmod only');
      v.eq(drift.find((e) => e.fields.path === '/etc/motd')!.timestampDesc, 'Content Deletion Time', '/etc/motd');
    }
  }

  function checkImage(v: Checker, im: (typeof images)[number], events: TimelineEvent[]): void {
    const { inspect: i, history } = im;
    const mine = events.filter((e) => e.imageId === i.Id && e.kind.startsWith('image.'));
    const created = mine.filter((e) => e.kind === 'image.created');
    v.eq(created.map((e) => e.timeNs), [parseRfc3339(i.Created)!.ns], `${i.Id} Created`);
    const f = created[0]!.fields;
    v.eq([f.image_tags, f.docker_version, f.architecture, f.os, f.layers, f.comment, f.config_cmd, f.digest_matches_id],
      [i.RepoTags.join(', '), i.DockerVersion, i.Architecture, i.Os, i.RootFS.Layers.length, i.Comment, i.Config.Cmd.join(' '), true], `${i.Id} fields`);
    v.eq(mine.filter((e) => e.kind === 'image.tagged').map((e) => e.timeNs), isGoZero(i.Metadata.LastTagTime) ? [] : [parseRfc3339(i.Metadata.LastTagTime)!.ns], `${i.Id} LastTagTime`);
    const steps = mine.filter((e) => e.kind === 'image.history').sort((a, b) => Number(a.fields.step) - Number(b.fields.step));
    // docker history prints whole seconds
    v.eq(steps.map((e) => [e.timeNs / 1_000_000_000n, e.fields.comment ?? '']), history.map((h: any) => [parseRfc3339(h.CreatedAt)!.ns / 1_000_000_000n, h.Comment]), `${i.Id} history`);
    // layer order: the steps that made a layer carry RootFS.Layers in order
    v.eq(steps.filter((e) => e.fields.empty_layer === false).map((e) => e.fields.diff_id), i.RootFS.Layers, `${i.Id} diff ids in order`);
  }

  /** Layer folders: image layers are the ones the engine untarred (in order); a container sits on `<mount id>-init` and `<mount id>`, as its debug log says. */
  function checkLayerOrder(v: Checker, events: TimelineEvent[]): void {
    const steps = events.filter((e) => e.kind === 'image.history' && e.fields.empty_layer === false).sort((a, b) => Number(a.fields.step) - Number(b.fields.step));
    v.eq(steps.map((e) => e.fields.layer), layers.untarred, 'cache ids of the history steps = layers the engine untarred, in order');
    const seen = new Map<string, Set<string>>();
    for (const e of events) {
      if (e.parser !== 'docker_timeline/layer_files' || e.kind !== 'file.mtime') continue;
      const layer = layerOf(e.evidence)!;
      (seen.get(layer) ?? seen.set(layer, new Set()).get(layer)!).add(e.fields.layer_role === 'image layer' ? `image layer of ${e.imageId}` : `${e.fields.layer_role} of ${e.containerName}`);
    }
    // one image (docker import): every layer the engine untarred is its layer
    const want = layers.untarred.map((l) => `${l}: image layer of ${images[0]!.inspect.Id}`);
    for (const c of containers) want.push(`${layers.mounts.get(c.id)}-init: init layer of ${c.name}`, `${layers.mounts.get(c.id)}: writable layer of ${c.name}`);
    v.eq([...seen].map(([k, s]) => `${k}: ${[...s].join(' + ')}`).sort(), want.sort(), 'every layer folder attributed as the engine stacked it');
    if (driver === 'btrfs') {
      const subvolumes = readFileSync(path.join(truth, 'btrfs-subvolume-list.txt'), 'utf8').trim().split('\n').map((l) => l.split('/').at(-1)!);
      v.eq([...seen.keys()].sort(), subvolumes.sort(), 'the layer folders are the btrfs subvolumes');
    }
  }
}

/** Assertions that count the values they compare (an array counts its elements). */
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
