import type { Extractor } from './extractor.js';
import { containerPath, recordedRoot } from './paths.js';
import { isObject, locateValue, readBounded, str, tryParseJson } from './read-bounded.js';
import { parseRfc3339, isGoZero, type ParsedTime } from '../time/nanotime.js';
import { containerConfigEvents } from './container-config.timemap.js';

export interface HealthProbe {
  start: ParsedTime | null;
  end: ParsedTime | null;
  rawStart: string | undefined;
  rawEnd: string | undefined;
  exitCode: number | null;
  output: string;
  offset: number;
}

export interface MountPoint {
  destination: string;
  /** `volume`, `bind`, `tmpfs`, ... (pre-1.10 configs: inferred from Name). */
  type: string;
  /** Volume name (named or anonymous). */
  name: string | null;
  /** Host path (for volumes: `<root>/volumes/<name>/_data` on the original host). */
  source: string | null;
  rw: boolean;
  driver: string | null;
}

export interface ContainerConfigRecord {
  id: string;
  /** Name without the leading `/`. */
  name: string | null;
  imageId: string | null;
  /** The image as the operator named it (`Config.Image`). */
  imageName: string | null;
  created: ParsedTime | null;
  startedAt: ParsedTime | null;
  finishedAt: ParsedTime | null;
  /** Raw texts, so a zero or unparsable time is visible as it was. */
  raw: { created?: string; startedAt?: string; finishedAt?: string };
  offsets: { created: number; startedAt: number; finishedAt: number };
  state: {
    running: boolean; paused: boolean; restarting: boolean; oomKilled: boolean; dead: boolean;
    exitCode: number | null; error: string; pid: number | null; healthStatus: string | null; failingStreak: number | null;
  };
  restartCount: number | null;
  path: string | null;
  args: string[];
  cmd: string[] | null;
  entrypoint: string[] | null;
  hostname: string | null;
  user: string | null;
  workingDir: string | null;
  driver: string | null;
  logPath: string | null;
  /** The data root the engine ran with, as recorded in its paths. */
  recordedRoot: string | null;
  health: HealthProbe[];
  mounts: MountPoint[];
  /** `config.v2.json` (1.10+) or the legacy `config.json`. */
  legacy: boolean;
  evidence: string;
  inode: string | null;
}

const strArray = (v: unknown): string[] | null => (Array.isArray(v) ? v.map((x) => String(x)) : null);
const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);

function parseHealth(raw: Buffer, state: Record<string, unknown>, warn: (w: { kind: string; offset: number; message: string }) => void): HealthProbe[] {
  const health = state.Health;
  if (!isObject(health) || !Array.isArray(health.Log)) return [];
  let from = 0;
  return health.Log.filter(isObject).map((p) => {
    const off = locateValue(raw, 'Start', p.Start, from);
    if (off >= 0) from = off + 1;
    if (!isGoZero(p.Start) && parseRfc3339(p.Start) === null) {
      warn({ kind: 'bad-time', offset: Math.max(off, 0), message: `health probe Start ${JSON.stringify(p.Start)} is not a time; no event made` });
    }
    return {
      start: parseRfc3339(p.Start), end: parseRfc3339(p.End), rawStart: str(p.Start), rawEnd: str(p.End),
      exitCode: num(p.ExitCode), output: str(p.Output) ?? '', offset: Math.max(off, 0),
    };
  });
}

function parseMounts(v: unknown): MountPoint[] {
  if (!isObject(v)) return [];
  return Object.entries(v).filter(([, m]) => isObject(m)).map(([dest, m]) => {
    const o = m as Record<string, unknown>;
    const name = str(o.Name) || null;
    return {
      destination: str(o.Destination) || dest, type: str(o.Type) || (name ? 'volume' : 'bind'), name,
      source: str(o.Source) || null, rw: o.RW !== false, driver: str(o.Driver) || null,
    };
  }).sort((a, b) => (a.destination < b.destination ? -1 : 1));
}

/** `containers/<id>/config.v2.json` (and the pre-1.10 `config.json`): lifecycle, state, health log. */
export const containerConfig: Extractor<ContainerConfigRecord> = {
  name: 'container_config',
  artifact: 'container config',
  phase: 'context',
  needs: 'content',
  match(rel) {
    const p = containerPath(rel);
    return p !== null && (p.rest === 'config.v2.json' || p.rest === 'config.json');
  },
  async extract(ref, input, out) {
    if (!input) return;
    const legacy = ref.rel.endsWith('/config.json');
    const raw = await readBounded(input);
    if (!raw) {
      out.warn({ kind: 'too-large', offset: 0, message: 'config larger than the 64 MiB read limit; not read' });
      return;
    }
    const parsed = tryParseJson(raw.toString('utf8'));
    if (!parsed.ok) {
      out.warn({ kind: 'bad-json', offset: 0, message: `not valid JSON (${parsed.error}); file is ${raw.length} bytes` });
      return;
    }
    const c = parsed.value;
    const id = containerPath(ref.rel)!.id;
    if (!isObject(c) || !isObject(c.State) || (c.ID !== undefined && c.ID !== id)) {
      out.warn({ kind: 'not-config', offset: 0, message: `JSON is not a container config for ${id} (ID ${isObject(c) ? String(c.ID) : 'missing'})` });
      if (!isObject(c) || !isObject(c.State)) return;
    }
    const st = c.State as Record<string, unknown>;
    const cfg = isObject(c.Config) ? c.Config : {};
    const health = isObject(st.Health) ? st.Health : null;
    const logPath = str(c.LogPath) || null;
    const anyPath = logPath ?? str(c.HostnamePath) ?? str(c.ResolvConfPath) ?? '';
    const times = { created: str(c.Created), startedAt: str(st.StartedAt), finishedAt: str(st.FinishedAt) };
    for (const [k, v] of Object.entries(times)) {
      if (v !== undefined && !isGoZero(v) && parseRfc3339(v) === null) {
        out.warn({ kind: 'bad-time', offset: Math.max(locateValue(raw, k === 'created' ? 'Created' : k === 'startedAt' ? 'StartedAt' : 'FinishedAt', v), 0), message: `unparsable time ${JSON.stringify(v)} in ${k}; no event made from it` });
      }
    }
    out.record({
      id,
      name: str(c.Name)?.replace(/^\//, '') ?? null,
      imageId: str(c.Image) ?? null,
      imageName: str(cfg.Image) ?? null,
      created: parseRfc3339(c.Created),
      startedAt: parseRfc3339(st.StartedAt),
      finishedAt: parseRfc3339(st.FinishedAt),
      raw: times,
      offsets: {
        created: Math.max(locateValue(raw, 'Created', c.Created), 0),
        startedAt: Math.max(locateValue(raw, 'StartedAt', st.StartedAt), 0),
        finishedAt: Math.max(locateValue(raw, 'FinishedAt', st.FinishedAt), 0),
      },
      state: {
        running: st.Running === true, paused: st.Paused === true, restarting: st.Restarting === true,
        oomKilled: st.OOMKilled === true, dead: st.Dead === true, exitCode: num(st.ExitCode), error: str(st.Error) ?? '',
        pid: num(st.Pid), healthStatus: health ? str(health.Status) ?? null : null, failingStreak: health ? num(health.FailingStreak) : null,
      },
      restartCount: num(c.RestartCount),
      path: str(c.Path) ?? null,
      args: strArray(c.Args) ?? [],
      cmd: strArray(cfg.Cmd),
      entrypoint: strArray(cfg.Entrypoint),
      hostname: str(cfg.Hostname) ?? null,
      user: str(cfg.User) ?? null,
      workingDir: str(cfg.WorkingDir) ?? null,
      driver: str(c.Driver) ?? null,
      logPath,
      recordedRoot: anyPath ? recordedRoot(anyPath, id) : null,
      health: parseHealth(raw, st, out.warn),
      mounts: parseMounts(c.MountPoints),
      legacy,
      evidence: ref.entry.path,
      inode: ref.entry.inode,
    });
  },
  remember(r, ctx) {
    const have = ctx.containers.get(r.id);
    if (!have || (have.legacy && !r.legacy)) ctx.containers.set(r.id, r);
  },
  toEvents: containerConfigEvents,
};
