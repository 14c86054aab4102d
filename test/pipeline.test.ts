import test from 'ava';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extract, unpack, INCIDENT, type Extracted } from './helpers/run.ts';
import { liveCutoff, truthContainers, truthLifecycle, truthLogLines } from './helpers/truth.ts';
import { parseRfc3339, formatUtcNs } from '../src/time/nanotime.ts';
import { compareEvents } from '../src/events/compare.ts';
import type { TimelineEvent } from '../src/events/event.ts';

const TRUTH = path.join(INCIDENT, 'truth');
const DEAD = path.join(INCIDENT, 'dataroot.tar.gz');
const LIVE = path.join(INCIDENT, 'dataroot-live.tar.gz');
const containers = truthContainers(TRUTH);

const cache = new Map<string, Promise<Extracted>>();
const run = (evidence: string): Promise<Extracted> => {
  if (!cache.has(evidence)) cache.set(evidence, extract([evidence]));
  return cache.get(evidence)!;
};

/** Index events by container id and time, as check_truth.py does. */
function byIdTime(events: TimelineEvent[]): Map<string, TimelineEvent[]> {
  const m = new Map<string, TimelineEvent[]>();
  for (const e of events) {
    if (!e.containerId) continue;
    const k = `${e.containerId}@${e.timeNs}`;
    (m.get(k) ?? m.set(k, []).get(k)!).push(e);
  }
  return m;
}

const copies: [string, () => string, bigint | null][] = [
  ['dead-box tar', () => DEAD, null],
  ['live tar', () => LIVE, liveCutoff(path.join(INCIDENT, 'actions.log'))],
  ['dead-box unpacked directory', () => unpack(DEAD), null],
  ['live unpacked directory', () => unpack(LIVE), liveCutoff(path.join(INCIDENT, 'actions.log'))],
];

for (const [label, evidence, cutoff] of copies) {
  test(`${label}: every docker logs line is an event with its nanosecond time and text`, async (t) => {
    const { events } = await run(evidence());
    const idx = byIdTime(events);
    let expected = 0;
    const misses: string[] = [];
    for (const c of containers) {
      for (const line of truthLogLines(TRUTH, c.name)) {
        if (cutoff !== null && line.ns > cutoff) continue;
        expected++;
        const cands = (idx.get(`${c.id}@${line.ns}`) ?? []).filter((e) => e.kind === 'container.log');
        if (!cands.some((e) => e.message.includes(line.text) && e.stream === line.stream)) {
          misses.push(`${c.name} ${line.stream} ${formatUtcNs(line.ns)} ${line.text}`);
        }
      }
    }
    t.true(expected > 90, `truth has ${expected} lines`);
    t.deepEqual(misses, []);
  });

  test(`${label}: Created, StartedAt and FinishedAt of every container match docker inspect`, async (t) => {
    const { events } = await run(evidence());
    const idx = byIdTime(events);
    const misses: string[] = [];
    let expected = 0;
    for (const c of containers) {
      for (const w of truthLifecycle(c)) {
        if (cutoff !== null && w.ns > cutoff) continue;
        expected++;
        const kind = { Created: 'container.created', StartedAt: 'container.started', FinishedAt: 'container.finished' }[w.label];
        if (!(idx.get(`${c.id}@${w.ns}`) ?? []).some((e) => e.kind === kind)) misses.push(`${c.name} ${w.label} ${formatUtcNs(w.ns)}`);
      }
    }
    t.is(expected, cutoff === null ? 24 : expected);
    t.deepEqual(misses, []);
  });

  test(`${label}: events come out sorted, each with evidence path and offset`, async (t) => {
    const { events } = await run(evidence());
    for (let i = 1; i < events.length; i++) t.true(compareEvents(events[i - 1]!, events[i]!) <= 0, `order at ${i}`);
    t.true(events.every((e) => e.evidence.length > 0 && Number.isInteger(e.offset) && e.offset >= 0));
  });
}

test('dead-box: every health probe of docker inspect State.Health.Log is an event with start, end and exit code', async (t) => {
  const { events } = await run(DEAD);
  const health = containers.find((c) => c.name === 'health')!;
  const probes = health.inspect.State.Health.Log as { Start: string; End: string; ExitCode: number; Output: string }[];
  t.is(probes.length, 5);
  const got = events.filter((e) => e.kind === 'container.health_probe' && e.containerId === health.id);
  // The dead-box copy was taken after the truth: its config holds the 5 newest probes, which may be later ones.
  t.is(got.length, 5);
  for (const e of got) {
    t.is(e.fields.probe_exit_code, 1);
    t.is(e.fields.health_status, 'unhealthy');
    t.true(parseRfc3339(String(e.fields.probe_end))!.ns > e.timeNs);
  }
  const shared = probes.filter((p) => got.some((e) => e.timeNs === parseRfc3339(p.Start)!.ns));
  for (const p of shared) {
    const e = got.find((x) => x.timeNs === parseRfc3339(p.Start)!.ns)!;
    t.is(parseRfc3339(String(e.fields.probe_end))!.ns, parseRfc3339(p.End)!.ns);
    t.is(e.fields.probe_exit_code, p.ExitCode);
  }
});

test('live copy: the health probes in its config match docker inspect where the truth holds them', async (t) => {
  const { events } = await run(LIVE);
  const health = containers.find((c) => c.name === 'health')!;
  const got = events.filter((e) => e.kind === 'container.health_probe' && e.containerId === health.id);
  t.is(got.length, 5);
  const truthStarts = new Set((health.inspect.State.Health.Log as { Start: string }[]).map((p) => parseRfc3339(p.Start)!.ns));
  // Truth was taken after the live copy: the copy's newest probes overlap the truth's oldest ones.
  t.true(got.some((e) => truthStarts.has(e.timeNs)));
});

test('rotated compressed json-file logs (.1.gz, .2.gz) are read completely', async (t) => {
  const { events } = await run(DEAD);
  const chatty = containers.find((c) => c.name === 'chatty')!;
  const logs = events.filter((e) => e.containerId === chatty.id && e.kind === 'container.log');
  const truth = truthLogLines(TRUTH, 'chatty');
  t.is(logs.length, truth.length);
  const files = new Set(logs.map((e) => path.basename(e.evidence).replace(/^[0-9a-f]{64}/, '<id>')));
  t.deepEqual([...files].sort(), ['<id>-json.log', '<id>-json.log.1.gz', '<id>-json.log.2.gz']);
  t.true(logs.filter((e) => e.evidence.endsWith('.gz')).every((e) => e.fields.offset_in === 'decompressed stream'));
});

test('local-driver logs are read completely, with nanosecond times', async (t) => {
  const { events } = await run(DEAD);
  const c = containers.find((x) => x.name === 'localdrv')!;
  const logs = events.filter((e) => e.containerId === c.id && e.kind === 'container.log');
  const truth = truthLogLines(TRUTH, 'localdrv');
  t.is(logs.length, truth.length);
  t.true(logs.every((e) => e.parser === 'docker_timeline/local_log' && e.evidence.endsWith('local-logs/container.log')));
  t.deepEqual(logs.map((e) => e.timeNs).sort(), truth.map((l) => l.ns).sort());
});

test('risky host settings are in the container events messages and fields', async (t) => {
  const { events } = await run(DEAD);
  const created = (name: string) => events.find((e) => e.kind === 'container.created' && e.containerName === name)!;
  const escape = created('escape');
  t.regex(escape.message, /RISK: .*cap-add ALL/);
  t.regex(escape.message, /security-opt seccomp=unconfined/);
  t.regex(escape.message, /bind \/etc:\/hostetc:ro/);
  t.is(escape.fields.cap_drop, 'SYS_RESOURCE');
  const priv = created('escape-priv');
  t.regex(priv.message, /RISK: privileged/);
  t.is(priv.fields.privileged, true);
  t.regex(String(priv.fields.state_error), /unable to apply caps/);
  t.is(priv.fields.exit_code, 128);
  t.false(events.some((e) => e.containerName === 'escape-priv' && e.kind === 'container.started'), 'zero StartedAt makes no event');
  const flappy = created('flappy');
  t.is(flappy.fields.restart_policy, 'on-failure:2');
  t.is(flappy.fields.restart_count, 2);
  t.notRegex(flappy.message, /RISK/);
  t.is(created('chatty').fields.log_options, 'compress=true, max-file=3, max-size=1k');
});

test('a FinishedAt earlier than StartedAt is kept as it is and explained', async (t) => {
  const { events } = await run(DEAD);
  const crasher = containers.find((c) => c.name === 'crasher')!;
  const started = events.find((e) => e.containerId === crasher.id && e.kind === 'container.started')!;
  const finished = events.find((e) => e.containerId === crasher.id && e.kind === 'container.finished')!;
  t.is(started.timeNs, parseRfc3339(crasher.inspect.State.StartedAt)!.ns);
  t.is(finished.timeNs, parseRfc3339(crasher.inspect.State.FinishedAt)!.ns);
  t.true(finished.timeNs < started.timeNs);
  t.regex(finished.message, /earlier than StartedAt/);
  t.regex(finished.message, /exit code 3/);
});

test('container files (hostname, hosts, resolv.conf) give file-time events with pax atime and ctime from the tar', async (t) => {
  const { events } = await run(DEAD);
  const web = containers.find((c) => c.name === 'web')!;
  for (const f of ['hostname', 'hosts', 'resolv.conf']) {
    const evs = events.filter((e) => e.containerId === web.id && e.evidence.endsWith(`/${web.id}/${f}`));
    t.deepEqual(evs.map((e) => e.kind).sort(), ['file.atime', 'file.ctime', 'file.mtime'], f);
    t.true(evs.every((e) => e.dataType === 'fs:stat' && e.stat !== undefined));
  }
  // the hostname file holds the --hostname given at run: web01
  t.is(events.find((e) => e.kind === 'container.created' && e.containerId === web.id)!.fields.container_hostname, 'web01');
});

test('the dead-box copy reads without a single warning', async (t) => {
  const { warnings } = await run(DEAD);
  t.deepEqual(warnings.list, []);
});

test('sorting through disk (tiny memory bound) gives the same timeline as in memory', async (t) => {
  const mem = await run(DEAD);
  const spilled = await extract([DEAD], 4096);
  t.is(spilled.events.length, mem.events.length);
  t.deepEqual(spilled.events, mem.events);
});

test('logs merged straight from the files (the large-file path) give the same timeline as through the sorter', async (t) => {
  const dir = unpack(DEAD);
  const sorted = await extract([dir]);
  const direct = await extract([dir], undefined, 0);
  t.is(sorted.directSources, 0);
  t.true(direct.directSources >= 10, `${direct.directSources} log files merged directly`);
  t.is(direct.events.length, sorted.events.length);
  t.deepEqual(direct.events, sorted.events);
  // (only containers/ is unpacked: the volumes are missing, and both paths say so alike)
  t.deepEqual(direct.warnings.list, sorted.warnings.list);
  t.true(direct.warnings.list.every((w) => w.kind === 'missing-volume'));
});

test('logs of an archive, copied and merged directly, give the same timeline and warnings as through the sorter; no copy is left', async (t) => {
  const sorted = await extract([DEAD]);
  const direct = await extract([DEAD], undefined, 0);
  t.is(sorted.directSources, 0);
  t.true(direct.directSources >= 10, `${direct.directSources} log members merged directly`);
  t.deepEqual(direct.events, sorted.events);
  t.deepEqual(direct.warnings.list, sorted.warnings.list);
  t.deepEqual(readdirSync(tmpdir()).filter((n) => n.startsWith('dt-test-members-')), []);
});

test('a log member over the worker threads\' size, copied from an archive: checked in parts by the workers, the same timeline as through the sorter', async (t) => {
  const { makeTree, configV2, ID } = await import('./helpers/dataroot.ts');
  const { bigLog } = await import('./helpers/big-log.ts');
  const root = makeTree({ [`containers/${ID}/config.v2.json`]: configV2(ID), [`containers/${ID}/${ID}-json.log`]: bigLog(9, 1_800_000_000, []) });
  const archive = path.join(mkdtempSync(path.join(tmpdir(), 'dt-big-')), 'big.tar');
  execFileSync('tar', ['-C', root, '--sort=name', '-cf', archive, 'containers']);
  const sorted = await extract([archive]);
  const direct = await extract([archive], undefined, 8 << 20);
  t.is(direct.directSources, 1);
  t.is(direct.events.length, sorted.events.length);
  t.deepEqual(direct.events, sorted.events);
  t.deepEqual(direct.warnings.list, sorted.warnings.list);
});

test('a log member cut short by a damaged archive: its copy is read once as it is, with the same events and warnings as through the sorter', async (t) => {
  const { makeTree, configV2, logLine, ID } = await import('./helpers/dataroot.ts');
  const body = Array.from({ length: 4000 }, (_, i) => logLine(`line ${i}\n`, `2026-01-02T03:${String(10 + Math.floor(i / 100)).padStart(2, '0')}:00.${String(i).padStart(9, '0')}Z`)).join('');
  const root = makeTree({ [`containers/${ID}/config.v2.json`]: configV2(ID), [`containers/${ID}/${ID}-json.log`]: body });
  const whole = path.join(mkdtempSync(path.join(tmpdir(), 'dt-cut-')), 'whole.tar');
  execFileSync('tar', ['-C', root, '--sort=name', '-cf', whole, 'containers']);
  const bytes = readFileSync(whole);
  const at = bytes.indexOf(Buffer.from('line 2500'));
  t.true(at > 0);
  const cut = whole.replace('whole', 'cut');
  writeFileSync(cut, bytes.subarray(0, at));
  const sorted = await extract([cut]);
  const direct = await extract([cut], undefined, 0);
  t.is(direct.directSources, 0, 'not merged directly: its bytes were read once');
  t.deepEqual(direct.events, sorted.events);
  t.deepEqual(direct.warnings.list, sorted.warnings.list);
  t.is(direct.events.filter((e) => e.kind === 'container.log').length, 2500);
  t.true(direct.warnings.list.some((w) => w.kind === 'bad-archive'));
});

test('a log file whose times go backwards is not merged directly: it is sorted like any other', async (t) => {
  const { makeTree, configV2, logLine, ID } = await import('./helpers/dataroot.ts');
  const body = logLine('late\n', '2026-01-02T03:04:09Z') + logLine('early\n', '2026-01-02T03:04:01Z') + logLine('middle\n', '2026-01-02T03:04:05Z');
  const root = makeTree({ [`containers/${ID}/config.v2.json`]: configV2(ID), [`containers/${ID}/${ID}-json.log`]: body });
  const { events, directSources } = await extract([root], undefined, 0);
  t.is(directSources, 0);
  t.deepEqual(events.filter((e) => e.kind === 'container.log').map((e) => e.message), ['[test] stdout: early', '[test] stdout: middle', '[test] stdout: late']);
});
