/**
 * Synthetic Docker data root for the benchmark: one container (`/bench`) with a json-file log of a
 * chosen size, in Docker's exact on-disk format:
 *
 *   containers/<id>/config.v2.json
 *   containers/<id>/hostconfig.json
 *   containers/<id>/<id>-json.log     {"log":"...\n","stream":"stdout","time":"2026-11-29T05:46:55.123456789Z"}
 *
 * Times are written as Go's RFC3339Nano does (trailing zeros of the fraction trimmed), increasing by
 * a random 1 µs .. 5 ms per line. Texts are 40..200 characters (access logs, app logs, JSON logs with
 * escaped quotes, tracebacks, some tabs and non-ASCII), ~12 % on stderr. Lines are built in big
 * strings and written with one writeSync per ~8 MiB chunk.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';

export interface GeneratedRoot {
  /** The data root (the evidence argument). */
  root: string;
  containerId: string;
  logPath: string;
  logBytes: number;
  lines: number;
  stderrLines: number;
  firstTime: string;
  lastTime: string;
  genMs: number;
}

/** xorshift32: fast, deterministic. */
class Rng {
  constructor(private s: number) {
    if (this.s === 0) this.s = 0x9e3779b9;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    this.s = x;
    return x;
  }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + (this.next() % (hi - lo + 1));
  }
  pick<T>(a: readonly T[]): T {
    return a[this.next() % a.length]!;
  }
}

const p2 = (n: number): string => (n < 10 ? '0' : '') + n;

/** `YYYY-MM-DDTHH:MM:SS` of epoch seconds (UTC). */
function isoSeconds(sec: number): string {
  return new Date(sec * 1000).toISOString().slice(0, 19);
}

/** Go RFC3339Nano: fraction with trailing zeros trimmed, no dot when it is zero. */
export function goRfc3339Nano(sec: number, nanos: number): string {
  return isoSeconds(sec) + goFraction(nanos) + 'Z';
}

function goFraction(nanos: number): string {
  if (nanos === 0) return '';
  let f = String(nanos).padStart(9, '0');
  let end = f.length;
  while (f.charCodeAt(end - 1) === 48) end--;
  f = f.slice(0, end);
  return '.' + f;
}

const WORDS = ['request', 'user', 'session', 'cache', 'miss', 'hit', 'db', 'query', 'took', 'retry', 'worker', 'queue',
  'batch', 'upstream', 'timeout', 'token', 'refresh', 'payload', 'checksum', 'ok', 'done', 'shard', 'lease', 'commit'];
const PATHS = ['/api/v1/items', '/api/v1/users/42', '/healthz', '/metrics', '/static/app.3f9a1c.js', '/login', '/api/v2/orders?page=3&size=50'];
const AGENTS = ['curl/8.5.0', 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0', 'kube-probe/1.30', 'python-requests/2.32.3'];
const LEVELS = ['INFO', 'INFO', 'INFO', 'DEBUG', 'WARN'];
const UNICODE = ['café', 'naïve', 'Grüße', '→ ok', 'データ', '✓ done', 'Ωmega'];

function words(rng: Rng, n: number): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(rng.pick(WORDS));
  return out.join(' ');
}

/** A raw (unescaped) log text and its stream. */
function makeText(rng: Rng, baseSec: number): { text: string; stream: 'stdout' | 'stderr' } {
  const ts = isoSeconds(baseSec + rng.int(0, 86_400));
  const kind = rng.int(0, 99);
  let text: string;
  let stream: 'stdout' | 'stderr' = 'stdout';
  if (kind < 35) {
    text = `172.17.0.${rng.int(1, 254)} - - [29/Nov/2026:${p2(rng.int(0, 23))}:${p2(rng.int(0, 59))}:${p2(rng.int(0, 59))} +0000] "${rng.pick(['GET', 'GET', 'POST', 'PUT'])} ${rng.pick(PATHS)} HTTP/1.1" ${rng.pick([200, 200, 200, 204, 301, 404, 500])} ${rng.int(0, 99999)} "-" "${rng.pick(AGENTS)}"`;
  } else if (kind < 60) {
    text = `${ts.replace('T', ' ')},${String(rng.int(0, 999)).padStart(3, '0')} ${rng.pick(LEVELS)}  [worker-${rng.int(1, 16)}] com.example.Service - ${words(rng, rng.int(3, 12))} id=${rng.next().toString(16)}`;
  } else if (kind < 80) {
    text = JSON.stringify({ level: rng.pick(['info', 'debug', 'warn']), ts: baseSec + rng.int(0, 86_400) + rng.int(0, 999) / 1000, msg: words(rng, rng.int(2, 6)), path: rng.pick(PATHS), status: rng.pick([200, 201, 404]), dur_ms: rng.int(1, 900) });
  } else if (kind < 88) {
    text = `${rng.pick(UNICODE)}\t${words(rng, rng.int(4, 14))}\tcount=${rng.int(0, 1_000_000)}`;
  } else if (kind < 94) {
    stream = 'stderr';
    text = rng.pick([
      `Traceback (most recent call last):`,
      `  File "/app/handlers/${rng.pick(WORDS)}.py", line ${rng.int(10, 900)}, in ${rng.pick(WORDS)}_handler`,
      `WARN: retrying connection to db:5432 (attempt ${rng.int(1, 5)}/5): connection refused`,
      `ERROR ${words(rng, rng.int(5, 15))} errno=${rng.int(1, 120)}`,
    ]);
  } else {
    stream = 'stderr';
    text = `${ts}Z [${rng.pick(['warn', 'error'])}] ${rng.int(1, 99)}#0: *${rng.int(1, 999999)} ${words(rng, rng.int(4, 16))}, client: 10.0.${rng.int(0, 255)}.${rng.int(1, 254)}`;
  }
  // realistic lengths: 40..200 characters
  const target = rng.int(40, 200);
  while (text.length < target) text += ' ' + words(rng, rng.int(1, 6));
  if (text.length > target) text = text.slice(0, target).trimEnd();
  if (text.length < 40) text = text.padEnd(40, '.');
  // never cut a surrogate pair in half
  if (/[\ud800-\udbff]$/.test(text)) text = text.slice(0, -1);
  return { text, stream };
}

/** Everything of a line but the time value and the closing `"}\n`, pre-encoded. */
interface Template {
  head: string;
  headBytes: number;
  stderr: boolean;
}

function makeTemplates(rng: Rng, baseSec: number, n: number): Template[] {
  const out: Template[] = [];
  for (let i = 0; i < n; i++) {
    const { text, stream } = makeText(rng, baseSec);
    // Go's encoding/json escapes <, > and & as \u003c etc.; Docker's log writer does too.
    const log = JSON.stringify(text + '\n').replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
    const head = `{"log":${log},"stream":"${stream}","time":"`;
    out.push({ head, headBytes: Buffer.byteLength(head), stderr: stream === 'stderr' });
  }
  return out;
}

export interface GenerateOptions {
  dir: string;
  sizeBytes: number;
  seed?: number;
  /** Called now and then with bytes written so far. */
  onProgress?: (bytes: number) => void;
}

/** Write the data root under `dir/dataroot`. */
export function generateDataRoot(o: GenerateOptions): GeneratedRoot {
  const t0 = performance.now();
  const rng = new Rng(o.seed ?? 20261129);
  const containerId = createHash('sha256').update(`docker-timeline-bench-${o.seed ?? 20261129}`).digest('hex');
  const root = path.join(o.dir, 'dataroot');
  const cdir = path.join(root, 'containers', containerId);
  mkdirSync(cdir, { recursive: true });
  const logName = `${containerId}-json.log`;
  const logPath = path.join(cdir, logName);
  const recordedDir = `/var/lib/docker/containers/${containerId}`;

  // 2026-11-29T05:46:55Z, the same day as the incident fixture
  const createdSec = Date.UTC(2026, 10, 29, 5, 46, 50) / 1000;
  const createdNs = 123_456_789;
  const startedSec = createdSec + 4;
  const startedNs = 987_654_321;
  let sec = startedSec + 1;
  let nanos = 123_456_789;
  let secPrefix = isoSeconds(sec);

  const templates = makeTemplates(rng, createdSec, 8192);
  const fd = openSync(logPath, 'w');
  let bytes = 0;
  let lines = 0;
  let stderrLines = 0;
  let firstTime = '';
  let lastTime = '';
  const CHUNK = 8 * 1024 * 1024;
  try {
    while (bytes < o.sizeBytes) {
      const parts: string[] = [];
      let chunkBytes = 0;
      while (chunkBytes < CHUNK && bytes + chunkBytes < o.sizeBytes) {
        const t = templates[rng.next() & 8191]!;
        nanos += 1_000 + (rng.next() % 5_000_000);
        if (nanos >= 1_000_000_000) {
          sec += Math.floor(nanos / 1_000_000_000);
          nanos %= 1_000_000_000;
          secPrefix = isoSeconds(sec);
        }
        const time = secPrefix + goFraction(nanos) + 'Z';
        if (lines === 0) firstTime = time;
        lastTime = time;
        parts.push(t.head, time, '"}\n');
        chunkBytes += t.headBytes + time.length + 3;
        lines++;
        if (t.stderr) stderrLines++;
      }
      const buf = Buffer.from(parts.join(''), 'utf8');
      writeSync(fd, buf);
      bytes += buf.length;
      o.onProgress?.(bytes);
    }
    fsyncSync(fd); // no write-back of this file while the measurements run
  } finally {
    closeSync(fd);
  }

  const finishedSec = sec + 2;
  const created = goRfc3339Nano(createdSec, createdNs);
  const started = goRfc3339Nano(startedSec, startedNs);
  const finished = goRfc3339Nano(finishedSec, 5_000);
  const imageId = 'sha256:' + createHash('sha256').update('bench-image').digest('hex');
  const config = {
    StreamConfig: {},
    State: {
      Running: false, Paused: false, Restarting: false, OOMKilled: false, RemovalInProgress: false, Dead: false,
      Pid: 0, ExitCode: 0, Error: '', StartedAt: started, FinishedAt: finished, Health: null,
    },
    ID: containerId,
    Created: created,
    Managed: false,
    Path: '/usr/local/bin/bench-app',
    Args: ['--serve', '--port', '8080'],
    Config: {
      Hostname: containerId.slice(0, 12), Domainname: '', User: 'app', AttachStdin: false, AttachStdout: true, AttachStderr: true,
      ExposedPorts: { '8080/tcp': {} }, Tty: false, OpenStdin: false, StdinOnce: false,
      Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'APP_ENV=bench'],
      Cmd: ['--serve', '--port', '8080'], Image: 'bench-app:1.0', Volumes: null, WorkingDir: '/app',
      Entrypoint: ['/usr/local/bin/bench-app'], OnBuild: null, Labels: {},
    },
    Image: imageId,
    NetworkSettings: { Bridge: '', SandboxID: '', HairpinMode: false, Networks: {}, Ports: {} },
    LogPath: `${recordedDir}/${logName}`,
    Name: '/bench',
    Driver: 'overlay2',
    OS: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    RestartCount: 0,
    HasBeenStartedBefore: true,
    HasBeenManuallyStopped: false,
    MountPoints: {},
    SecretReferences: null,
    ConfigReferences: null,
    AppArmorProfile: 'docker-default',
    HostnamePath: `${recordedDir}/hostname`,
    HostsPath: `${recordedDir}/hosts`,
    ShmPath: '',
    ResolvConfPath: `${recordedDir}/resolv.conf`,
    SeccompProfile: '',
    NoNewPrivileges: false,
    LocalLogCacheMeta: { HaveNotifyEnabled: false },
  };
  const hostconfig = {
    Binds: null, ContainerIDFile: '', LogConfig: { Type: 'json-file', Config: {} }, NetworkMode: 'bridge', PortBindings: {},
    RestartPolicy: { Name: 'no', MaximumRetryCount: 0 }, AutoRemove: false, VolumeDriver: '', VolumesFrom: null,
    CapAdd: null, CapDrop: null, CgroupnsMode: 'private', Dns: [], DnsOptions: [], DnsSearch: [], ExtraHosts: null,
    GroupAdd: null, IpcMode: 'private', Cgroup: '', Links: null, OomScoreAdj: 0, PidMode: '', Privileged: false,
    PublishAllPorts: false, ReadonlyRootfs: false, SecurityOpt: null, UTSMode: '', UsernsMode: '', ShmSize: 67108864,
    Runtime: 'runc', Isolation: '', Mounts: [], Devices: [],
  };
  writeFileSync(path.join(cdir, 'config.v2.json'), JSON.stringify(config));
  writeFileSync(path.join(cdir, 'hostconfig.json'), JSON.stringify(hostconfig));
  const last = new Date(finishedSec * 1000);
  utimesSync(logPath, last, last);
  utimesSync(path.join(cdir, 'config.v2.json'), last, last);
  utimesSync(path.join(cdir, 'hostconfig.json'), new Date(createdSec * 1000), new Date(createdSec * 1000));

  return { root, containerId, logPath, logBytes: bytes, lines, stderrLines, firstTime, lastTime, genMs: performance.now() - t0 };
}
