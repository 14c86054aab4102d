import type { ExecutionContext } from 'ava';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { TimelineEvent } from '../../src/events/event.ts';
import { isGoZero, parseRfc3339 } from '../../src/time/nanotime.ts';
import { actionWindow } from './real-lab.ts';
import { containerStack, type Story } from './rebuilt-truth.ts';
import { liveCutoff, truthLifecycle, truthLogLines, type TruthContainer } from './truth.ts';

/**
 * Value-by-value checks of a timeline made from a rebuilt data root (another driver's layout of a
 * real engine's story) against that engine's truth: containers and names (docker ps / inspect),
 * config fields, lifecycle, every docker logs line, each container's drift (docker diff) and the
 * layers it was computed from, images and history steps, the layer each step made (in the engine's
 * order) and who every layer folder belongs to; every event that names a storage driver names the
 * rebuilt one. Each assertion counts the values it compares.
 */
export interface Rebuilt {
  story: Story;
  driver: 'aufs' | 'zfs';
  /** Layer folder id of an evidence path in the rebuilt root (null: not in a layer folder). */
  layerOf(evidence: string): string | null;
  /** Layers hold only their changes (aufs) rather than full copies (zfs). */
  diffLayers: boolean;
  live: boolean;
  unpacked: boolean;
  /** Dead box: the stat-truth path of a rebuilt layer entry (null for one the rebuild made), to date drift by. */
  statTime?: (layer: string, inLayer: string, which: 'mtime' | 'ctime') => bigint | undefined;
}

export interface Checker {
  eq(got: unknown, want: unknown, what: string): void;
  ok(cond: boolean, what: string, values?: number): void;
  readonly count: number;
}

export function checker(t: ExecutionContext): Checker {
  let count = 0;
  return {
    eq(got, want, what) { t.deepEqual(got, want, what); count += Array.isArray(want) ? Math.max(want.length, 1) : 1; },
    ok(cond, what, values = 1) { t.true(cond, what); count += values; },
    get count() { return count; },
  };
}

const KINDS: Record<string, string> = { Created: 'container.created', StartedAt: 'container.started', FinishedAt: 'container.finished' };

export function checkTimeline(v: Checker, r: Rebuilt, events: TimelineEvent[]): void {
  const { story: s } = r;
  const cutoff = r.live ? liveCutoff(s.actions) : null;
  const created = events.filter((e) => e.kind === 'container.created');
  v.eq(created.map((e) => `${e.containerId} ${e.containerName}`).sort(), s.containers.map((c) => `${c.id} ${c.name}`).sort(), 'containers: docker ps -a');
  for (const c of s.containers) {
    const mine = events.filter((e) => e.containerId === c.id);
    v.eq([...new Set(mine.map((e) => e.containerName))], [c.name], `${c.name}: every event named`);
    checkConfig(v, r, c, created.find((e) => e.containerId === c.id)!);
    checkLifecycle(v, s, c, mine, cutoff);
    checkLogs(v, s, c, mine.filter((e) => e.kind === 'container.log'), cutoff);
    checkDrift(v, r, c, mine.filter((e) => e.kind === 'container.drift'));
  }
  v.eq(events.filter((e) => e.kind === 'image.created').map((e) => e.imageId).sort(), s.images.map((i) => i.inspect.Id).sort(), 'images');
  for (const im of s.images) checkImage(v, r, im, events);
  checkLayers(v, r, events);
  const named = events.filter((e) => e.fields.storage_driver !== undefined);
  v.eq([...new Set(named.map((e) => e.fields.storage_driver))], [r.driver], 'storage_driver of every event that has one');
  v.ok(['container.created', 'container.drift', 'file.mtime', 'image.history'].every((k) => named.some((e) => e.kind === k)), 'storage_driver on lifecycle, drift, layer file and image events', 4);
}

function checkConfig(v: Checker, r: Rebuilt, c: TruthContainer, e: TimelineEvent): void {
  const i = c.inspect;
  const rp = i.HostConfig.RestartPolicy;
  const want: Record<string, unknown> = {
    image_id: i.Image, image_name: i.Config.Image, container_hostname: i.Config.Hostname, log_path: i.LogPath || null, storage_driver: r.driver,
    restart_policy: rp.Name ? `${rp.Name}${rp.MaximumRetryCount ? `:${rp.MaximumRetryCount}` : ''}` : null, network_mode: i.HostConfig.NetworkMode || null,
    ipc_mode: i.HostConfig.IpcMode || null, log_driver: i.HostConfig.LogConfig.Type, privileged: i.HostConfig.Privileged, auto_remove: i.HostConfig.AutoRemove,
    restart_count: i.RestartCount,
  };
  // the dead-box copy was taken after the engine stopped the running ones
  if (r.live || !i.State.Running) Object.assign(want, { running: i.State.Running, exit_code: i.State.ExitCode, pid: i.State.Pid });
  else Object.assign(want, { running: false, pid: 0 });
  for (const [k, w] of Object.entries(want)) v.eq(k === 'image_id' ? e.imageId : e.fields[k], w, `${c.name} ${k}`);
}

function checkLifecycle(v: Checker, s: Story, c: TruthContainer, mine: TimelineEvent[], cutoff: bigint | null): void {
  const want = truthLifecycle(c).filter((w) => cutoff === null || w.ns <= cutoff).map((w) => `${KINDS[w.label]} ${w.ns}`);
  const got = mine.filter((e) => Object.values(KINDS).includes(e.kind)).map((e) => `${e.kind} ${e.timeNs}`);
  if (cutoff === null && c.inspect.State.Running) {
    // dead box: FinishedAt was written when the engine stopped it, between S01 and S02
    const fin = mine.find((e) => e.kind === 'container.finished');
    v.ok(!!fin && fin.timeNs > actionWindow(s.actions, 'S01')[0] && fin.timeNs < actionWindow(s.actions, 'S02')[0], `${c.name} FinishedAt at shutdown`);
    if (fin) want.push(`container.finished ${fin.timeNs}`);
  }
  v.eq(got.sort(), want.sort(), `${c.name} lifecycle`);
}

/**
 * Every docker logs line is one event (same ns, stream, text); a live copy has at least those logged
 * before it began (L01), and may have some logged while it was taken. Any other log event is one
 * logged after the truth was taken (dead box).
 */
function checkLogs(v: Checker, s: Story, c: TruthContainer, logs: TimelineEvent[], cutoff: bigint | null): void {
  const left = [...logs];
  for (const l of truthLogLines(s.truth, c.name)) {
    const at = left.findIndex((e) => e.timeNs === l.ns && e.stream === l.stream && e.message.includes(l.text));
    if (cutoff === null || l.ns <= cutoff) v.ok(at >= 0, `${c.name} ${l.stream} ${l.ns} ${l.text}`, 3);
    if (at >= 0) left.splice(at, 1);
  }
  const truthStart = actionWindow(s.actions, 'T01')[0];
  v.eq(left.filter((e) => cutoff !== null || e.timeNs < truthStart).map((e) => e.message), [], `${c.name}: log events docker logs does not list`);
}

function checkDrift(v: Checker, r: Rebuilt, c: TruthContainer, drift: TimelineEvent[]): void {
  const want = readFileSync(path.join(r.story.truth, 'containers', `${c.name}.diff.txt`), 'utf8').split('\n').filter((l) => /^[ACD] \//.test(l)).sort();
  v.eq(drift.map((e) => `${e.fields.change} ${e.fields.path}`).sort(), want, `${c.name} drift = docker diff`);
  const stack = containerStack(r.story, c);
  const mount = stack.at(-1)!;
  for (const e of drift) {
    const p = String(e.fields.path);
    v.eq([e.fields.storage_driver, e.fields.layer], [r.driver, `${r.driver}:${mount}`], `${c.name} ${p}: driver, writable layer`);
    v.ok(!p.includes('/.wh.'), `${c.name} ${p}: no aufs name is a change`);
    // what a change replaced or deleted: the init layer's copy (full copies), or the layer of the stack it came from
    if (e.fields.change !== 'A') v.ok((r.diffLayers ? stack.slice(0, -1) : [`${mount}-init`]).map((l) => `${r.driver}:${l}`).includes(String(e.fields.lower_layer)), `${c.name} ${p}: lower layer ${e.fields.lower_layer} in its stack`);
    if (!r.statTime) continue;
    // A and C are dated by the entry's ctime in the writable layer (an unpacked copy has a new one); D by its folder's mtime
    const want = e.fields.change === 'D' ? r.statTime(mount, p.slice(0, p.lastIndexOf('/')), 'mtime') : r.unpacked ? null : r.statTime(mount, p, 'ctime');
    if (want !== null) v.eq(e.timeNs, want, `${c.name} ${e.fields.change} ${p}: time from the engine's stat truth`);
  }
}

function checkImage(v: Checker, r: Rebuilt, im: Story['images'][number], events: TimelineEvent[]): void {
  const { inspect: i, history } = im;
  const mine = events.filter((e) => e.imageId === i.Id && e.kind.startsWith('image.'));
  const created = mine.filter((e) => e.kind === 'image.created');
  v.eq(created.map((e) => e.timeNs), [parseRfc3339(i.Created)!.ns], `${i.Id} Created`);
  const f = created[0]!.fields;
  const steps = mine.filter((e) => e.kind === 'image.history').sort((a, b) => Number(a.fields.step) - Number(b.fields.step));
  // docker inspect's Comment is the config's, or else the last history step's (daemon/images/image_inspect.go)
  const comment = f.comment || steps.at(-1)?.fields.comment || '';
  v.eq([f.image_tags ?? '', f.docker_version ?? '', f.architecture, f.os, f.layers, comment, f.config_cmd ?? null, f.digest_matches_id],
    [[...i.RepoTags].sort().join(', '), i.DockerVersion, i.Architecture, i.Os, i.RootFS.Layers.length, i.Comment, i.Config.Cmd?.join(' ') ?? null, true], `${i.Id} fields`);
  v.eq(mine.filter((e) => e.kind === 'image.tagged').map((e) => e.timeNs), isGoZero(i.Metadata.LastTagTime) ? [] : [parseRfc3339(i.Metadata.LastTagTime)!.ns], `${i.Id} LastTagTime`);
  v.eq(steps.map((e) => [e.timeNs / 1_000_000_000n, e.fields.comment ?? '']), history.map((h: any) => [parseRfc3339(h.CreatedAt)!.ns / 1_000_000_000n, h.Comment]), `${i.Id} history`);
  const made = steps.filter((e) => e.fields.empty_layer === false);
  v.eq(made.map((e) => e.fields.diff_id), i.RootFS.Layers, `${i.Id} diff ids in order`);
  v.eq(made.map((e) => e.fields.layer), r.story.imageLayers.get(i.Id), `${i.Id} layer folders in the engine's order`);
  v.eq([...new Set(steps.map((e) => e.fields.storage_driver))], [r.driver], `${i.Id} storage_driver`);
}

/** Who each layer folder belongs to: a container's writable or init layer, or an image layer (of the oldest image holding it), as the engine stacked them. */
function checkLayers(v: Checker, r: Rebuilt, events: TimelineEvent[]): void {
  const s = r.story;
  const want = new Map<string, string>();
  const byAge = [...s.images].sort((a, b) => (parseRfc3339(a.inspect.Created)!.ns < parseRfc3339(b.inspect.Created)!.ns ? -1 : 1));
  for (const im of byAge.reverse()) for (const l of s.imageLayers.get(im.inspect.Id)!) want.set(l, `image layer of ${im.inspect.Id}`);
  for (const c of s.containers) want.set(s.mounts.get(c.id)!, `writable layer of ${c.name}`).set(`${s.mounts.get(c.id)}-init`, `init layer of ${c.name}`);
  const seen = new Map<string, Set<string>>();
  for (const e of events) {
    if (e.parser !== 'docker_timeline/layer_files' || e.kind !== 'file.mtime') continue;
    const layer = r.layerOf(e.evidence)!;
    v.eq(e.fields.storage_driver, r.driver, `${e.evidence} storage_driver`);
    const role = e.fields.layer_role === 'image layer' ? `image layer of ${e.imageId}` : e.containerName ? `${e.fields.layer_role} of ${e.containerName}` : String(e.fields.layer_role);
    (seen.get(layer) ?? seen.set(layer, new Set()).get(layer)!).add(role);
  }
  const got = [...seen].map(([k, set]) => `${k}: ${[...set].join(' + ')}`).sort();
  // folders of no image or container the engine lists (BuildKit's own snapshots) must be attributed to none
  v.eq(got, [...seen.keys()].map((k) => `${k}: ${want.get(k) ?? 'layer of no known image or container'}`).sort(), 'every layer folder attributed as the engine stacked it');
  v.ok([...want.keys()].every((k) => seen.has(k)), 'every layer the engine stacked is in the timeline', want.size);
}
