import { promises as fsp } from 'node:fs';
import { makeOutputFile } from './output-file.js';
import path from 'node:path';
import { EventSorter } from '../events/sorter.js';
import { Warnings } from '../warnings.js';
import { makeSink } from '../sinks/index.js';
import { reportWarnings, writeTimeline } from './write-timeline.js';
import { Progress } from './progress.js';
import { checkTmpDir, insideEvidence, sameFile } from './open-evidence.js';
import { EXIT, UsageError, resolveFormat } from './extract-command.js';
import { parseUserTime } from '../time/nanotime.js';
import { ZoneRenderer } from '../time/zone.js';
import { INPUT_FORMATS, type InputFormat } from '../merge/reader.js';
import { inputZone } from '../merge/times.js';
import { readInput, type InputResult } from '../merge/input.js';
import { Attributor } from '../merge/attribution.js';
import { Dedup } from '../merge/dedup.js';
import { BodyfileRows } from '../merge/bodyfile-rows.js';

export interface MergeArgs {
  inputs: string[];
  output?: string;
  format?: string;
  inputFormat?: string;
  inputTimezone?: string;
  timezone: string;
  after?: string;
  before?: string;
  /** psort's `--slice`: keep [slice - sliceSize min, slice + sliceSize min]. */
  slice?: string;
  sliceSize?: number;
  dedup?: boolean;
  evidence?: string[];
  warnings?: string;
  csvGuard: boolean;
  sortMemoryMb?: number;
  tmpDir?: string;
  /** No progress line (it is written only when stderr is a terminal). */
  quiet?: boolean;
}

const NS_PER_MINUTE = 60_000_000_000n;
/** psort's default `--slice_size` (minutes). */
export const DEFAULT_SLICE_MINUTES = 5;

function parseBound(flag: string, text: string | undefined): bigint | null {
  if (text === undefined) return null;
  const t = parseUserTime(text);
  if (t === null) throw new UsageError(`${flag} ${text} is not ISO 8601`);
  return t;
}

/** --after, --before and --slice/--slice-size as one window (their intersection). */
export function timeWindow(a: Pick<MergeArgs, 'after' | 'before' | 'slice' | 'sliceSize'>): (t: bigint) => boolean {
  const after = parseBound('--after', a.after);
  const before = parseBound('--before', a.before);
  const slice = parseBound('--slice', a.slice);
  const size = a.sliceSize ?? DEFAULT_SLICE_MINUTES;
  if (!Number.isFinite(size) || size < 0) throw new UsageError(`--slice-size ${a.sliceSize} is not a number of minutes`);
  if (a.sliceSize !== undefined && slice === null) throw new UsageError('--slice-size needs --slice');
  const half = BigInt(Math.round(size * 60_000)) * (NS_PER_MINUTE / 60_000n);
  return (t) => (after === null || t >= after) && (before === null || t < before)
    && (slice === null || (t >= slice - half && t <= slice + half));
}

/**
 * `docker-timeline merge`: host bodyfiles, mactime CSV, plaso L2T CSV and json_line, Timesketch CSV and
 * JSONL, and this tool's jsonl → one sorted timeline in any output format. Returns the exit code.
 */
export async function runMerge(a: MergeArgs, stderr: (s: string) => void = (s) => process.stderr.write(s)): Promise<number> {
  const format = resolveFormat(a);
  try {
    new ZoneRenderer(a.timezone);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  let zone;
  try {
    zone = inputZone(a.inputTimezone);
  } catch (e) {
    throw new UsageError(`--input-timezone: ${(e as Error).message}`);
  }
  if (a.inputFormat !== undefined && !(INPUT_FORMATS as readonly string[]).includes(a.inputFormat)) {
    throw new UsageError(`unknown --input-format ${a.inputFormat} (one of ${INPUT_FORMATS.join(', ')})`);
  }
  const inside = timeWindow(a);
  if (a.inputs.length === 0) throw new UsageError('no input to merge');
  for (const f of [a.output, a.warnings]) {
    if (!f) continue;
    if (a.inputs.some((i) => sameFile(i, f))) throw new UsageError(`refusing to overwrite the input ${f}`);
    if (insideEvidence(f, a.evidence ?? [])) throw new UsageError(`refusing to write ${f} inside the evidence`);
  }
  const tmpProblem = checkTmpDir(a.tmpDir, a.evidence ?? []);
  if (tmpProblem) throw new UsageError(tmpProblem);

  // Output files are made before any work: one that cannot be made stops the run at once (exit 1)
  for (const f of [a.output, a.warnings]) if (f) await makeOutputFile(f);
  const warnings = new Warnings(a.warnings);
  const memoryBytes = (a.sortMemoryMb ?? 48) * 1024 * 1024;
  const sorter = new EventSorter({ memoryBytes, tmpDir: a.tmpDir });
  const dedup = a.dedup ? new Dedup() : null;
  const results: InputResult[] = [];
  let filtered = 0;
  let written = 0;
  let attributed = 0;
  let rows: BodyfileRows | null = null;
  try {
    let attributor: Attributor | null = null;
    if (a.evidence?.length) {
      const r = await Attributor.fromEvidence(a.evidence, warnings);
      attributor = r.attributor;
    }
    // bodyfile rows are kept whole and sorted apart (compact), made into events as they are written
    rows = new BodyfileRows({
      memoryBytes, tmpDir: a.tmpDir, inside, windowed: a.after !== undefined || a.before !== undefined || a.slice !== undefined,
      attributor, fieldNames: sorter.fieldNames, inputs: a.inputs, zone,
    });
    for (const [i, file] of a.inputs.entries()) {
      const result = await readInput(file, { format: a.inputFormat as InputFormat | undefined, zone, zoneGiven: a.inputTimezone !== undefined, warnings, rows: rows.forInput(i) }, (e, hostPath) => {
        if (!inside(e.timeNs)) { filtered++; return; }
        if (attributor && hostPath && attributor.annotate(e, hostPath)) attributed++;
        sorter.add(e);
      });
      results.push(result);
    }
    const held = rows;
    if (held.count) sorter.addSortedSource(() => held.sorted(), held.count, []);
    filtered += held.filtered;
    attributed += held.attributed;
    const sink = makeSink(format, { timezone: a.timezone, hostname: null, csvGuard: a.csvGuard });
    const progress = new Progress(a.quiet ? null : process.stderr);
    const total = sorter.count;
    written = await writeTimeline(sorter, sink, a.output ?? null, (e) => !dedup?.duplicate(e), undefined, true, (seen) => progress.writing(seen, total));
    progress.done();
  } finally {
    sorter.cleanup();
    rows?.cleanup();
    await warnings.close();
  }
  reportWarnings(warnings, a.warnings, stderr);
  for (const r of results) {
    stderr(`docker-timeline: ${r.file}: ${r.format ?? 'not read'}, ${r.lines} line(s), ${r.events} event(s)${r.untimed ? `, ${r.untimed} row(s) without a time` : ''}\n`);
  }
  const extras = [
    filtered ? `${filtered} outside the time window` : '',
    dedup ? `${dedup.dropped} duplicate(s) dropped` : '',
    a.evidence?.length ? `${attributed} attributed to containers, layers or volumes` : '',
  ].filter(Boolean);
  stderr(`docker-timeline: ${written} event(s) written${extras.length ? `, ${extras.join(', ')}` : ''}; ${warnings.summary()}\n`);
  if (!results.some((r) => r.format !== null)) return EXIT.failed;
  return warnings.total ? EXIT.warnings : EXIT.complete;
}
