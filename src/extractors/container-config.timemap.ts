import type { ContainerConfigRecord } from './container-config.js';
import type { Context } from './context.js';
import type { FieldValue, TimelineEvent } from '../events/event.js';
import { argv, makeEvent } from '../events/build.js';
import { formatUtcNs } from '../time/nanotime.js';
import { linkgraphNote } from './linkgraph.js';

/**
 * Time map of config.v2.json:
 *   Created            -> container.created   `Creation Time`  (plaso docker:container:configuration)
 *   State.StartedAt    -> container.started   `Start Time`     (most recent start; zero time = never started: no event)
 *   State.FinishedAt   -> container.finished  `End Time`       (most recent exit; zero time = no event; may precede StartedAt)
 *   State.Health.Log[] -> container.health_probe `Health Check Start Time` (Start; End kept as a field; local zone kept)
 */
export function* containerConfigEvents(r: ContainerConfigRecord, ctx: Context): Iterable<TimelineEvent> {
  const kept = ctx.containers.get(r.id);
  if (r.legacy && kept && !kept.legacy) return; // the 1.10 migration left config.json beside config.v2.json
  const label = r.name ?? ctx.label(r.id);
  const h = ctx.hostconfigs.get(r.id);
  const base = {
    source: 'DOCKER', sourcetype: 'Docker Container', dataType: 'docker:container:configuration',
    parser: 'docker_timeline/container_config', evidence: r.evidence, containerId: r.id, inode: r.inode, containerFields: true,
  };
  const state: Record<string, FieldValue> = {
    container_hostname: r.hostname, running: r.state.running, paused: r.state.paused, restarting: r.state.restarting,
    oom_killed: r.state.oomKilled, dead: r.state.dead, exit_code: r.state.exitCode, state_error: r.state.error || null,
    restart_count: r.restartCount, pid: r.state.pid, health_status: r.state.healthStatus,
    command: argv([...(r.path ? [r.path] : []), ...r.args]) || null,
    cmd: r.cmd ? argv(r.cmd) : null, entrypoint: r.entrypoint ? argv(r.entrypoint) : null,
    user: r.user || null, working_dir: r.workingDir || null, storage_driver: r.driver, log_path: r.logPath,
    recorded_data_root: r.recordedRoot, config_format: r.legacy ? 'config.json (pre-1.10)' : 'config.v2.json',
    ...(h ? h.fields : {}),
  };
  const risk = h && h.risks.length ? `; RISK: ${h.risks.join(', ')}` : '';
  const links = linkgraphNote(ctx, r.id); // pre-1.10 linkgraph.db: links, or a name it contradicts
  const image = r.imageName ? `${r.imageName} (${r.imageId ?? 'no image id'})` : r.imageId ?? 'unknown image';

  if (r.created) {
    yield makeEvent(ctx, {
      ...base, timeNs: r.created.ns, timestampDesc: 'Creation Time', kind: 'container.created', offset: r.offsets.created,
      message: `Container ${label} created from image ${image}: ${state.command ?? ''}; hostname ${r.hostname ?? '-'}${risk}${links}`,
      fields: { ...state, time_raw: r.raw.created },
    });
  }
  if (r.startedAt) {
    const restarts = r.restartCount ? ` (restart count ${r.restartCount})` : '';
    yield makeEvent(ctx, {
      ...base, timeNs: r.startedAt.ns, timestampDesc: 'Start Time', kind: 'container.started', offset: r.offsets.startedAt,
      message: `Container ${label} started (most recent start)${restarts}${r.state.running ? ', still running at the last state save' : ''}${risk}${links}`,
      fields: { ...state, time_raw: r.raw.startedAt },
    });
  }
  if (r.finishedAt) {
    const before = r.startedAt && r.finishedAt.ns < r.startedAt.ns
      ? ` (earlier than StartedAt ${formatUtcNs(r.startedAt.ns)}: the last start came after this exit, or the daemon stopped while it ran)` : '';
    const err = r.state.error ? `, error: ${r.state.error}` : '';
    yield makeEvent(ctx, {
      ...base, timeNs: r.finishedAt.ns, timestampDesc: 'End Time', kind: 'container.finished', offset: r.offsets.finishedAt,
      message: `Container ${label} finished (most recent exit): exit code ${r.state.exitCode ?? '-'}${r.state.oomKilled ? ', OOM killed' : ''}${err}${before}${links}`,
      fields: { ...state, time_raw: r.raw.finishedAt },
    });
  }
  // Each mount, at the container's creation (when its mounts were set): where its files live.
  if (r.created) {
    for (const m of r.mounts) {
      const what = m.type === 'volume'
        ? `${/^[0-9a-f]{64}$/.test(m.name ?? '') ? 'anonymous' : 'named'} volume ${m.name ?? '?'} (data root volumes/${m.name ?? '?'}/_data)`
        : m.type === 'bind' ? `host path ${m.source ?? '?'} (bind mount: outside the data root, not in this evidence)` : `${m.type} ${m.source ?? ''}`.trim();
      yield makeEvent(ctx, {
        ...base, timeNs: r.created.ns, timestampDesc: 'Creation Time', kind: 'container.mount', offset: Math.max(r.offsets.created, 0),
        message: `Container ${label} mounts ${what} at ${m.destination} (${m.rw ? 'read-write' : 'read-only'})`,
        fields: { mount_type: m.type, mount_source: m.source, mount_destination: m.destination, volume: m.name, mount_rw: m.rw, mount_driver: m.driver },
      });
    }
  }
  for (const p of r.health) {
    if (!p.start) continue;
    const dur = p.end ? `, ${(Number(p.end.ns - p.start.ns) / 1e9).toFixed(3)} s` : '';
    const result = p.exitCode === 0 ? 'healthy' : p.exitCode === 1 ? 'unhealthy' : 'probe error';
    yield makeEvent(ctx, {
      ...base, timeNs: p.start.ns, timestampDesc: 'Health Check Start Time', kind: 'container.health_probe', offset: p.offset,
      message: `Health probe of ${label}: exit code ${p.exitCode ?? '-'} (${result})${dur}, output ${JSON.stringify(p.output)}`,
      fields: {
        probe_exit_code: p.exitCode, probe_output: p.output, probe_start_raw: p.rawStart ?? null, probe_end_raw: p.rawEnd ?? null,
        probe_end: p.end ? formatUtcNs(p.end.ns) : null,
        time_zone_note: p.start.local ? `written in the daemon's local zone (offset ${p.start.offsetMinutes} min), converted to UTC` : 'written in UTC',
        health_status: r.state.healthStatus, failing_streak: r.state.failingStreak,
      },
    });
  }
}
