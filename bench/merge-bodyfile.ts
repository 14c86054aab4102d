/**
 * Throughput and memory of `docker-timeline merge` on a big host bodyfile merged with a lab extraction.
 *
 *   npx tsx bench/merge-bodyfile.ts                    # 5 000 000 bodyfile lines (several minutes)
 *   npx tsx bench/merge-bodyfile.ts --lines 500000     # quick run
 *   npx tsx bench/merge-bodyfile.ts --lines 1000000 --runs 3 --profile
 *
 * 1. Generates a Sleuth Kit 3.x bodyfile as `fls -r -m / host.img` writes it for a Linux host whose
 *    Docker data root is the lab's (fixtures/overlay2-incident/dataroot.tar.gz): host folders
 *    (/usr, /etc, /home, /var/log, ...), image and container layers under
 *    /var/lib/docker/overlay2/<the lab's layer ids>/diff/..., container folders, a volume; ext4 inodes,
 *    modes, owners, sizes; four times per line (some nanosecond fractions, some crtime 0, some lines
 *    with no time at all, as fls lists $OrphanFiles); names with `\|` (newer fls) and a raw `|`
 *    (fls 4.11), non-ASCII names, ` (deleted)` / ` (deleted-realloc)` entries, symbolic links.
 * 2. Runs `extract` on the lab tarball (jsonl), the extraction to merge.
 * 3. Runs, as a measured child process, `node bin/docker-timeline.js merge BODYFILE EXTRACTION.jsonl
 *    --evidence <lab tarball> -o OUT --format l2tcsv --tmp-dir SPILL` (merge has no progress line,
 *    so no -q), and reports wall time, events/s, peak RSS (VmHWM, bench/measure.ts) and CPU time.
 *
 * Target (issue 5): peak RSS under 300 MB for 5 000 000 lines. See bench/README.md.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, copyFileSync, createReadStream, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { parseArgs } from 'node:util';
import tar from 'tar-stream';
import { BENCH_DIR, measure, REPO_DIR, type Measured } from './measure.ts';
import { formatSummary, loadTsxMaps, mainProfileIn, summarizeProfile, tsxCacheIn, type CpuProfile } from './profile-summary.ts';

const MB = 1024 * 1024;
const TARGET = { rssMb: 300, lines: 5_000_000 } as const;
const LAB_TARBALL = path.join(REPO_DIR, 'fixtures/overlay2-incident/dataroot.tar.gz');
/** Where the lab's data root sits on the generated host. */
const HOST_DATA_ROOT = '/var/lib/docker';

// ---------------------------------------------------------------------------------------------
// The generator

/** xorshift32 (as bench/gen-dataroot.ts): fast and deterministic. */
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
  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() / 4294967296 < p;
  }
  pick<T>(a: readonly T[]): T {
    return a[this.next() % a.length]!;
  }
}

/** What of the lab's data root the host paths point into (read from the tarball's member names). */
export interface LabLayout {
  /** `overlay2/<dir>` names: image layers (cache ids), container mounts, `<mount>-init`. */
  layers: string[];
  containers: string[];
  volumes: string[];
}

export async function labLayout(tarball: string): Promise<LabLayout> {
  const layers = new Set<string>();
  const containers = new Set<string>();
  const volumes = new Set<string>();
  const extract = tar.extract();
  extract.on('entry', (h, stream, next) => {
    const segs = h.name.split('/');
    const i = segs.indexOf('overlay2');
    if (i >= 0 && segs[i - 1] !== 'image' && segs[i + 2] === 'diff' && /^[0-9a-f]{64}(-init)?$/.test(segs[i + 1] ?? '')) layers.add(segs[i + 1]!);
    const c = segs.indexOf('containers');
    if (c >= 0 && /^[0-9a-f]{64}$/.test(segs[c + 1] ?? '')) containers.add(segs[c + 1]!);
    const v = segs.indexOf('volumes');
    if (v >= 0 && segs[v + 2] === '_data') volumes.add(segs[v + 1]!);
    stream.on('end', next);
    stream.resume();
  });
  await pipeline(createReadStream(tarball), createGunzip(), extract);
  return { layers: [...layers].sort(), containers: [...containers].sort(), volumes: [...volumes].sort() };
}

const DIRS_USR = ['lib', 'lib/x86_64-linux-gnu', 'share/doc', 'share/man/man1', 'share/locale/de/LC_MESSAGES', 'bin', 'sbin', 'include', 'lib/python3/dist-packages', 'share/zoneinfo/Europe', 'lib/systemd/system', 'share/perl5'];
const PACKAGES = ['libc6', 'openssl', 'coreutils', 'bash', 'systemd', 'python3-yaml', 'curl', 'libssl3', 'tzdata', 'dpkg', 'apt', 'gzip', 'perl-base', 'zlib1g', 'util-linux', 'iproute2', 'containerd.io', 'docker-ce'];
const STEMS = ['config', 'index', 'README', 'changelog', 'copyright', 'libfoo', 'main', 'utils', '__init__', 'server', 'client', 'data', 'cache', 'module', 'core', 'test_x', 'Makefile', 'setup', 'locale', 'python3.11'];
const EXTS = ['', '.so.1', '.so', '.gz', '.py', '.pyc', '.conf', '.txt', '.json', '.h', '.mo', '.service', '.pm', '.html', '.sh'];
const ODD = ['Grüße', 'データ', 'naïve café', 'report (final)', 'a,b', 'quote"d', 'with space', 'tab\there'];
const USERS = ['alice', 'bob', 'svc-backup'];
const LAYER_DIRS = ['usr/lib', 'usr/bin', 'etc', 'usr/share/doc', 'usr/lib/python3.11/site-packages', 'app', 'app/node_modules', 'var/lib/apt/lists', 'tmp', 'root'];

/** Epoch seconds of a UTC date. */
const epoch = (iso: string): number => Math.floor(Date.parse(iso) / 1000);
const INSTALL = epoch('2024-03-04T10:00:00Z');
const NOW = epoch('2026-11-29T06:00:00Z');

export interface GeneratedBodyfile {
  file: string;
  lines: number;
  bytes: number;
  /** Lines with at least one non-zero time, and the non-zero times (= the events merge makes). */
  timedLines: number;
  times: number;
  underDataRoot: number;
  genMs: number;
}

/**
 * Write `lines` bodyfile lines in `fls -r -m /` order (a folder line, then its entries) to `file`.
 */
export function generateBodyfile(file: string, lines: number, seed: number, lab: LabLayout): GeneratedBodyfile {
  const t0 = performance.now();
  const rng = new Rng(seed);
  const fd = openSync(file, 'w');
  let chunk = '';
  let bytes = 0;
  let n = 0;
  let timedLines = 0;
  let times = 0;
  let underDataRoot = 0;
  let inode = 2;
  const flush = (): void => {
    const b = Buffer.from(chunk, 'utf8');
    writeSync(fd, b);
    bytes += b.length;
    chunk = '';
  };
  /** A time column: whole seconds mostly, a nanosecond fraction on ~30 % (newer fls, ext4 ns times). */
  const time = (sec: number): string => (sec === 0 ? '0' : rng.chance(0.3) ? `${sec}.${String(rng.int(0, 999_999_999)).padStart(9, '0')}` : String(sec));
  const line = (name: string, mode: string, uid: number, gid: number, size: number, t: [number, number, number, number], ino = inode++): void => {
    if (n >= lines) return;
    const nz = t.filter((x) => x !== 0).length;
    if (nz) { timedLines++; times += nz; }
    if (name.startsWith(HOST_DATA_ROOT + '/')) underDataRoot++;
    chunk += `0|${name}|${ino}|${mode}|${uid}|${gid}|${size}|${time(t[0])}|${time(t[1])}|${time(t[2])}|${time(t[3])}\n`;
    n++;
    if (chunk.length > 8 * MB) flush();
  };
  /** atime, mtime, ctime, crtime of a file installed at `base` (built up to 700 days before, read since). */
  const fileTimes = (base: number): [number, number, number, number] => {
    const mtime = base - rng.int(0, 700 * 86400);
    const ctime = base + rng.int(0, 3600);
    const crtime = rng.chance(0.05) ? 0 : ctime - rng.int(0, 2); // some file systems / old fls: no birth time
    const atime = rng.chance(0.6) ? ctime : rng.int(ctime, Math.max(ctime, NOW));
    return [atime, mtime, ctime, crtime];
  };
  const fileName = (): string => {
    const r = rng.next() % 1000;
    if (r < 2) return `${rng.pick(STEMS)}\\|${rng.pick(STEMS)}`; // newer fls escapes |
    if (r < 3) return `${rng.pick(STEMS)}|${rng.pick(STEMS)}.txt`; // fls 4.11 leaves it as it is
    if (r < 15) return `${rng.pick(ODD)}${rng.pick(EXTS)}`;
    return `${rng.pick(STEMS)}${rng.next() % 4 === 0 ? `-${rng.int(1, 999)}` : ''}${rng.pick(EXTS)}`;
  };
  /** One folder and its entries. */
  const folder = (dir: string, base: number, owner: number, count: number): void => {
    line(dir, 'd/drwxr-xr-x', owner, owner, 4096, fileTimes(base));
    for (let i = 0; i < count && n < lines; i++) {
      const name = `${dir}/${fileName()}`;
      const r = rng.next() % 1000;
      if (r < 10) {
        // deleted: fls marks the name, the inode may be reused
        const t = fileTimes(base);
        line(`${name} (${r < 2 ? 'deleted-realloc' : 'deleted'})`, 'r/rrw-r--r--', owner, owner, rng.int(0, 1 << 20), r < 5 ? [0, 0, t[2], 0] : t, rng.int(2, inode));
      } else if (r < 60) {
        line(`${name} -> ../lib/${rng.pick(STEMS)}.so.${rng.int(1, 9)}`, 'l/lrwxrwxrwx', 0, 0, rng.int(8, 60), fileTimes(base));
      } else {
        line(name, rng.chance(0.15) ? 'r/rrwxr-xr-x' : 'r/rrw-r--r--', owner, owner, rng.int(0, 4 << 20), fileTimes(base));
      }
    }
  };
  line('/', 'd/drwxr-xr-x', 0, 0, 4096, fileTimes(INSTALL));
  while (n < lines) {
    const r = rng.next() % 100;
    const count = rng.int(3, 60);
    if (r < 45) {
      folder(`/usr/${rng.pick(DIRS_USR)}${rng.chance(0.5) ? `/${rng.pick(PACKAGES)}` : ''}`, INSTALL + rng.int(0, 800) * 86400, 0, count);
    } else if (r < 50) {
      folder(`/etc/${rng.pick(['', 'systemd/system/', 'apt/', 'ssl/certs/'])}${rng.pick(PACKAGES)}`, INSTALL, 0, count);
    } else if (r < 55) {
      const u = rng.pick(USERS);
      folder(`/home/${u}/${rng.pick(['.cache', 'src', 'Downloads', '.local/share', 'projects/app'])}`, INSTALL + rng.int(0, 900) * 86400, 1000 + USERS.indexOf(u), count);
    } else if (r < 58) {
      folder(`/var/log/${rng.pick(['', 'apt/', 'journal/3f2a'])}${rng.pick(PACKAGES)}`, NOW - rng.int(0, 90) * 86400, 0, count);
    } else if (r < 93 && lab.layers.length) {
      // image and container layers: whole distributions under overlay2/<layer>/diff
      const layer = rng.pick(lab.layers);
      folder(`${HOST_DATA_ROOT}/overlay2/${layer}/diff/${rng.pick(LAYER_DIRS)}${rng.chance(0.5) ? `/${rng.pick(PACKAGES)}` : ''}`, INSTALL + rng.int(0, 900) * 86400, 0, count);
    } else if (r < 94 && lab.layers.length) {
      const layer = rng.pick(lab.layers);
      folder(`${HOST_DATA_ROOT}/overlay2/${layer}`, INSTALL, 0, 3);
    } else if (r < 96 && lab.containers.length) {
      const c = rng.pick(lab.containers);
      const dir = `${HOST_DATA_ROOT}/containers/${c}`;
      line(dir, 'd/drwx--x---', 0, 0, 4096, fileTimes(INSTALL));
      for (const f of ['config.v2.json', 'hostconfig.json', 'hostname', 'hosts', 'resolv.conf', `${c}-json.log`]) line(`${dir}/${f}`, 'r/rrw-r--r--', 0, 0, rng.int(10, 1 << 20), fileTimes(NOW - rng.int(0, 30) * 86400));
    } else if (r < 97 && lab.volumes.length) {
      folder(`${HOST_DATA_ROOT}/volumes/${rng.pick(lab.volumes)}/_data/${rng.pick(['uploads', 'db', 'cache'])}`, NOW - rng.int(0, 60) * 86400, 999, count);
    } else if (r < 98) {
      // what fls lists under $OrphanFiles: no times at all
      const o = inode++;
      line(`/$OrphanFiles/OrphanFile-${o} (deleted)`, '-/----------', 0, 0, 0, [0, 0, 0, 0], o);
    } else {
      folder(`/tmp/${rng.pick(['', '.X11-unix/', 'systemd-private-1/'])}${rng.pick(STEMS)}`, NOW - rng.int(0, 5) * 86400, rng.pick([0, 1000]), count);
    }
  }
  if (chunk) flush();
  closeSync(fd);
  return { file, lines: n, bytes, timedLines, times, underDataRoot, genMs: performance.now() - t0 };
}

// ---------------------------------------------------------------------------------------------
// The measurement

function parseCli() {
  const { values: opt } = parseArgs({
    options: {
      lines: { type: 'string', default: String(TARGET.lines) },
      runs: { type: 'string', default: '1' },
      format: { type: 'string', default: 'l2tcsv' },
      body: { type: 'string' },
      tool: { type: 'string' },
      'sort-memory': { type: 'string' },
      profile: { type: 'boolean', default: false },
      top: { type: 'string', default: '20' },
      keep: { type: 'boolean', default: false },
      tmp: { type: 'string' },
      seed: { type: 'string', default: '20261129' },
      out: { type: 'string', default: path.join(BENCH_DIR, 'out') },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  return opt;
}

const log = (s: string): void => { process.stderr.write(s + '\n'); };
const fmt = (n: number | null | undefined, d = 1): string => (n === null || n === undefined || Number.isNaN(n) ? '?' : n.toFixed(d));

function git(args: string[]): string {
  try { return execFileSync('git', args, { cwd: REPO_DIR, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(); } catch { return ''; }
}

async function main(): Promise<void> {
  const opt = parseCli();
  if (opt.help) {
    process.stdout.write(`usage: npx tsx bench/merge-bodyfile.ts [options]
  --lines N         bodyfile lines to generate (default ${TARGET.lines})
  --runs N          measure the merge N times, keep the fastest (default 1)
  --format F        merge output format (default l2tcsv)
  --body FILE       merge this bodyfile instead of generating one (a --keep run's, or a real one)
  --tool DIR        run DIR/bin/docker-timeline.js (default: the working tree)
  --sort-memory MB  pass --sort-memory to merge (default: the tool's default)
  --profile         also run the merge once under node --cpu-prof and summarise it
  --top N           profile entries to print (default 20)
  --keep            keep the temporary folder (bodyfile, extraction, output)
  --tmp DIR         where the temporary folder goes (default ${os.tmpdir()})
  --seed N          generator seed (default 20261129)
  --out DIR         where results go (default bench/out)
`);
    return;
  }
  const lines = Math.floor(Number(opt.lines));
  if (!(lines > 0)) throw new Error(`--lines must be a positive number, not ${opt.lines}`);
  const runs = Math.max(1, Number(opt.runs) || 1);
  const toolDir = path.resolve(opt.tool ?? REPO_DIR);
  const bin = path.join(toolDir, 'bin', 'docker-timeline.js');
  const work = mkdtempSync(path.join(opt.tmp ?? os.tmpdir(), 'docker-timeline-merge-bench-'));
  const cleanup = (): void => { if (!opt.keep) rmSync(work, { recursive: true, force: true }); };
  process.on('SIGINT', () => { cleanup(); process.exit(130); });
  process.on('SIGTERM', () => { cleanup(); process.exit(143); });
  try {
    // 1. the bodyfile
    let body: GeneratedBodyfile;
    if (opt.body) {
      const file = path.resolve(opt.body);
      body = { file, lines: 0, bytes: statSync(file).size, timedLines: 0, times: 0, underDataRoot: 0, genMs: 0 };
      log(`bodyfile: ${file} (${fmt(body.bytes / MB)} MB, reused)`);
    } else {
      const lab = await labLayout(LAB_TARBALL);
      log(`generating ${lines} bodyfile lines (lab layout: ${lab.layers.length} overlay2 layers, ${lab.containers.length} containers, ${lab.volumes.length} volumes) ...`);
      body = generateBodyfile(path.join(work, 'host.body'), lines, Number(opt.seed), lab);
      log(`  ${fmt(body.bytes / MB)} MB, ${body.lines} lines (${body.timedLines} with a time, ${body.underDataRoot} under ${HOST_DATA_ROOT}), ${body.times} non-zero times, in ${fmt(body.genMs / 1000)} s`);
    }

    // 2. the lab extraction (not measured)
    const extraction = path.join(work, 'extraction.jsonl');
    log(`extract ${path.relative(REPO_DIR, LAB_TARBALL)} --format jsonl ...`);
    try {
      execFileSync(process.execPath, [bin, 'extract', LAB_TARBALL, '-o', extraction, '--format', 'jsonl', '-q'], { cwd: toolDir, stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      const status = (e as { status?: number }).status;
      if (status !== 3) throw e; // 3: complete, with warnings (the lab evidence has some)
    }
    const extractionEvents = readFileSync(extraction, 'utf8').split('\n').filter(Boolean).length;
    log(`  ${extractionEvents} events`);

    // 3. the merge, measured
    const mergeArgs = (out: string, spill: string): string[] => [
      bin, 'merge', body.file, extraction, '--evidence', LAB_TARBALL, '-o', out, '--format', opt.format, '--tmp-dir', spill,
      ...(opt['sort-memory'] ? ['--sort-memory', opt['sort-memory']] : []),
    ];
    const one = async (i: number, nodeArgs: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<{ run: Measured; events: number | null; outMb: number }> => {
      const out = path.join(work, `merged-${i}.${opt.format === 'jsonl' ? 'jsonl' : opt.format === 'bodyfile' ? 'body' : 'csv'}`);
      const spill = path.join(work, `spill-${i}`);
      mkdirSync(spill, { recursive: true });
      const run = await measure({ args: [...nodeArgs, ...mergeArgs(out, spill)], peakFile: path.join(work, `peak-${i}.json`), spillDir: spill, outputFile: out, cwd: toolDir, env });
      if (run.exitCode !== 0 && run.exitCode !== 3) throw new Error(`merge failed (exit ${run.exitCode}, signal ${run.signal}):\n${run.stderr}`);
      const m = /(\d+) event\(s\) written/.exec(run.stderr);
      let outMb = 0;
      try { outMb = statSync(out).size / MB; } catch { /* none */ }
      if (!opt.keep) rmSync(out, { force: true });
      rmSync(spill, { recursive: true, force: true });
      return { run, events: m ? Number(m[1]) : null, outMb };
    };
    const results: Awaited<ReturnType<typeof one>>[] = [];
    for (let i = 0; i < runs; i++) {
      log(`run ${i + 1}/${runs}: merge --format ${opt.format} ...`);
      const r = await one(i);
      results.push(r);
      log(`  ${fmt(r.run.wallMs / 1000, 2)} s, ${r.events} events, ${fmt((r.events ?? NaN) / (r.run.wallMs / 1000), 0)} events/s, peak RSS ${fmt(r.run.peakRssMb, 0)} MB, CPU ${fmt(((r.run.userCpuMs ?? NaN) + (r.run.systemCpuMs ?? 0)) / 1000, 1)} s, other load ${fmt(r.run.otherLoadCores, 2)} cores`);
    }
    const best = results.reduce((a, b) => (b.run.wallMs < a.run.wallMs ? b : a));
    const worstRss = Math.max(...results.map((r) => r.run.peakRssMb));
    const wallS = best.run.wallMs / 1000;
    const cpuS = best.run.userCpuMs === null ? null : (best.run.userCpuMs + (best.run.systemCpuMs ?? 0)) / 1000;
    const row = {
      format: opt.format,
      wallS, allWallS: results.map((r) => r.run.wallMs / 1000),
      events: best.events,
      eventsPerS: best.events === null ? null : best.events / wallS,
      eventsPerCpuS: best.events === null || cpuS === null ? null : best.events / cpuS,
      linesPerS: body.lines ? body.lines / wallS : null,
      bodyMbPerS: body.bytes / MB / wallS,
      peakRssMb: best.run.peakRssMb,
      highestPeakRssMb: worstRss,
      peakRssReadPhaseMb: best.run.peakRssBeforeOutputMb,
      peakRssOutputPhaseMb: best.run.peakRssAfterOutputMb,
      readPhaseS: best.run.firstOutputMs === null ? null : best.run.firstOutputMs / 1000,
      outputPhaseS: best.run.firstOutputMs === null ? null : (best.run.wallMs - best.run.firstOutputMs) / 1000,
      cpuS, userCpuS: best.run.userCpuMs === null ? null : best.run.userCpuMs / 1000,
      spillRuns: best.run.spillRuns, spillMb: best.run.spillMb, outputMb: best.outMb,
      otherLoadCores: best.run.otherLoadCores, allOtherLoadCores: results.map((r) => r.run.otherLoadCores),
      exitCode: best.run.exitCode,
    };
    const fullSize = body.lines === 0 || body.lines >= TARGET.lines * 0.95;
    const check = { target: `peak RSS < ${TARGET.rssMb} MB (for ${TARGET.lines} bodyfile lines)`, value: worstRss, pass: worstRss < TARGET.rssMb, note: fullSize ? undefined : `measured on ${body.lines} lines` };

    const head = ['', 'wall s', 'events', 'events/s', 'events/CPU s', 'MB/s', 'peak RSS MB', 'RSS read/output', 'CPU s', 'read s', 'sort+write s', 'spill runs/MB', 'output MB', 'other load'];
    const cells = [`merge ${opt.format}`, fmt(row.wallS, 2), String(row.events ?? '?'), fmt(row.eventsPerS, 0), fmt(row.eventsPerCpuS, 0), fmt(row.bodyMbPerS), fmt(row.peakRssMb, 0),
      `${fmt(row.peakRssReadPhaseMb, 0)}/${fmt(row.peakRssOutputPhaseMb, 0)}`, fmt(row.cpuS, 1), fmt(row.readPhaseS, 1), fmt(row.outputPhaseS, 1), `${row.spillRuns}/${fmt(row.spillMb, 0)}`, fmt(row.outputMb, 0), fmt(row.otherLoadCores, 2)];
    const widths = head.map((h, c) => Math.max(h.length, cells[c]!.length));
    const render = [head, cells].map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n');
    const title = `docker-timeline merge bench: bodyfile of ${body.lines || '?'} lines (${fmt(body.bytes / MB, 0)} MB) + lab extraction (${extractionEvents} events), --evidence ${path.relative(REPO_DIR, LAB_TARBALL)}; node ${process.version}, ${os.cpus().length} CPUs, best of ${runs} run(s); MB = 2^20 bytes; RSS read/output = highest polled RSS before/after the first output byte`;
    process.stdout.write(`\n${title}\n\n${render}\n\ntarget:\n  ${check.pass ? 'PASS' : 'FAIL'}  ${check.target}: ${fmt(check.value, 0)} MB${check.note ? ` (${check.note})` : ''}\n`);

    // profile
    let profile: { file: string; text: string } | null = null;
    if (opt.profile) {
      log('profiling one merge (node --cpu-prof) ...');
      const profDir = path.join(work, 'prof');
      const tsxTmp = path.join(work, 'prof-tmp'); // fresh TMPDIR: tsx's cache holds exactly this run's transforms
      mkdirSync(tsxTmp, { recursive: true });
      await one(999, ['--cpu-prof', '--cpu-prof-dir', profDir], { TMPDIR: tsxTmp });
      const file = mainProfileIn(profDir);
      const cache = tsxCacheIn(tsxTmp);
      if (!file || !cache) {
        log(`  no profile (${file ?? 'no .cpuprofile'}, ${cache ?? 'no tsx cache'})`);
      } else {
        const s = summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, loadTsxMaps(cache), toolDir, Number(opt.top) || 20);
        mkdirSync(opt.out, { recursive: true });
        const kept = path.join(opt.out, 'merge-bodyfile.cpuprofile');
        copyFileSync(file, kept);
        const text = formatSummary(s);
        writeFileSync(path.join(opt.out, 'merge-bodyfile-profile.txt'), text + '\n');
        process.stdout.write(`\n${text}\n(profile kept as ${path.relative(REPO_DIR, kept)})\n`);
        profile = { file: kept, text };
      }
    }

    const result = {
      date: new Date().toISOString(),
      machine: { node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? '', memMb: Math.round(os.totalmem() / MB) },
      git: { commit: git(['rev-parse', 'HEAD']), dirtySrc: git(['status', '--porcelain', '--', 'src', 'bin']) !== '' },
      tool: toolDir,
      bodyfile: { ...body, mb: body.bytes / MB, reused: Boolean(opt.body) },
      extraction: { file: path.relative(REPO_DIR, LAB_TARBALL), events: extractionEvents },
      runs,
      result: row,
      target: check,
      profile: profile ? profile.file : null,
    };
    mkdirSync(opt.out, { recursive: true });
    const name = `merge-bodyfile-${body.lines || 'reused'}.json`;
    writeFileSync(path.join(opt.out, name), JSON.stringify(result, null, 2) + '\n');
    log(`\nresults: ${path.relative(REPO_DIR, path.join(opt.out, name))}`);
    if (opt.keep) log(`kept: ${work} (bodyfile: ${body.file}; reuse with --body ${body.file})`);
  } finally {
    cleanup();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.join(BENCH_DIR, 'merge-bodyfile.ts')) await main();
