/**
 * Throughput and memory benchmark of `docker-timeline extract` on a big json-file log.
 *
 *   npm run bench                         # 2048 MB log (takes several minutes)
 *   npm run bench -- --size-mb 200        # quick run
 *   npm run bench -- --size-mb 200 --profile --runs 3 --keep
 *
 * See bench/README.md for what is measured and the options.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateDataRoot, type GeneratedRoot } from './gen-dataroot.ts';
import { BENCH_DIR, measure, REPO_DIR, type Measured } from './measure.ts';
import { distIsFresh } from '../bin/fresh.js';
import { formatSummary, loadTsxMaps, mainProfileIn, summarizeProfile, tsxCacheIn, type CpuProfile, type ProfileSummary } from './profile-summary.ts';

const MB = 1024 * 1024;
const TARGET = { mbps: 100, ratio: 0.6, rssMb: 300, rssForLogMb: 2048 } as const;

const { values: opt } = parseArgs({
  options: {
    'size-mb': { type: 'string', default: '2048' },
    data: { type: 'string' },
    formats: { type: 'string', default: 'l2tcsv,jsonl' },
    runs: { type: 'string', default: '1' },
    profile: { type: 'boolean', default: false },
    live: { type: 'boolean', default: false },
    'from-source': { type: 'boolean', default: false },
    archive: { type: 'string', default: 'none' },
    rotation: { type: 'string', default: 'none' },
    'dev-null': { type: 'boolean', default: false },
    top: { type: 'string', default: '15' },
    keep: { type: 'boolean', default: false },
    tmp: { type: 'string' },
    seed: { type: 'string', default: '20261129' },
    out: { type: 'string', default: path.join(BENCH_DIR, 'out') },
    'merge-lines': { type: 'string', default: '5000000' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (opt.help) {
  process.stdout.write(`usage: npm run bench -- [options]
  --size-mb N       size of the synthetic json-file log (MiB, default 2048)
  --data DIR        reuse a data root made by an earlier --keep run (no generation)
  --formats LIST    tool output formats to measure (default l2tcsv,jsonl)
  --runs N          repeat every measurement N times and keep the fastest (default 1)
  --profile         also run the tool once (l2tcsv) under node --cpu-prof and summarise it
  --top N           profile entries to print (default 15; the .txt file gets 40)
  --keep            keep the temporary folder (data root, outputs, profile)
  --live            run the working tree's bin/ and src/ (default: a copy taken at start, so
                    edits made while the bench runs do not mix versions)
  --archive KIND    give the tool the data root as it is (none, default), or as a tar archive made
                    of it first (tar, tgz), read in place as a live-response archive is
  --rotation KIND   the log as it is (none, default), or as the rotated log <id>-json.log.1 (plain)
                    or <id>-json.log.1.gz (gz, as dockerd's compress=true leaves it), next to an
                    empty current log
  --dev-null        the tool writes its output to /dev/null (no page cache: on this VM, memory
                    new to the page cache is at times 3-10x slower to fill; see bench/README.md)
  --from-source     do not compile the copy: run the sources through tsx (default: compiled to
                    dist/ as npm ci does; the profile run always runs the sources)
  --tmp DIR         where the temporary folder goes (default ${os.tmpdir()})
  --seed N          generator seed (default 20261129)
  --out DIR         where results go (default bench/out)
  --merge-lines N   then the merge bench (bench/merge-bodyfile.ts): an N-line host bodyfile merged
                    with the lab extraction (default 5000000; 0 skips it)
`);
  process.exit(0);
}

const sizeMb = Number(opt['size-mb']);
const runs = Math.max(1, Number(opt.runs) || 1);
const formats = opt.formats.split(',').map((s) => s.trim()).filter(Boolean);
if (!(sizeMb > 0)) throw new Error(`--size-mb must be a positive number, not ${opt['size-mb']}`);

const work = mkdtempSync(path.join(opt.tmp ?? os.tmpdir(), 'docker-timeline-bench-'));
const cleanup = (): void => {
  if (!opt.keep) rmSync(work, { recursive: true, force: true });
};
process.on('SIGINT', () => { cleanup(); process.exit(130); });
process.on('SIGTERM', () => { cleanup(); process.exit(143); });

const log = (s: string): void => { process.stderr.write(s + '\n'); };
const fmt = (n: number, d = 1): string => n.toFixed(d);

function git(args: string[]): string {
  try { return execFileSync('git', args, { cwd: REPO_DIR, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(); } catch { return ''; }
}

/** Hash of the tool's sources (bin/, src/, package.json) as they are now. */
function sourceHash(dir: string): string {
  const h = createHash('sha256');
  const walk = (rel: string): void => {
    const abs = path.join(dir, rel);
    if (statSync(abs).isDirectory()) {
      for (const n of readdirSync(abs).sort()) walk(path.join(rel, n));
    } else {
      h.update(rel + '\0').update(readFileSync(abs)).update('\0');
    }
  };
  for (const r of ['bin', 'src', 'package.json']) walk(r);
  return h.digest('hex').slice(0, 16);
}

/**
 * The tool to measure. By default a copy of bin/, src/ and package.json taken now (node_modules
 * linked), so that edits to the working tree while the bench runs do not mix versions between
 * runs and the profile; `--live` runs the working tree itself.
 */
function toolDir(): string {
  if (opt.live) return REPO_DIR;
  const dir = path.join(work, 'tool');
  mkdirSync(dir, { recursive: true });
  for (const r of ['bin', 'src']) cpSync(path.join(REPO_DIR, r), path.join(dir, r), { recursive: true });
  for (const f of ['package.json', 'tsconfig.json', 'tsconfig.build.json']) copyFileSync(path.join(REPO_DIR, f), path.join(dir, f));
  symlinkSync(path.join(REPO_DIR, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  // compiled as `npm ci` compiles it (bin/build.js), unless --from-source
  if (!opt['from-source']) execFileSync(process.execPath, [path.join(dir, 'bin', 'build.js')], { stdio: 'inherit' });
  return dir;
}

/** Data root: generated, or reused from --data. */
function prepare(): GeneratedRoot {
  if (opt.data) {
    const root = path.resolve(opt.data);
    const cdir = path.join(root, 'containers');
    const id = readdirSync(cdir).find((n) => /^[0-9a-f]{64}$/.test(n));
    if (!id) throw new Error(`${cdir} holds no container`);
    const logPath = path.join(cdir, id, `${id}-json.log`);
    return { root, containerId: id, logPath, logBytes: statSync(logPath).size, lines: 0, stderrLines: 0, firstTime: '', lastTime: '', genMs: 0 };
  }
  log(`generating a ${sizeMb} MB json-file log under ${work} ...`);
  let next = 256 * MB;
  const g = generateDataRoot({
    dir: work, sizeBytes: Math.round(sizeMb * MB), seed: Number(opt.seed),
    onProgress: (b) => { if (b >= next) { log(`  ${Math.round(b / MB)} MB`); next += 256 * MB; } },
  });
  log(`  ${fmt(g.logBytes / MB)} MB, ${g.lines} lines (${g.stderrLines} stderr), ${g.firstTime} .. ${g.lastTime}, in ${fmt(g.genMs / 1000)} s (${fmt(g.logBytes / MB / (g.genMs / 1000), 0)} MB/s)`);
  return g;
}

interface BareResult { run: Measured; bytes: number; lines: number; loopMs: number }

async function bare(g: GeneratedRoot, i: number): Promise<BareResult> {
  const run = await measure({
    args: [path.join(BENCH_DIR, 'bare-loop.js'), g.logPath],
    peakFile: path.join(work, `peak-bare-${i}.json`),
  });
  if (run.exitCode !== 0) throw new Error(`bare loop failed (${run.exitCode}): ${run.stderr}`);
  const r = JSON.parse(run.stdout.trim().split('\n').pop()!) as { bytes: number; lines: number; loopMs: number };
  return { run, ...r };
}

/** What the tool is run on: the data root, or a tar archive of it (--archive). */
let evidence = '';

/** The data root with its log made a rotation (--rotation plain|gz), in a copy of its own. */
function rotatedOf(root: string): string {
  if (opt.rotation === 'none') return root;
  if (opt.rotation !== 'plain' && opt.rotation !== 'gz') throw new Error(`--rotation must be none, plain or gz, not ${opt.rotation}`);
  const copy = path.join(work, 'rotated');
  execFileSync('cp', ['-r', root, copy]);
  const containers = path.join(copy, 'containers');
  for (const id of readdirSync(containers)) {
    const logFile = path.join(containers, id, `${id}-json.log`);
    if (!existsSync(logFile)) continue;
    log(`making ${path.basename(logFile)}.1${opt.rotation === 'gz' ? '.gz' : ''} of the log ...`);
    if (opt.rotation === 'plain') renameSync(logFile, `${logFile}.1`);
    else execFileSync('sh', ['-c', 'gzip -c "$1" > "$1.1.gz" && rm "$1"', 'sh', logFile]);
    writeFileSync(logFile, '');
  }
  return copy;
}

function archiveOf(root: string): string {
  if (opt.archive === 'none') return root;
  if (opt.archive !== 'tar' && opt.archive !== 'tgz') throw new Error(`--archive must be none, tar or tgz, not ${opt.archive}`);
  const file = path.join(work, `evidence.${opt.archive === 'tar' ? 'tar' : 'tar.gz'}`);
  log(`making ${path.basename(file)} of the data root ...`);
  execFileSync('tar', ['--format=posix', '-C', root, opt.archive === 'tgz' ? '-czf' : '-cf', file, '.']);
  return file;
}

interface ToolResult { run: Measured; events: number | null; outputMb: number }

async function tool(g: GeneratedRoot, dir: string, format: string, i: number, extraNodeArgs: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<ToolResult> {
  const out = opt['dev-null'] ? '/dev/null' : path.join(work, `out-${format}-${i}.${format === 'jsonl' ? 'jsonl' : 'csv'}`);
  const spill = path.join(work, `spill-${format}-${i}`);
  mkdirSync(spill, { recursive: true });
  const run = await measure({
    args: [...extraNodeArgs, path.join(dir, 'bin', 'docker-timeline.js'), 'extract', evidence, '-o', out, '--format', format, '-q', '--tmp-dir', spill],
    peakFile: path.join(work, `peak-${format}-${i}.json`),
    spillDir: spill,
    outputFile: out,
    cwd: dir,
    env,
  });
  if (run.exitCode !== 0 && run.exitCode !== 3) throw new Error(`docker-timeline ${format} failed (exit ${run.exitCode}, signal ${run.signal}):\n${run.stderr}`);
  const m = /(\d+) event\(s\) written/.exec(run.stderr);
  let outputMb = 0;
  try { outputMb = statSync(out).size / MB; } catch { /* none */ }
  if (!opt.keep && out !== '/dev/null') rmSync(out, { force: true });
  rmSync(spill, { recursive: true, force: true });
  if (run.exitCode === 3) log(`  note: ${format} run ended with warnings:\n${run.stderr.split('\n').slice(0, 5).map((l) => '    ' + l).join('\n')}`);
  return { run, events: m ? Number(m[1]) : null, outputMb };
}

const best = <T extends { run: Measured }>(xs: T[]): T => xs.reduce((a, b) => (b.run.wallMs < a.run.wallMs ? b : a));

async function main(): Promise<void> {
  const g = prepare();
  evidence = archiveOf(rotatedOf(g.root));
  // the commit and state of the working tree the tool copy is taken from (HEAD may move while the bench runs)
  const gitAtStart = { commit: git(['rev-parse', 'HEAD']), dirtySrc: git(['status', '--porcelain', '--', 'src', 'bin']) !== '' };
  const dir = toolDir();
  const srcAtStart = sourceHash(dir);
  const srcLive = sourceHash(REPO_DIR);
  const runtime = distIsFresh(dir) ? 'compiled (dist/)' : 'sources through tsx';
  log(`tool: ${opt.live ? 'working tree (--live)' : `copy of the working tree in ${dir}`}, sources ${srcAtStart}, runs ${runtime}`);
  const logMb = g.logBytes / MB;
  const bares: BareResult[] = [];
  const tools = new Map<string, ToolResult[]>(formats.map((f) => [f, []]));
  for (let i = 0; i < runs; i++) {
    log(`run ${i + 1}/${runs}: bare loop ...`);
    const b = await bare(g, i);
    bares.push(b);
    log(`  ${fmt(b.run.wallMs / 1000, 2)} s (loop ${fmt(b.loopMs / 1000, 2)} s), ${fmt(logMb / (b.run.wallMs / 1000))} MB/s, peak RSS ${fmt(b.run.peakRssMb, 0)} MB, other load ${fmt(b.run.otherLoadCores ?? NaN, 2)} cores`);
    for (const f of formats) {
      log(`run ${i + 1}/${runs}: docker-timeline --format ${f} ...`);
      const t = await tool(g, dir, f, i);
      tools.get(f)!.push(t);
      log(`  ${fmt(t.run.wallMs / 1000, 2)} s, ${fmt(logMb / (t.run.wallMs / 1000))} MB/s, peak RSS ${fmt(t.run.peakRssMb, 0)} MB, ${t.events} events, ${t.run.spillRuns} spill runs, other load ${fmt(t.run.otherLoadCores ?? NaN, 2)} cores`);
    }
  }
  const lines = g.lines || bares[0]!.lines;
  const b = best(bares);
  const bareMbps = logMb / (b.run.wallMs / 1000);
  const bareLoopMbps = logMb / (b.loopMs / 1000);

  const cpuS = (m: Measured): number | null => (m.userCpuMs === null ? null : (m.userCpuMs + (m.systemCpuMs ?? 0)) / 1000);
  const rows = [...tools.entries()].map(([format, ts]) => {
    const t = best(ts);
    const mbps = logMb / (t.run.wallMs / 1000);
    const extractMs = t.run.firstOutputMs;
    return {
      format,
      wallS: t.run.wallMs / 1000,
      allWallS: ts.map((x) => x.run.wallMs / 1000),
      mbps,
      ratio: mbps / bareMbps,
      ratioToBareLoopOnly: mbps / bareLoopMbps,
      peakRssMb: t.run.peakRssMb,
      polledPeakRssMb: t.run.polledPeakRssMb,
      hookPeakRssMb: t.run.hookPeakRssMb,
      peakRssExtractPhaseMb: t.run.peakRssBeforeOutputMb,
      peakRssOutputPhaseMb: t.run.peakRssAfterOutputMb,
      otherLoadCores: t.run.otherLoadCores,
      allOtherLoadCores: ts.map((x) => x.run.otherLoadCores),
      cpuS: cpuS(t.run),
      userCpuS: t.run.userCpuMs === null ? null : t.run.userCpuMs / 1000,
      systemCpuS: t.run.systemCpuMs === null ? null : t.run.systemCpuMs / 1000,
      events: t.events,
      eventsPerS: t.events === null ? null : t.events / (t.run.wallMs / 1000),
      extractPhaseS: extractMs === null ? null : extractMs / 1000,
      outputPhaseS: extractMs === null ? null : (t.run.wallMs - extractMs) / 1000,
      spillRuns: t.run.spillRuns,
      spillMb: t.run.spillMb,
      outputMb: t.outputMb,
      exitCode: t.run.exitCode,
    };
  });

  const checks = rows.filter((r) => r.format === 'l2tcsv').flatMap((r) => [
    { target: `l2tcsv >= ${TARGET.mbps} MB/s of log`, value: r.mbps, pass: r.mbps >= TARGET.mbps },
    { target: `l2tcsv >= ${TARGET.ratio} of the bare loop`, value: r.ratio, pass: r.ratio >= TARGET.ratio },
    { target: `peak RSS < ${TARGET.rssMb} MB (for a ${TARGET.rssForLogMb} MB log)`, value: r.peakRssMb, pass: r.peakRssMb < TARGET.rssMb, note: logMb < TARGET.rssForLogMb * 0.95 ? `measured on a ${fmt(logMb, 0)} MB log` : undefined },
  ]);

  // ---- table
  const head = ['', 'wall s', 'MB/s', 'ratio', 'peak RSS MB', 'RSS extract/output', 'CPU s', 'events', 'extract s', 'sort+write s', 'spill runs/MB', 'output MB', 'other load'];
  const table: string[][] = [head];
  table.push(['bare loop (process)', fmt(b.run.wallMs / 1000, 2), fmt(bareMbps), '1.00', fmt(b.run.peakRssMb, 0), '', fmt(cpuS(b.run) ?? NaN, 2), String(b.lines), '', '', '', '', fmt(b.run.otherLoadCores ?? NaN, 2)]);
  table.push(['bare loop (loop only)', fmt(b.loopMs / 1000, 2), fmt(bareLoopMbps), fmt(bareLoopMbps / bareMbps, 2), '', '', '', '', '', '', '', '', '']);
  for (const r of rows) {
    table.push([`docker-timeline ${r.format}`, fmt(r.wallS, 2), fmt(r.mbps), fmt(r.ratio, 2), fmt(r.peakRssMb, 0),
      `${fmt(r.peakRssExtractPhaseMb, 0)}/${r.peakRssOutputPhaseMb === null ? '?' : fmt(r.peakRssOutputPhaseMb, 0)}`, r.cpuS === null ? '?' : fmt(r.cpuS, 2), String(r.events ?? '?'),
      r.extractPhaseS === null ? '?' : fmt(r.extractPhaseS, 1), r.outputPhaseS === null ? '?' : fmt(r.outputPhaseS, 1), `${r.spillRuns}/${fmt(r.spillMb, 0)}`, fmt(r.outputMb, 0),
      fmt(r.otherLoadCores ?? NaN, 2)]);
  }
  const widths = head.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  const render = table.map((row) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n');
  const title = `docker-timeline bench: ${fmt(logMb, 0)} MB json-file log, ${lines} lines; node ${process.version}, ${os.cpus().length} CPUs, best of ${runs} run(s); tool ${runtime}; evidence ${opt.archive === 'none' ? 'directory' : opt.archive}${opt.rotation === 'none' ? '' : `, the log as rotation ${opt.rotation === 'gz' ? '.1.gz' : '.1'}`}; output ${opt['dev-null'] ? '/dev/null' : 'a file'}; MB = 2^20 bytes; ratio = tool MB/s / bare loop (process) MB/s; RSS extract/output = highest polled RSS before/after the first output byte; other load = CPU cores busy with other processes meanwhile`;
  const checkText = checks.map((c) => `  ${c.pass ? 'PASS' : 'FAIL'}  ${c.target}: ${fmt(c.value, c.target.includes('bare') ? 2 : 1)}${c.note ? ` (${c.note})` : ''}`).join('\n');
  process.stdout.write(`\n${title}\n\n${render}\n\ntargets:\n${checkText}\n`);

  // ---- profile
  let profile: (ProfileSummary & { file: string; sources: string; sourceHash: string }) | null = null;
  if (opt.profile) {
    log('profiling one l2tcsv run (node --cpu-prof) ...');
    const profDir = path.join(work, 'prof');
    const tsxTmp = path.join(work, 'prof-tmp'); // fresh TMPDIR: tsx's cache then holds exactly this run's transforms
    mkdirSync(tsxTmp, { recursive: true });
    const t = await tool(g, dir, 'l2tcsv', 999, ['--cpu-prof', '--cpu-prof-dir', profDir], { TMPDIR: tsxTmp, DOCKER_TIMELINE_FROM_SOURCE: '1' });
    const file = mainProfileIn(profDir);
    const cache = tsxCacheIn(tsxTmp);
    if (!file || !cache) {
      log(`  no profile (${file ?? 'no .cpuprofile'}, ${cache ?? 'no tsx cache'})`);
    } else {
      const cpuProfile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
      const maps = loadTsxMaps(cache);
      const s = summarizeProfile(cpuProfile, maps, dir, Number(opt.top) || 15);
      const long = summarizeProfile(cpuProfile, maps, dir, 40);
      mkdirSync(opt.out, { recursive: true });
      const kept = path.join(opt.out, `profile-${Math.round(logMb)}mb.cpuprofile`);
      copyFileSync(file, kept);
      // the file:line above refer to these sources (the working tree may have moved on)
      const srcCopy = path.join(opt.out, `profile-${Math.round(logMb)}mb-src`);
      rmSync(srcCopy, { recursive: true, force: true });
      cpSync(path.join(dir, 'src'), srcCopy, { recursive: true });
      // and the source maps, to summarise the profile again: tsx bench/profile-summary.ts FILE --tsx-cache DIR
      // (they name the sources at their profiled path; re-run with the same --tmp/--keep, or read the .txt)
      const mapsCopy = path.join(opt.out, `profile-${Math.round(logMb)}mb-tsx-cache`);
      rmSync(mapsCopy, { recursive: true, force: true });
      cpSync(cache, mapsCopy, { recursive: true });
      profile = { ...s, file: kept, sources: srcCopy, sourceHash: srcAtStart };
      const text = `profiled l2tcsv run: ${fmt(t.run.wallMs / 1000, 2)} s wall (profiler on)\n${formatSummary(s)}`;
      writeFileSync(path.join(opt.out, `profile-${Math.round(logMb)}mb.txt`), `profiled l2tcsv run: ${fmt(t.run.wallMs / 1000, 2)} s wall (profiler on), sources ${srcAtStart}\n${formatSummary(long)}\n`);
      process.stdout.write(`\n${text}\n(profile kept as ${path.relative(REPO_DIR, kept)}, open it in Chrome DevTools > Performance; file:line refer to the sources copied to ${path.relative(REPO_DIR, srcCopy)})\n`);
    }
  }

  // ---- JSON
  const result = {
    date: new Date().toISOString(),
    machine: { node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? '', memMb: Math.round(os.totalmem() / MB), platform: `${os.platform()} ${os.release()}` },
    git: gitAtStart,
    tool: { dir: opt.live ? 'working tree (--live)' : 'copy of the working tree taken at start', runtime, evidence: opt.archive === 'none' ? 'directory' : opt.archive, rotation: opt.rotation, sourceHash: srcAtStart, workingTreeChangedDuringBench: sourceHash(REPO_DIR) !== srcLive },
    log: { mb: logMb, bytes: g.logBytes, lines, stderrLines: g.stderrLines || null, generatedS: g.genMs / 1000, firstTime: g.firstTime, lastTime: g.lastTime, reused: Boolean(opt.data) },
    runs,
    units: { mb: 1048576, ratio: 'tool MB/s divided by bare-loop (whole process) MB/s' },
    bareLoop: {
      wallS: b.run.wallMs / 1000, allWallS: bares.map((x) => x.run.wallMs / 1000), loopS: b.loopMs / 1000, mbps: bareMbps, loopOnlyMbps: bareLoopMbps,
      peakRssMb: b.run.peakRssMb, cpuS: cpuS(b.run), lines: b.lines, otherLoadCores: b.run.otherLoadCores,
    },
    results: rows,
    targets: checks,
    profile,
  };
  mkdirSync(opt.out, { recursive: true });
  const json = JSON.stringify(result, null, 2) + '\n';
  writeFileSync(path.join(opt.out, 'results.json'), json);
  writeFileSync(path.join(opt.out, `results-${Math.round(logMb)}mb.json`), json);
  log(`\nresults: ${path.relative(REPO_DIR, path.join(opt.out, 'results.json'))} (and results-${Math.round(logMb)}mb.json)`);
  if (opt.keep) log(`kept: ${work} (data root: ${g.root}; reuse with --data ${g.root})`);
}

try {
  await main();
} finally {
  cleanup();
}

// issue 5: the merge of a large host bodyfile, reported here too (its own script, its own results)
const mergeLines = Number(opt['merge-lines']);
if (mergeLines > 0) {
  log(`\nmerge bench: ${mergeLines} bodyfile lines (bench/merge-bodyfile.ts) ...`);
  const args = ['--import', 'tsx', path.join(BENCH_DIR, 'merge-bodyfile.ts'), '--lines', String(mergeLines), '--out', opt.out];
  if (opt.tmp) args.push('--tmp', opt.tmp);
  execFileSync(process.execPath, args, { stdio: 'inherit', cwd: REPO_DIR });
}
