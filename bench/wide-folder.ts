/**
 * Issue 6: a folder with a million entries. Generates a data root whose container layer holds one
 * folder of N empty files and runs `extract` on it under GNU time, reporting peak RSS and wall time.
 *
 *   npx tsx bench/wide-folder.ts                       # N = 200 000 and 1 000 000, writable layer
 *   npx tsx bench/wide-folder.ts --n 200000 --layer none --tmp /tmp/wide --keep
 *   npx tsx bench/wide-folder.ts --tool /tmp/old-copy  # another copy of bin/ + src/ (before/after)
 *
 * Layout (ID = 64 × `a`, L = 26 × `d`):
 *   containers/<ID>/config.v2.json
 *   image/overlay2/layerdb/mounts/<ID>/{mount-id,init-id}   (--layer writable: the default)
 *   overlay2/<L>/diff/wide/f0 .. f<N-1>                      (empty files)
 *   overlay2/<L>-init/diff/
 *
 * `--layer writable` makes the folder the container's writable layer, so drift (docker diff) keeps
 * every entry and reports each as added (A); `--layer none` leaves it a layer of no known container
 * (no drift: the walk, the events and the sorter alone).
 * Data roots are kept in `--tmp` (default `os.tmpdir()/dt-wide-bench`) when `--keep` is given and
 * reused by later runs. The tool runs as
 *   /usr/bin/time -v node bin/docker-timeline.js extract ROOT -o OUT --format jsonl -q --tmp-dir T
 * (GNU time; falls back to polling /proc/<pid>/status VmHWM when /usr/bin/time is missing).
 */
import { spawn } from 'node:child_process';
import { closeSync, createReadStream, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const ID = 'a'.repeat(64);
const L = 'd'.repeat(26);

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : dflt;
}
const flag = (name: string): boolean => process.argv.includes(`--${name}`);

const counts = arg('n', '200000,1000000').split(',').map((s) => Number(s.replace(/_/g, '')));
const tmp = path.resolve(arg('tmp', path.join(tmpdir(), 'dt-wide-bench')));
const layer = arg('layer', 'writable') as 'writable' | 'none';
const tool = path.resolve(arg('tool', REPO));
const format = arg('format', 'jsonl');
const keep = flag('keep');
const extraNode = arg('node-args', '').split(' ').filter(Boolean);

function configV2(): string {
  return JSON.stringify({
    State: { Running: false, StartedAt: '2026-01-02T03:04:05.5Z', FinishedAt: '2026-01-02T03:05:00Z' },
    ID, Created: '2026-01-02T03:04:05.123456789Z', Path: 'sh', Args: [], Config: { Image: 'busybox' },
    Image: 'sha256:' + 'c'.repeat(64), Name: '/wide', Driver: 'overlay2',
  });
}

/** The data root for N entries (made once, reused while it is kept). */
function generate(n: number): { root: string; genMs: number } {
  const root = path.join(tmp, `root-${n}-${layer}`);
  const done = `${root}.done`;
  if (existsSync(done)) return { root, genMs: 0 };
  const t0 = performance.now();
  rmSync(root, { recursive: true, force: true });
  mkdirSync(path.join(root, 'containers', ID), { recursive: true });
  writeFileSync(path.join(root, 'containers', ID, 'config.v2.json'), configV2());
  if (layer === 'writable') {
    const m = path.join(root, 'image', 'overlay2', 'layerdb', 'mounts', ID);
    mkdirSync(m, { recursive: true });
    writeFileSync(path.join(m, 'mount-id'), L);
    writeFileSync(path.join(m, 'init-id'), `${L}-init`);
    mkdirSync(path.join(root, 'overlay2', `${L}-init`, 'diff'), { recursive: true });
  }
  const wide = path.join(root, 'overlay2', L, 'diff', 'wide');
  mkdirSync(wide, { recursive: true });
  for (let i = 0; i < n; i++) closeSync(openSync(path.join(wide, `f${i}`), 'w'));
  writeFileSync(done, '');
  return { root, genMs: performance.now() - t0 };
}

interface Result { n: number; code: number | null; peakMb: number; wallS: number; events: number; genS: number; userS: number; sysS: number }

async function countLines(file: string): Promise<number> {
  let lines = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
  }
  return lines;
}

/** `m:ss.cc` or `h:mm:ss` of GNU time → seconds. */
const clock = (s: string): number => s.split(':').reduce((a, p) => a * 60 + Number(p), 0);

async function run(n: number): Promise<Result> {
  const { root, genMs } = generate(n);
  const work = path.join(tmp, `run-${process.pid}`);
  mkdirSync(path.join(work, 'spill'), { recursive: true });
  const out = path.join(work, `out.${format}`);
  const hasTime = existsSync('/usr/bin/time');
  const nodeArgs = [...extraNode, path.join(tool, 'bin/docker-timeline.js'), 'extract', root, '-o', out, '--format', format, '-q', '--tmp-dir', path.join(work, 'spill')];
  const [cmd, args] = hasTime ? ['/usr/bin/time', ['-v', process.execPath, ...nodeArgs]] : [process.execPath, nodeArgs];
  const t0 = performance.now();
  const child = spawn(cmd, args, { cwd: tool, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  let polledKb = 0;
  const poll = hasTime ? null : setInterval(() => {
    try {
      const m = /^VmHWM:\s+(\d+)/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) polledKb = Math.max(polledKb, Number(m[1]));
    } catch { /* exited */ }
  }, 50);
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  if (poll) clearInterval(poll);
  const wallMs = performance.now() - t0;
  const num = (re: RegExp): number | null => { const m = re.exec(stderr); return m ? Number(m[1]) : null; };
  const toolCode = hasTime ? num(/Exit status: (\d+)/) : code;
  const peakKb = hasTime ? num(/Maximum resident set size \(kbytes\): (\d+)/) ?? 0 : polledKb;
  const wall = hasTime ? /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)/.exec(stderr)?.[1] : undefined;
  const events = existsSync(out) ? await countLines(out) : 0;
  if (toolCode !== 0 && toolCode !== 3) process.stderr.write(stderr.slice(0, 4000));
  rmSync(work, { recursive: true, force: true });
  if (!keep) { rmSync(root, { recursive: true, force: true }); rmSync(`${root}.done`, { force: true }); }
  return {
    n, code: toolCode, peakMb: peakKb / 1024, wallS: wall ? clock(wall) : wallMs / 1000, events, genS: genMs / 1000,
    userS: num(/User time \(seconds\): ([\d.]+)/) ?? NaN, sysS: num(/System time \(seconds\): ([\d.]+)/) ?? NaN,
  };
}

mkdirSync(tmp, { recursive: true });
console.log(`tool ${tool}, layer ${layer}, format ${format}, data in ${tmp}`);
console.log('N          exit  peak RSS MiB  wall s  user s  sys s  events    (generated in s)');
const results: Result[] = [];
for (const n of counts) {
  const r = await run(n);
  results.push(r);
  console.log(`${String(r.n).padEnd(10)} ${String(r.code).padEnd(5)} ${r.peakMb.toFixed(0).padStart(12)}  ${r.wallS.toFixed(1).padStart(6)}  ${r.userS.toFixed(1).padStart(6)} ${r.sysS.toFixed(1).padStart(6)}  ${String(r.events).padEnd(9)} ${r.genS ? `(${r.genS.toFixed(1)})` : '(reused)'}`);
}
if (results.length > 1) {
  const [a, b] = [results[0]!, results.at(-1)!];
  console.log(`peak RSS ${a.n} -> ${b.n}: ${a.peakMb.toFixed(0)} -> ${b.peakMb.toFixed(0)} MiB (x${(b.peakMb / a.peakMb).toFixed(2)})`);
}
