/**
 * Memory of container drift (issue 3): a synthetic overlay2 data root whose image layers hold N files
 * (spread over many folders) and one container on it that adds, changes (content and metadata only),
 * deletes (whiteouts: 0/0 character devices, so this needs root) and hides (an opaque directory)
 * a few hundred of them. Runs
 *
 *   node bin/docker-timeline.js extract ROOT -o OUT --format jsonl -q --tmp-dir T
 *
 * under GNU time (`/usr/bin/time -v`), checks that the `container.drift` events are exactly the
 * expected changes (worked out here from what was generated, not by the tool's algorithm), and
 * reports peak RSS and wall time.
 *
 *   npx tsx bench/drift-layers.ts --files 300000
 *   npx tsx bench/drift-layers.ts --files 1000000 --keep        # keep the data root (printed)
 *   npx tsx bench/drift-layers.ts --data DIR                    # reuse a kept data root
 *   npx tsx bench/drift-layers.ts --files 10000 --upper-files 1000000   # the container's own layer holds 1 M files
 *
 * Options: --files N (default 300000), --tmp DIR (where the data root and scratch go; default
 * os.tmpdir()), --keep, --data DIR, --runs N (the lowest time, the lowest and highest peak), --after
 * (pass `--after <upper layer time>` so the N layer files' own time events are filtered before the
 * sorter: isolates drift from the sort of ~3N file-time events), --json FILE (write the results),
 * --upper-files M (default 0: the container itself also made M new files, 1000 per folder, under
 * `/srv/upper/`, all in its writable layer: each one and each of their folders is an expected `A`).
 * --files needs at least 10000: the other changes are picked in folders no whole-folder change uses.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, createReadStream, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const flag = (name: string): boolean => process.argv.includes(`--${name}`);

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
const FILES_PER_DIR = 1000;
const DIRS_PER_GROUP = 100;

interface Plan {
  files: number;
  upperFiles?: number;
  containerId: string;
  /** Seconds since the epoch just before the container's layer was written. */
  upperStart: number;
  expected: string[];
}

/** The path of lower file `i` (in-container). */
function lowerFile(i: number): string {
  const d = Math.floor(i / FILES_PER_DIR);
  const g = Math.floor(d / DIRS_PER_GROUP);
  return `/usr/share/bench/g${String(g).padStart(3, '0')}/d${String(d).padStart(4, '0')}/module_${String(i).padStart(7, '0')}.py`;
}
const parentOf = (p: string): string => p.slice(0, p.lastIndexOf('/')) || '/';
const ancestors = (p: string): string[] => {
  const out: string[] = [];
  for (let a = parentOf(p); a !== '/'; a = parentOf(a)) out.push(a);
  return out;
};

/** Deterministic pick of `count` distinct lower file indexes from [lo, hi), not in `used`. */
function pick(count: number, lo: number, hi: number, used: Set<number>, seed: number): number[] {
  const out: number[] = [];
  let x = seed >>> 0 || 1;
  while (out.length < count) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    const i = lo + (x % (hi - lo));
    if (used.has(i)) continue;
    used.add(i);
    out.push(i);
  }
  return out.sort((a, b) => a - b);
}

/** The path of file `i` the container made itself (`--upper-files`). */
function upperFile(i: number): string {
  const d = Math.floor(i / FILES_PER_DIR);
  const g = Math.floor(d / DIRS_PER_GROUP);
  return `/srv/upper/g${String(g).padStart(3, '0')}/d${String(d).padStart(4, '0')}/file_${String(i).padStart(7, '0')}.dat`;
}

function generate(base: string, files: number, upperFiles: number): Plan {
  const t0 = Date.now();
  const root = path.join(base, 'docker');
  const w = (rel: string, text: string): void => {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), text);
  };
  const containerId = sha('drift-bench-container');
  const mountId = sha('drift-bench-mount');
  const layers = [1, 2, 3].map((n) => ({ cache: sha(`cache-${n}`), diff: `sha256:${sha(`diff-${n}`)}` }));
  const chains: string[] = [];
  for (const l of layers) chains.push(chains.length ? `sha256:${sha(`${chains.at(-1)!} ${l.diff}`)}` : l.diff);
  const imageConfig = JSON.stringify({
    architecture: 'amd64', os: 'linux', created: '2026-01-01T00:00:00Z', config: { Cmd: ['sh'] },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diff) },
    history: layers.map((_, i) => ({ created: '2026-01-01T00:00:00Z', created_by: `/bin/sh -c make layer ${i + 1}` })),
  });
  const imageId = sha(imageConfig);
  w(`image/overlay2/imagedb/content/sha256/${imageId}`, imageConfig);
  w('image/overlay2/repositories.json', JSON.stringify({ Repositories: { 'drift-bench': { 'drift-bench:latest': `sha256:${imageId}` } } }));
  layers.forEach((l, i) => {
    const dir = `image/overlay2/layerdb/sha256/${chains[i]!.slice(7)}`;
    w(`${dir}/diff`, l.diff);
    w(`${dir}/cache-id`, l.cache);
    if (i) w(`${dir}/parent`, chains[i - 1]!);
  });
  w(`image/overlay2/layerdb/mounts/${containerId}/mount-id`, mountId);
  w(`image/overlay2/layerdb/mounts/${containerId}/init-id`, `${mountId}-init`);
  w(`image/overlay2/layerdb/mounts/${containerId}/parent`, chains.at(-1)!);
  w(`containers/${containerId}/config.v2.json`, JSON.stringify({
    ID: containerId, Created: '2026-01-02T03:04:05.123456789Z', Name: '/drift-bench', Driver: 'overlay2', Image: `sha256:${imageId}`,
    Path: 'sh', Args: [], Config: { Image: 'drift-bench:latest', Cmd: ['sh'] },
    State: { Running: false, StartedAt: '2026-01-02T03:04:06Z', FinishedAt: '2026-01-02T03:05:00Z' },
  }));
  w(`containers/${containerId}/hostconfig.json`, JSON.stringify({ NetworkMode: 'bridge' }));

  const layerDir = (id: string): string => path.join(root, 'overlay2', id, 'diff');
  const made = new Set<string>();
  const mkdirs = (abs: string): void => {
    if (made.has(abs)) return;
    mkdirSync(abs, { recursive: true });
    made.add(abs);
  };
  const put = (id: string, p: string, content = ''): string => {
    const abs = layerDir(id) + p;
    mkdirs(path.dirname(abs));
    writeFileSync(abs, content);
    return abs;
  };
  // image layers: 60 % of the files in layer 1, 40 % in layer 2; layer 3 rewrites and deletes a few of layer 1
  const split = Math.floor(files * 0.6);
  for (const id of layers.map((l) => l.cache)) mkdirs(layerDir(id));
  for (let i = 0; i < files; i++) {
    const abs = layerDir(i < split ? layers[0]!.cache : layers[1]!.cache) + lowerFile(i);
    const dir = abs.slice(0, abs.lastIndexOf('/'));
    if (!made.has(dir)) mkdirs(dir);
    closeSync(openSync(abs, 'w'));
    if (i % 100_000 === 99_999) process.stderr.write(`  ${i + 1} lower files\n`);
  }
  // folders the container deletes whole or makes opaque: no other change picks a file in them
  const dirCount = Math.ceil(files / FILES_PER_DIR);
  const goneDirIdx = [Math.floor(dirCount / 3), Math.floor((2 * dirCount) / 3)];
  const opaqueDirIdx = Math.floor(dirCount / 2) + (Math.floor(dirCount / 2) === goneDirIdx[0] ? 1 : 0);
  const used = new Set<number>();
  for (const d of [...goneDirIdx, opaqueDirIdx]) for (let i = d * FILES_PER_DIR; i < Math.min(files, (d + 1) * FILES_PER_DIR); i++) used.add(i);
  const whiteouts: string[] = []; // absolute paths of 0/0 character devices to make
  const l3Rewritten = pick(50, 0, split, used, 11);
  for (const i of l3Rewritten) put(layers[2]!.cache, lowerFile(i), 'rewritten in layer 3\n');
  const l3Deleted = pick(20, 0, split, used, 12);
  for (const i of l3Deleted) {
    const p = lowerFile(i);
    mkdirs(path.dirname(layerDir(layers[2]!.cache) + p));
    whiteouts.push(layerDir(layers[2]!.cache) + p);
  }
  // metadata-only changes need the lower and the upper mtime equal: set the lower one
  const metaOnly = pick(30, 0, files, used, 13);
  const fixedMtime = 1_700_000_000;
  for (const i of metaOnly) {
    const layer = i < split ? layers[0]!.cache : layers[1]!.cache;
    utimesSync(layerDir(layer) + lowerFile(i), fixedMtime, fixedMtime);
  }

  // init layer
  const init = `${mountId}-init`;
  mkdirs(layerDir(init));
  for (const f of ['/.dockerenv', '/etc/hosts', '/etc/hostname', '/etc/resolv.conf']) put(init, f);

  const upperStart = Math.floor(Date.now() / 1000) - 1;
  const expected = new Map<string, 'A' | 'C' | 'D'>();
  const changed = (p: string, k: 'A' | 'C' | 'D'): void => {
    expected.set(p, k);
  };
  mkdirs(layerDir(mountId));
  // content changes (copy-up with other content)
  for (const i of pick(60, 0, files, used, 21)) {
    put(mountId, lowerFile(i), `changed by the container ${i}\n`);
    changed(lowerFile(i), 'C');
  }
  // one of layer 3's rewritten files changed again
  put(mountId, lowerFile(l3Rewritten[0]!), 'changed again\n');
  changed(lowerFile(l3Rewritten[0]!), 'C');
  // metadata only: same (empty) content and mtime, other mode
  for (const i of metaOnly) {
    const abs = put(mountId, lowerFile(i));
    chmodSync(abs, 0o600);
    utimesSync(abs, fixedMtime, fixedMtime);
    changed(lowerFile(i), 'C');
  }
  // added files in existing folders
  for (const i of pick(100, 0, files, used, 22)) {
    const p = lowerFile(i).replace(/\.py$/, '.pyc.x');
    put(mountId, p, 'added\n');
    changed(p, 'A');
  }
  // a file layer 3 deleted, added again by the container
  put(mountId, lowerFile(l3Deleted[0]!), 'back\n');
  changed(lowerFile(l3Deleted[0]!), 'A');
  // a new folder tree
  changed('/opt', 'A');
  changed('/opt/newapp', 'A');
  for (let j = 0; j < 50; j++) {
    const p = `/opt/newapp/lib${j % 5}/part${j}.so`;
    put(mountId, p, 'x'.repeat(j));
    changed(p, 'A');
    changed(parentOf(p), 'A');
  }
  // deletions (whiteouts) of files and of two whole folders
  for (const i of pick(60, 0, files, used, 23)) {
    const p = lowerFile(i);
    mkdirs(path.dirname(layerDir(mountId) + p));
    whiteouts.push(layerDir(mountId) + p);
    changed(p, 'D');
  }
  const goneDirs = goneDirIdx.map((d) => parentOf(lowerFile(d * FILES_PER_DIR)));
  for (const d of goneDirs) {
    mkdirs(path.dirname(layerDir(mountId) + d));
    whiteouts.push(layerDir(mountId) + d);
    changed(d, 'D');
  }
  // an opaque folder (rm -rf DIR; mkdir DIR): every lower entry in it is deleted, three files are new, one has a lower name
  const opaqueFirst = opaqueDirIdx * FILES_PER_DIR;
  const opaqueDir = parentOf(lowerFile(opaqueFirst));
  const lowerInOpaque = Array.from({ length: Math.min(FILES_PER_DIR, files - opaqueFirst) }, (_, j) => lowerFile(opaqueFirst + j));
  mkdirs(layerDir(mountId) + opaqueDir);
  execFileSync('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', layerDir(mountId) + opaqueDir]);
  for (const p of lowerInOpaque) changed(p, 'D');
  for (const n of ['new1.py', 'new2.py']) {
    put(mountId, `${opaqueDir}/${n}`, 'new\n');
    changed(`${opaqueDir}/${n}`, 'A');
  }
  put(mountId, lowerInOpaque[0]!, 'same name, new file\n');
  changed(lowerInOpaque[0]!, 'C');
  changed(opaqueDir, 'C');
  // files the container made itself, in new folders of its writable layer
  for (let i = 0; i < upperFiles; i++) {
    const p = upperFile(i);
    const abs = layerDir(mountId) + p;
    const dir = abs.slice(0, abs.lastIndexOf('/'));
    if (!made.has(dir)) {
      mkdirs(dir);
      for (let a = parentOf(p); a !== '/'; a = parentOf(a)) changed(a, 'A');
    }
    closeSync(openSync(abs, 'w'));
    changed(p, 'A');
    if (i % 100_000 === 99_999) process.stderr.write(`  ${i + 1} writable-layer files\n`);
  }
  // whiteouts: one shell, many mknod (0/0 character devices)
  execFileSync('sh', ['-c', whiteouts.map((p) => `mknod '${p.replace(/'/g, `'\\''`)}' c 0 0`).join('\n')]);
  // every folder above a change that was there before is reported as changed (as docker diff does)
  for (const [p, k] of [...expected]) {
    if (k === 'A' && (p.startsWith('/opt') || p.startsWith('/srv'))) continue;
    for (const a of ancestors(p)) if (!expected.has(a)) expected.set(a, 'C');
  }
  writeFileSync(path.join(base, 'plan.json'), JSON.stringify({ files, upperFiles, containerId, upperStart, expected: [...expected].map(([p, k]) => `${k} ${p}`).sort() }));
  process.stderr.write(`generated ${files} lower files, ${upperFiles} writable-layer files and ${expected.size} changes in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${root}\n`);
  return JSON.parse(readFileSync(path.join(base, 'plan.json'), 'utf8')) as Plan;
}

interface RunResult { peakRssMb: number; wallS: number; exitCode: number; driftOk: boolean; drift: number; events: number; missing: string[]; extra: string[] }

async function runTool(base: string, plan: Plan, scratch: string): Promise<RunResult> {
  const out = path.join(scratch, 'out.jsonl');
  const spill = path.join(scratch, 'spill');
  mkdirSync(spill, { recursive: true });
  const args = [path.join(REPO, 'bin/docker-timeline.js'), 'extract', path.join(base, 'docker'), '-o', out, '--format', 'jsonl', '-q', '--tmp-dir', spill];
  if (flag('after')) args.push('--after', new Date(plan.upperStart * 1000).toISOString());
  const r = spawnSync('/usr/bin/time', ['-v', process.execPath, ...args], { encoding: 'utf8', cwd: REPO, maxBuffer: 1 << 26 });
  const stderr = r.stderr ?? '';
  const num = (re: RegExp): string => re.exec(stderr)?.[1] ?? '';
  const peakKb = Number(num(/Maximum resident set size \(kbytes\): (\d+)/));
  const wall = num(/Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)/).split(':').map(Number).reduce((a, b) => a * 60 + b, 0);
  const exitCode = Number(num(/Exit status: (\d+)/));
  if (![0, 3].includes(exitCode)) process.stderr.write(stderr.split('\n').filter((l) => !l.startsWith('\t')).slice(-20).join('\n') + '\n');
  const got: string[] = [];
  let events = 0;
  if (existsSync(out)) {
    for await (const line of createInterface({ input: createReadStream(out), crlfDelay: Infinity })) {
      events++;
      if (!line.includes('"container.drift"')) continue;
      const e = JSON.parse(line) as { kind: string; change?: string; path?: string; fields?: Record<string, unknown> };
      if (e.kind !== 'container.drift') continue;
      const f = (e.fields ?? e) as { change: string; path: string };
      got.push(`${f.change} ${f.path}`);
    }
  }
  got.sort();
  const want = new Set(plan.expected);
  const have = new Set(got);
  const missing = plan.expected.filter((x) => !have.has(x));
  const extra = got.filter((x) => !want.has(x));
  rmSync(out, { force: true });
  return { peakRssMb: peakKb / 1024, wallS: wall, exitCode, driftOk: missing.length === 0 && extra.length === 0 && got.length === plan.expected.length, drift: got.length, events, missing, extra };
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('whiteouts are 0/0 character devices: run as root');
  const files = Number(arg('files') ?? 300_000);
  const upperFiles = Number(arg('upper-files') ?? 0);
  const runs = Number(arg('runs') ?? 1);
  const tmp = arg('tmp') ?? tmpdir();
  const given = arg('data');
  const base = given ?? mkdtempSync(path.join(tmp, 'drift-bench-'));
  const scratch = mkdtempSync(path.join(tmp, 'drift-bench-scratch-'));
  try {
    const plan = given && existsSync(path.join(given, 'plan.json')) ? JSON.parse(readFileSync(path.join(given, 'plan.json'), 'utf8')) as Plan : generate(base, files, upperFiles);
    const results: RunResult[] = [];
    for (let i = 0; i < runs; i++) results.push(await runTool(base, plan, scratch));
    const best = { peakRssMb: Math.min(...results.map((r) => r.peakRssMb)), wallS: Math.min(...results.map((r) => r.wallS)) };
    const worstPeak = Math.max(...results.map((r) => r.peakRssMb));
    const r = results[0]!;
    const summary = {
      lowerFiles: plan.files, upperFiles: plan.upperFiles ?? 0, expectedChanges: plan.expected.length, driftEvents: r.drift, driftOk: results.every((x) => x.driftOk),
      events: r.events, exitCode: r.exitCode, peakRssMb: Math.round(best.peakRssMb * 10) / 10, peakRssMaxMb: Math.round(worstPeak * 10) / 10, wallS: best.wallS, runs,
      after: flag('after'), node: process.version, when: new Date().toISOString(),
    };
    console.log(JSON.stringify(summary, null, 2));
    if (!r.driftOk) console.log(`missing (${r.missing.length}): ${r.missing.slice(0, 10).join(' | ')}\nextra (${r.extra.length}): ${r.extra.slice(0, 10).join(' | ')}`);
    const json = arg('json');
    if (json) writeFileSync(json, JSON.stringify(summary, null, 2) + '\n');
    if (!summary.driftOk) process.exitCode = 1;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    if (!given && !flag('keep')) rmSync(base, { recursive: true, force: true });
    else if (!given) process.stderr.write(`kept ${base} (reuse with --data ${base})\n`);
  }
}

await main();
