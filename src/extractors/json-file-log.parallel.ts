import type { FileHandle } from 'node:fs/promises';
import type { ArtifactRef, ExtractOutput, QuickOrder } from './extractor.js';
import type { CheckResult } from './json-file-log.check.js';
import type { Context } from './context.js';
import type { RawLogFormat } from '../sinks/sink.js';
import { LineBuffer, RawLine, type TimelineItem } from '../events/raw-line.js';
import { containerPath } from './paths.js';
import { JsonLogReader, jsonLogRotation, type LogLineRecord } from './json-file-log.js';
import { logLineEvents, logMessagePrefix } from './log-line.timemap.js';
import type { ChunkResult } from './json-file-log.chunk.js';
import { LogWorkerPool } from './log-workers.js';
import type { Decompressed } from './gzip-copy.js';

/**
 * The sink's templates for the stdout and stderr lines of a log, from an event the JSON path makes of
 * an empty line of each stream (a template holds everything but the time, text and offset).
 */
export function logTemplates(ref: ArtifactRef, ctx: Context, fmt: RawLogFormat, compressed = false): [unknown, unknown] {
  const { id, rest } = containerPath(ref.rel)!;
  const make = (stream: string): unknown => {
    const r: LogLineRecord = {
      containerId: id, timeNs: 1_000_000_000n, timeRaw: '', stream, text: '', offset: 0, chunks: 1, unterminated: false, attrs: null,
      evidence: ref.entry.path, driver: 'json-file', compressed, rotation: jsonLogRotation(rest, id)!,
    };
    const [e] = logLineEvents(r, ctx);
    return fmt.template(e!, logMessagePrefix(ctx.label(id), stream)) ?? null;
  };
  return [make('stdout'), make('stderr')];
}

/** Chunks of one log formatted ahead of the merge (each holds its lines' bytes until written). */
const AHEAD = 3;

/**
 * The items of a json-file log checked to hold only lines of Docker's exact shape (the order
 * pre-check), formatted by worker threads chunk by chunk (`plan`: chunk starts at line starts, then
 * the file's end) and merged here in order. A line a worker passes back, and a chunk no worker could
 * format, take the JSON path here, so every line comes out as `extract` would make it.
 */
export async function* jsonLogItemsParallel(ref: ArtifactRef, fh: FileHandle, plan: readonly number[], templates: [unknown, unknown], ctx: Context,
  fmt: RawLogFormat, out: ExtractOutput<LogLineRecord>, workers: number, decompressed: Decompressed | null = null): AsyncGenerator<TimelineItem[]> {
  const pool = LogWorkerPool.get(workers);
  const spec = fmt.workerSpec!();
  let batch: TimelineItem[] = [];
  const reader = new JsonLogReader(ref, out, (r) => { for (const e of logLineEvents(r, ctx)) batch.push(e); });
  // a compressed rotation's copy: its lines are of a compressed file, and its gzip header's lastTime is checked at the end
  if (decompressed) reader.info = { compressed: true, lastTime: decompressed.lastTime };
  const evidence = ref.entry.path;
  const source = ctx.evidenceSource;
  const chunks = plan.length - 1;
  const ahead: Promise<ChunkResult | Error>[] = [];
  let next = 0;
  let fellBack = false;
  const send = (): void => {
    ahead.push(pool.request<ChunkResult>({ kind: 'format', spec, fd: fh.fd, start: plan[next]!, end: plan[next + 1]!, templates }).catch((e: Error) => e));
    next++;
  };
  try {
    while (next < chunks && next < AHEAD) send();
    let lastSeconds = NaN;
    let secondNs = 0n;
    for (let i = 0; i < chunks; i++) {
      const r = await ahead.shift()!;
      if (next < chunks) send();
      if (r instanceof Error || r.error) {
        // no worker could format it: the JSON path reads it here (same output, slower); said once per log
        if (!fellBack) {
          fellBack = true;
          out.warn({ kind: 'worker-failed', level: 'notice', offset: plan[i]!, message: `log worker threads could not format this log (${r instanceof Error ? r.message : r.error}); it was read on the main thread instead: same events, slower` });
        }
        await readChunkHere(fh, plan[i]!, plan[i + 1]!, reader);
      } else {
        const buf = Buffer.from(r.out.buffer, r.out.byteOffset, r.out.length);
        let rawLines = 0;
        for (let k = 0; k < r.count; k++) if (r.flags[k] === 0) rawLines++;
        const owner = rawLines ? new LineBuffer(rawLines, () => pool.recycle(r)) : null;
        let start = 0;
        let newestS = -Infinity;
        let newestN = 0;
        for (let k = 0; k < r.count; k++) {
          const end = r.ends[k]!;
          if (r.flags[k] === 0) {
            const s = r.seconds[k]!;
            if (s > newestS || (s === newestS && r.nanos[k]! > newestN)) {
              newestS = s;
              newestN = r.nanos[k]!;
            }
            if (s !== lastSeconds) {
              lastSeconds = s;
              secondNs = BigInt(s) * 1_000_000_000n;
            }
            batch.push(new RawLine(secondNs, r.nanos[k]!, source, evidence, r.offsets[k]!, buf, start, end, owner));
          } else {
            reader.line(buf.subarray(start, end), r.offsets[k]!);
          }
          start = end;
        }
        if (!owner) pool.recycle(r);
        // for the lastTime check (the JSON path's lines count through the reader itself)
        if (decompressed && newestS !== -Infinity) reader.sawTime(BigInt(newestS) * 1_000_000_000n + BigInt(newestN));
      }
      if (batch.length) {
        yield batch;
        batch = [];
      }
    }
    reader.end();
    if (batch.length) yield batch;
  } finally {
    // chunks still out are awaited: their workers read this file's handle
    await Promise.all(ahead);
  }
}

/** One chunk through the JSON path on this thread (lines are whole: the plan cuts at line starts). */
async function readChunkHere(fh: FileHandle, start: number, end: number, reader: JsonLogReader): Promise<void> {
  const buf = Buffer.allocUnsafe(end - start);
  let got = 0;
  while (got < buf.length) {
    const { bytesRead } = await fh.read(buf, got, buf.length - got, start + got);
    if (bytesRead === 0) {
      reader.stopped(start + got, new Error('file ended before the length it had when it was checked'));
      break;
    }
    got += bytesRead;
  }
  for (let a = 0; a < got;) {
    let nl = buf.indexOf(10, a);
    if (nl < 0 || nl >= got) nl = got;
    if (nl > a) reader.line(buf.subarray(a, nl), start + a);
    a = nl + 1;
  }
}

/** Bytes of a log each thread checks at a time (the order pre-check in parts). */
const CHECK_BYTES = 4 << 20;

/**
 * The order pre-check (as jsonLogQuickOrder) run by the worker threads, a part of the log each, and
 * put together here: every part in order, each part's last time not after the next part's first.
 * Null when a line has another shape (the serial path decides then) or the pool broke.
 */
export async function jsonLogQuickOrderParallel(ref: ArtifactRef, fh: FileHandle, size: number, decompressed = false): Promise<QuickOrder | null> {
  const head = Buffer.alloc(2);
  await fh.read(head, 0, 2, 0);
  if (head[0] === 0x1f && head[1] === 0x8b) return null; // gzip: the serial check reads it decompressed
  const pool = LogWorkerPool.get();
  // a few parts out at a time (each holds its bytes in a worker while it is checked)
  const starts: number[] = [];
  for (let start = 0; start < size; start += CHECK_BYTES) starts.push(start);
  const results: CheckResult[] = new Array(starts.length);
  let next = 0;
  let failed = false;
  const lane = async (): Promise<void> => {
    while (next < starts.length && !failed) {
      const k = next++;
      try {
        results[k] = await pool.request<CheckResult>({ kind: 'check', fd: fh.fd, start: starts[k]!, end: Math.min(size, starts[k]! + CHECK_BYTES), size });
      } catch {
        failed = true;
      }
    }
  };
  await Promise.all(Array.from({ length: pool.size * 2 }, lane));
  if (failed) return null;
  const { id, rest } = containerPath(ref.rel)!;
  return combineChecks(results, size, jsonLogRotation(rest, id)!, decompressed);
}

/** The pre-check of a whole log from those of its parts, in file order (null: a line of another shape). */
export function combineChecks(results: readonly Omit<CheckResult, 'id'>[], size: number, rotation: number, compressed = false): QuickOrder | null {
  let ordered = true;
  let count = 0;
  let prev: [number, number] | null = null;
  const plan: number[] = [];
  for (const r of results) {
    if (r.doubt || r.error) return null;
    if (!r.ordered) ordered = false;
    if (prev && r.first && (r.first[0] < prev[0] || (r.first[0] === prev[0] && r.first[1] < prev[1]))) ordered = false;
    if (r.last) prev = r.last;
    count += r.count;
    for (const p of r.plan) if (plan.length === 0 || p > plan[plan.length - 1]!) plan.push(p);
  }
  if (plan[0] !== 0) plan.unshift(0);
  if (plan[plan.length - 1] !== size) plan.push(size);
  // as jsonLogQuickOrder names them
  const fieldNames = ['log_driver', 'time_raw'];
  if (compressed) fieldNames.push('offset_in');
  if (rotation) fieldNames.push('rotation');
  return { ordered, count, fieldNames, plan };
}
