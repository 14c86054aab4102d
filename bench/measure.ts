/**
 * Run a child process and measure it: wall time, peak RSS (VmHWM polled from /proc/<pid>/status,
 * plus the exact value the preloaded bench/peak-hook.mjs writes at exit), CPU time, the CPU other
 * processes used meanwhile (a shared machine makes wall times noisy), and optionally the size of
 * files it writes (sort spill runs, output) while it runs.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
export const REPO_DIR = path.dirname(BENCH_DIR);
export const PEAK_HOOK = path.join(BENCH_DIR, 'peak-hook.mjs');

export interface MeasureOptions {
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Folder the child spills into (polled for `run-*` files under any sub-folder). */
  spillDir?: string;
  /** File the child writes its output to (polled: the first byte marks the start of the output phase). */
  outputFile?: string;
  /** Scratch file for the exit hook. */
  peakFile: string;
  pollMs?: number;
}

export interface Measured {
  exitCode: number | null;
  signal: string | null;
  wallMs: number;
  /** Max of polled VmHWM and the exit hook's VmHWM, in MiB. */
  peakRssMb: number;
  polledPeakRssMb: number;
  hookPeakRssMb: number | null;
  /** Highest polled VmRSS before / after the first output byte (MiB). */
  peakRssBeforeOutputMb: number;
  peakRssAfterOutputMb: number | null;
  userCpuMs: number | null;
  systemCpuMs: number | null;
  /** CPU time all other processes used during the run, as a number of busy cores (0..cpus). */
  otherLoadCores: number | null;
  /** ms after spawn when the output file first had bytes (null when not watched or never written). */
  firstOutputMs: number | null;
  /** Most spill run files seen at once, and their largest total size (MiB). */
  spillRuns: number;
  spillMb: number;
  stdout: string;
  stderr: string;
}

const MB = 1024 * 1024;
/** USER_HZ: the unit of /proc/stat (100 on every Linux this runs on). */
const USER_HZ = 100;

/** What bench/peak-hook.mjs writes. */
interface HookReport { vmHwmKb?: number; vmRssKb?: number; maxRssKb?: number; userCpuMs?: number; systemCpuMs?: number }

function statusKb(status: string, key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
  return m ? Number(m[1]) : 0;
}

/** Busy CPU seconds of the whole machine so far (/proc/stat `cpu` line: all but idle and iowait). */
function machineBusyS(): number | null {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = f;
    return (user + nice + system + irq + softirq + steal) / USER_HZ;
  } catch {
    return null;
  }
}

function spillStats(dir: string): { runs: number; bytes: number } {
  let runs = 0;
  let bytes = 0;
  let subs: string[];
  try { subs = readdirSync(dir); } catch { return { runs, bytes }; }
  for (const s of subs) {
    let names: string[];
    try { names = readdirSync(path.join(dir, s)); } catch { continue; }
    for (const n of names) {
      if (!n.startsWith('run-')) continue;
      runs++;
      try { bytes += statSync(path.join(dir, s, n)).size; } catch { /* removed meanwhile */ }
    }
  }
  return { runs, bytes };
}

/** Spawn `process.execPath` with `args` (the peak hook is preloaded first) and measure it until it exits. */
export function measure(o: MeasureOptions): Promise<Measured> {
  rmSync(o.peakFile, { force: true });
  // every run starts with no dirty pages: the outputs of earlier runs (hundreds of MB each) would
  // otherwise still be being written back, and this VM's kernel copies into the page cache 3-4x
  // slower then (measured with dd: 800 MB in 0.45 s of system time from clean, 1.5-1.8 s with 0.8-1.6 GB dirty)
  execFileSync('sync');
  const pollMs = o.pollMs ?? 50;
  const busy0 = machineBusyS();
  const selfCpu0 = process.cpuUsage();
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--import', PEAK_HOOK, ...o.args], {
    cwd: o.cwd ?? REPO_DIR,
    env: { ...process.env, ...o.env, BENCH_PEAK_FILE: o.peakFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid!;
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr.setEncoding('utf8').on('data', (d: string) => { if (stderr.length < 1 << 20) stderr += d; });

  let hwmKb = 0;
  let rssBeforeKb = 0;
  let rssAfterKb = 0;
  let firstOutputMs: number | null = null;
  let spillRuns = 0;
  let spillBytes = 0;
  let ticks = 0;
  let polling = false;
  const timer = setInterval(() => {
    ticks++;
    if (o.outputFile && firstOutputMs === null) {
      try { if (statSync(o.outputFile).size > 0) firstOutputMs = performance.now() - t0; } catch { /* not yet */ }
    }
    if (o.spillDir && ticks % 4 === 0) {
      const s = spillStats(o.spillDir);
      spillRuns = Math.max(spillRuns, s.runs);
      spillBytes = Math.max(spillBytes, s.bytes);
    }
    if (polling) return;
    polling = true;
    const outputStarted = firstOutputMs !== null;
    void readFile(`/proc/${pid}/status`, 'utf8')
      .then((s) => {
        hwmKb = Math.max(hwmKb, statusKb(s, 'VmHWM'));
        const rss = statusKb(s, 'VmRSS');
        if (outputStarted) rssAfterKb = Math.max(rssAfterKb, rss);
        else rssBeforeKb = Math.max(rssBeforeKb, rss);
      }, () => {})
      .finally(() => { polling = false; });
  }, pollMs);

  return new Promise((resolve, reject) => {
    let wallMs = 0;
    let busy1: number | null = null;
    child.on('error', (e) => { clearInterval(timer); reject(e); });
    child.on('exit', () => {
      wallMs = performance.now() - t0;
      busy1 = machineBusyS();
      clearInterval(timer);
    });
    child.on('close', (code, signal) => {
      if (!wallMs) { wallMs = performance.now() - t0; busy1 = machineBusyS(); }
      clearInterval(timer);
      let hook: HookReport | null = null;
      if (existsSync(o.peakFile)) {
        try { hook = JSON.parse(readFileSync(o.peakFile, 'utf8')) as HookReport; } catch { hook = null; }
      }
      const hookKb = hook ? Math.max(hook.vmHwmKb ?? 0, hook.maxRssKb ?? 0) : null;
      const childCpuS = hook?.userCpuMs !== undefined ? (hook.userCpuMs + (hook.systemCpuMs ?? 0)) / 1000 : null;
      const self = process.cpuUsage(selfCpu0);
      const otherLoadCores = busy0 !== null && busy1 !== null && childCpuS !== null
        ? Math.max(0, (busy1 - busy0 - childCpuS - (self.user + self.system) / 1e6) / (wallMs / 1000))
        : null;
      resolve({
        exitCode: code, signal, wallMs,
        peakRssMb: Math.max(hwmKb, hookKb ?? 0) / 1024,
        polledPeakRssMb: hwmKb / 1024,
        hookPeakRssMb: hookKb === null ? null : hookKb / 1024,
        peakRssBeforeOutputMb: rssBeforeKb / 1024,
        peakRssAfterOutputMb: firstOutputMs === null ? null : rssAfterKb / 1024,
        userCpuMs: hook?.userCpuMs ?? null,
        systemCpuMs: hook?.systemCpuMs ?? null,
        otherLoadCores,
        firstOutputMs,
        spillRuns,
        spillMb: spillBytes / MB,
        stdout, stderr,
      });
    });
  });
}
