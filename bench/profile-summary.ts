/**
 * Summarise a V8 `.cpuprofile` (from `node --cpu-prof`): self time and inclusive time per function,
 * keyed by name + file:line. The tool runs through tsx, which minifies whitespace (every module is
 * one line), so profile positions are mapped back to the TypeScript sources with the source maps
 * in tsx's cache (`$TMPDIR/tsx-<uid>/`): run the profiled process with a fresh TMPDIR so that cache
 * holds exactly the transforms it ran.
 *
 *   tsx bench/profile-summary.ts FILE.cpuprofile|PROFILE_DIR --tsx-cache DIR [--top 15] [--json] [--root TOOL_DIR]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

interface CallFrame { functionName: string; scriptId: string; url: string; lineNumber: number; columnNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; hitCount?: number; children?: number[] }
export interface CpuProfile { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] }

export interface ProfileEntry {
  function: string;
  /** `src/sinks/l2tcsv.ts:97`, `node:internal/streams/readable:387`, or '' for VM/native entries. */
  location: string;
  ms: number;
  pct: number;
}

export interface ProfileSummary {
  totalMs: number;
  samples: number;
  self: ProfileEntry[];
  /** Inclusive time of the project's own functions (src/). */
  inclusive: ProfileEntry[];
  /** Self time per file (src files, node internals, GC, ...). */
  byFile: ProfileEntry[];
  /** How many src/ call frames were mapped through a source map. */
  mapped: { ok: number; missing: number };
}

interface LoadedMap { map: SourceMap; code: string }

/** Source maps of the tsx cache: absolute source path -> map. */
export function loadTsxMaps(cacheDir: string): Map<string, LoadedMap> {
  const out = new Map<string, LoadedMap>();
  let names: string[] = [];
  try { names = readdirSync(cacheDir); } catch { return out; }
  for (const n of names) {
    try {
      const j = JSON.parse(readFileSync(path.join(cacheDir, n), 'utf8')) as { code?: string; map?: { sources?: string[] } };
      const src = j.map?.sources?.[0];
      if (!j.code || !j.map || !src) continue;
      out.set(path.resolve(src), { map: new SourceMap(j.map as ConstructorParameters<typeof SourceMap>[0]), code: j.code });
    } catch { /* not a tsx cache entry */ }
  }
  return out;
}

/** The tsx cache folder under a TMPDIR (`tsx-<uid>`). */
export function tsxCacheIn(tmp: string): string | null {
  try {
    const d = readdirSync(tmp).find((n) => /^tsx-\d+$/.test(n));
    return d ? path.join(tmp, d) : null;
  } catch {
    return null;
  }
}

export function summarizeProfile(profile: CpuProfile, maps: Map<string, LoadedMap>, repoDir: string, top = 15): ProfileSummary {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const mapped = { ok: 0, missing: 0 };
  const keyOf = new Map<number, { fn: string; loc: string; file: string; own: boolean }>();
  const describe = (n: ProfileNode): { fn: string; loc: string; file: string; own: boolean } => {
    const hit = keyOf.get(n.id);
    if (hit) return hit;
    const cf = n.callFrame;
    const fn = cf.functionName || (cf.url ? '(anonymous)' : '(native)');
    let loc = '';
    let file = cf.url ? cf.url : fn.startsWith('(') ? fn : '(native)';
    let own = false;
    if (cf.url.startsWith('file://')) {
      const abs = fileURLToPath(cf.url.split('?')[0]!);
      const rel = path.relative(repoDir, abs);
      file = rel.startsWith('..') ? abs : rel;
      own = rel.startsWith('src' + path.sep) || rel.startsWith('bin' + path.sep);
      const m = maps.get(abs);
      if (m && cf.lineNumber >= 0) {
        const e = m.map.findEntry(cf.lineNumber, cf.columnNumber) as { originalLine?: number; originalSource?: string };
        if (e && typeof e.originalLine === 'number') {
          loc = `${file}:${e.originalLine + 1}`;
          mapped.ok++;
        } else {
          loc = `${file}:?`;
          mapped.missing++;
        }
      } else {
        loc = `${file}:${cf.lineNumber + 1}`;
        if (own && cf.url.endsWith('.ts')) mapped.missing++;
      }
    } else if (cf.url) {
      loc = `${cf.url}:${cf.lineNumber + 1}`;
    }
    // node_modules folders collapse to the package for the per-file view
    const nm = file.lastIndexOf('node_modules/');
    if (nm >= 0) {
      const rest = file.slice(nm + 13).split('/');
      file = 'node_modules/' + (rest[0]!.startsWith('@') ? rest.slice(0, 2).join('/') : rest[0]);
    } else if (file.startsWith('node:')) {
      file = 'node: (internals)';
    }
    const d = { fn, loc, file, own };
    keyOf.set(n.id, d);
    return d;
  };

  const self = new Map<string, number>();
  const incl = new Map<string, number>();
  const files = new Map<string, number>();
  let total = 0;
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    // sample i lasts until the next sample's timestamp
    const dt = (i + 1 < timeDeltas.length ? timeDeltas[i + 1]! : 0) / 1000;
    if (dt <= 0) continue;
    total += dt;
    const node = byId.get(samples[i]!)!;
    const d = describe(node);
    const k = `${d.fn}\t${d.loc}`;
    self.set(k, (self.get(k) ?? 0) + dt);
    files.set(d.file, (files.get(d.file) ?? 0) + dt);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const a = describe(byId.get(id)!);
      if (!a.own) continue;
      const ak = `${a.fn}\t${a.loc}`;
      if (seen.has(ak)) continue;
      seen.add(ak);
      incl.set(ak, (incl.get(ak) ?? 0) + dt);
    }
  }
  const rank = (m: Map<string, number>, n: number, split = true): ProfileEntry[] =>
    [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, ms]) => {
      const [fn, loc] = split ? k.split('\t') as [string, string] : [k, ''];
      return { function: fn, location: loc, ms: Math.round(ms), pct: Math.round((ms / total) * 1000) / 10 };
    });
  return {
    totalMs: Math.round(total), samples: samples.length,
    self: rank(self, top), inclusive: rank(incl, top), byFile: rank(files, top, false), mapped,
  };
}

export function formatSummary(s: ProfileSummary): string {
  const lines: string[] = [];
  const table = (title: string, rows: ProfileEntry[], withLoc = true): void => {
    lines.push(title);
    rows.forEach((r, i) => {
      lines.push(`${String(i + 1).padStart(3)}. ${r.ms.toFixed(0).padStart(7)} ms ${r.pct.toFixed(1).padStart(5)}%  ${r.function}${withLoc && r.location ? `  (${r.location})` : ''}`);
    });
    lines.push('');
  };
  lines.push(`profile: ${s.totalMs} ms sampled, ${s.samples} samples; src frames mapped through tsx source maps: ${s.mapped.ok} ok, ${s.mapped.missing} unmapped`);
  lines.push('');
  table('top self time (function, file:line of its definition):', s.self);
  table('top inclusive time of src/ functions:', s.inclusive);
  table('self time by file:', s.byFile, false);
  return lines.join('\n');
}

/** Busy (non-idle) sampled time of a profile, in µs. */
function busyUs(p: CpuProfile): number {
  const idle = new Set(p.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
  let t = 0;
  for (let i = 0; i < p.samples.length; i++) if (!idle.has(p.samples[i]!)) t += p.timeDeltas[i + 1] ?? 0;
  return t;
}

/**
 * The main-thread profile of a `--cpu-prof-dir`: tsx's loader hooks run on a worker thread that
 * writes a second profile; the main thread is the one with the most busy (non-idle) time.
 */
export function mainProfileIn(dir: string): string | null {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(dir, f));
  if (!files.length) return null;
  return files.map((f) => [f, busyUs(JSON.parse(readFileSync(f, 'utf8')) as CpuProfile)] as const).sort((a, b) => b[1] - a[1])[0]![0];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { 'tsx-cache': { type: 'string' }, root: { type: 'string' }, top: { type: 'string', default: '15' }, json: { type: 'boolean', default: false } },
  });
  let file = positionals[0];
  if (!file) {
    process.stderr.write('usage: tsx bench/profile-summary.ts FILE.cpuprofile|DIR --tsx-cache DIR [--top 15] [--json] [--root TOOL_DIR]\n');
    process.exit(2);
  }
  try { if (readdirSync(file)) file = mainProfileIn(file) ?? file; } catch { /* a file */ }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const maps = values['tsx-cache'] ? loadTsxMaps(values['tsx-cache']) : new Map<string, LoadedMap>();
  // the tool's folder: where the profiled bin/docker-timeline.js was (bench runs a copy of the working tree)
  const bin = profile.nodes.find((n) => n.callFrame.url.startsWith('file://') && n.callFrame.url.endsWith('/bin/docker-timeline.js'));
  const root = values.root ?? (bin ? path.dirname(path.dirname(fileURLToPath(bin.callFrame.url))) : path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'));
  const s = summarizeProfile(profile, maps, root, Number(values.top));
  process.stdout.write(values.json ? JSON.stringify(s, null, 2) + '\n' : formatSummary(s) + '\n');
}
