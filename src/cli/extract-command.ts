import { promises as fsp } from 'node:fs';
import { makeOutputFile } from './output-file.js';
import path from 'node:path';
import { extractSource, type DirectMerge } from '../pipeline.js';

/** Log files from this size up are checked for order and merged directly. */
const DIRECT_MIN_BYTES = 8 * 1024 * 1024;
/** At most this many files are merged directly (one open file each at output time). */
const DIRECT_MAX_SOURCES = 256;
import { EventSorter } from '../events/sorter.js';
import { Warnings } from '../warnings.js';
import { FORMATS, formatFromName, makeSink, type Format } from '../sinks/index.js';
import { reportWarnings, writeTimeline } from './write-timeline.js';
import { checkTmpDir, insideEvidence, sameFile, tryOpenEvidence } from './open-evidence.js';
import { parseUserTime } from '../time/nanotime.js';
import { ZoneRenderer } from '../time/zone.js';
import { Progress } from './progress.js';
import { LogWorkerPool } from '../extractors/log-workers.js';
import { TempDir } from '../spill/temp-dir.js';

export interface ExtractArgs {
  evidence: string[];
  output?: string;
  format?: string;
  timezone: string;
  hostname?: string;
  after?: string;
  before?: string;
  warnings?: string;
  csvGuard: boolean;
  sortMemoryMb?: number;
  tmpDir?: string;
  quiet?: boolean;
  /** `--merge FILE...`: host or plaso timelines merged into the same output (as `merge` reads them). */
  merge?: string[];
  inputTimezone?: string;
  /** false: no sink fast path for large logs (`--no-fast-path`). */
  fastPath?: boolean;
}

/** Exit codes (README "Exit codes"). */
export const EXIT = { complete: 0, failed: 1, usage: 2, warnings: 3 } as const;

export class UsageError extends Error {}

export function resolveFormat(a: Pick<ExtractArgs, 'format' | 'output'>): Format {
  if (a.format) {
    if (!(FORMATS as readonly string[]).includes(a.format)) throw new UsageError(`unknown --format ${a.format} (one of ${FORMATS.join(', ')})`);
    return a.format as Format;
  }
  const inferred = a.output ? formatFromName(a.output) : null;
  if (!inferred) throw new UsageError(`--format is needed${a.output ? ` (${a.output} does not say which format)` : ''}: one of ${FORMATS.join(', ')}`);
  return inferred;
}

/** `docker-timeline extract`: evidence → sorted timeline. Returns the exit code. */
export async function runExtract(a: ExtractArgs, stderr: (s: string) => void = (s) => process.stderr.write(s)): Promise<number> {
  const format = resolveFormat(a);
  try {
    new ZoneRenderer(a.timezone); // validates the zone before any work
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const after = a.after ? parseUserTime(a.after) : null;
  const before = a.before ? parseUserTime(a.before) : null;
  if (a.after && after === null) throw new UsageError(`--after ${a.after} is not ISO 8601`);
  if (a.before && before === null) throw new UsageError(`--before ${a.before} is not ISO 8601`);
  if (a.output && insideEvidence(a.output, a.evidence)) throw new UsageError(`refusing to write ${a.output} inside the evidence`);
  if (a.warnings && insideEvidence(a.warnings, a.evidence)) throw new UsageError(`refusing to write ${a.warnings} inside the evidence`);
  const tmpProblem = checkTmpDir(a.tmpDir, a.evidence);
  if (tmpProblem) throw new UsageError(tmpProblem);
  for (const f of [a.output, a.warnings]) {
    if (f && a.merge?.some((m) => sameFile(m, f))) throw new UsageError(`refusing to overwrite the input ${f}`);
  }

  // Output files are made before any work: one that cannot be made stops the run at once (exit 1)
  for (const f of [a.output, a.warnings]) if (f) await makeOutputFile(f);
  const warnings = new Warnings(a.warnings);
  const sorter = new EventSorter({ memoryBytes: (a.sortMemoryMb ?? 48) * 1024 * 1024, tmpDir: a.tmpDir });
  const progress = new Progress(a.quiet ? null : process.stderr);
  let anyRoot = false;
  let filtered = 0;
  let written = 0;
  // --after is inclusive, --before exclusive (as mactime's date range).
  const outside = (t: bigint): boolean => (after !== null && t < after) || (before !== null && t >= before);
  // large logs of an archive are copied (as they are) under --tmp-dir, to be merged directly too
  const copies = new TempDir(a.tmpDir, 'docker-timeline-members-');
  const direct: DirectMerge = {
    add: (open, count, names, openRaw) => sorter.addSortedSource(open, count, names, openRaw),
    minBytes: DIRECT_MIN_BYTES,
    maxSources: DIRECT_MAX_SOURCES,
    copies,
    fastPath: a.fastPath !== false,
  };
  try {
    for (const arg of a.evidence) {
      const src = tryOpenEvidence(arg, warnings);
      if (!src) continue;
      const result = await extractSource(src, { hostname: a.hostname ?? null, direct, tmpDir: a.tmpDir }, warnings, (e) => {
        progress.tick();
        if (outside(e.timeNs)) { filtered++; return; }
        sorter.add(e);
      });
      if (result.roots.length) anyRoot = true;
    }
    if (a.merge?.length) {
      // host timelines, attributed through the same evidence (its first pass is run again for that)
      // loaded only for --merge (the readers and their CSV parser cost ~40 ms of start-up)
      const [{ readInput }, { inputZone }, { Attributor }] = await Promise.all([import('../merge/input.js'), import('../merge/times.js'), import('../merge/attribution.js')]);
      let zone;
      try {
        zone = inputZone(a.inputTimezone);
      } catch (e) {
        throw new UsageError(`--input-timezone: ${(e as Error).message}`);
      }
      const { attributor } = await Attributor.fromEvidence(a.evidence, warnings);
      for (const file of a.merge) {
        const r = await readInput(file, { zone, zoneGiven: a.inputTimezone !== undefined, warnings }, (e, hostPath) => {
          if (outside(e.timeNs)) { filtered++; return; }
          if (hostPath) attributor.annotate(e, hostPath);
          sorter.add(e);
        });
        if (r.format === null) warnings.add({ kind: 'unreadable', artifact: 'merge input', evidence: file, offset: 0, message: 'format not recognised; not merged', evidenceSource: file });
      }
    }
    progress.done();
    const sink = makeSink(format, { timezone: a.timezone, hostname: a.hostname ?? null, csvGuard: a.csvGuard });
    // events of directly merged logs meet the time window only here
    const inWindow = (t: bigint): boolean => {
      if (!outside(t)) return true;
      filtered++;
      return false;
    };
    const total = sorter.count;
    written = await writeTimeline(sorter, sink, a.output ?? null, (e) => inWindow(e.timeNs), after !== null || before !== null ? inWindow : undefined, a.fastPath !== false,
      (seen) => progress.writing(seen, total));
    progress.done();
  } finally {
    sorter.cleanup();
    await LogWorkerPool.shutdown();
    copies.cleanup();
    await warnings.close();
  }
  reportWarnings(warnings, a.warnings, stderr);
  stderr(`docker-timeline: ${written} event(s) written${filtered ? `, ${filtered} outside --after/--before` : ''}; ${warnings.summary()}\n`);
  if (!anyRoot) return EXIT.failed;
  return warnings.total ? EXIT.warnings : EXIT.complete;
}
