import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { FileHandle } from 'node:fs/promises';
import type { ArtifactRef, ExtractOutput } from './extractor.js';
import type { Context } from './context.js';
import type { RawLogFormat, RawLogSpec } from '../sinks/sink.js';
import { LineBuffer, RawLine, type TimelineItem } from '../events/raw-line.js';
import { containerPath } from './paths.js';
import { JsonLogReader, jsonLogRotation, type LogLineRecord } from './json-file-log.js';
import { logLineEvents, logMessagePrefix } from './log-line.timemap.js';
import { chunkBuffers, type ChunkResult, type ChunkTask } from './json-file-log.chunk.js';

const WORKER_ENTRY = new URL('../../bin/worker.js', import.meta.url);
const WORKER_MODULE = new URL('./json-file-log.worker.ts', import.meta.url).href;

/** Worker threads for a log: one per core (the main thread only merges and writes), at most 4. */
export function logWorkers(): number {
  const n = availableParallelism();
  return n < 2 ? 0 : Math.min(4, n);
}

/**
 * The sink's templates for the stdout and stderr lines of a log, from an event the JSON path makes of
 * an empty line of each stream (a template holds everything but the time, text and offset).
 */
export function logTemplates(ref: ArtifactRef, ctx: Context, fmt: RawLogFormat): [unknown, unknown] {
  const { id, rest } = containerPath(ref.rel)!;
  const make = (stream: string): unknown => {
    const r: LogLineRecord = {
      containerId: id, timeNs: 1_000_000_000n, timeRaw: '', stream, text: '', offset: 0, chunks: 1, unterminated: false, attrs: null,
      evidence: ref.entry.path, driver: 'json-file', compressed: false, rotation: jsonLogRotation(rest, id)!,
    };
    const [e] = logLineEvents(r, ctx);
    return fmt.template(e!, logMessagePrefix(ctx.label(id), stream)) ?? null;
  };
  return [make('stdout'), make('stderr')];
}

/**
 * Worker threads shared by every log merged at once (one pool per formatter spec): each worker costs
 * about 37 MB before any work (its own V8 and tsx), so logs do not get a pool each.
 */
class LogWorkerPool {
  private static pools = new Map<string, LogWorkerPool>();
  private readonly workers: Worker[];
  private readonly waiting = new Map<number, { resolve: (r: ChunkResult) => void; reject: (e: Error) => void }>();
  private seq = 0;
  private users = 0;
  private broken: Error | null = null;

  private constructor(private readonly key: string, spec: RawLogSpec, n: number) {
    this.workers = [];
    for (let k = 0; k < n; k++) this.workers.push(this.start(spec));
  }

  private start(spec: RawLogSpec): Worker {
    const w = new Worker(WORKER_ENTRY, { workerData: { module: WORKER_MODULE, ...spec }, resourceLimits: { maxYoungGenerationSizeMb: 8 } });
    const index = this.workers.length;
    w.on('message', (r: ChunkResult) => {
      r.worker = index;
      const p = this.waiting.get(r.id);
      this.waiting.delete(r.id);
      p?.resolve(r);
    });
    w.on('error', (e: Error) => this.fail(e));
    w.on('exit', (code) => { if (this.users > 0) this.fail(new Error(`log worker exited (${code})`)); });
    return w;
  }

  /** Give a result's buffers back to the worker that made them (they are no longer read here). */
  recycle(r: ChunkResult): void {
    if (this.broken || r.worker === undefined) return;
    const b = chunkBuffers(r);
    this.workers[r.worker]!.postMessage({ recycle: b }, [b.out, b.ends, b.seconds, b.nanos, b.offsets, b.flags]);
  }

  static acquire(spec: RawLogSpec, n: number): LogWorkerPool {
    const key = JSON.stringify(spec);
    let pool = LogWorkerPool.pools.get(key);
    if (!pool) {
      pool = new LogWorkerPool(key, spec, n);
      LogWorkerPool.pools.set(key, pool);
    }
    pool.users++;
    return pool;
  }

  /** Format a chunk on the next worker; rejected if the pool broke (the caller reads it itself). */
  run(task: Omit<ChunkTask, 'id'>): Promise<ChunkResult> {
    if (this.broken) return Promise.reject(this.broken);
    const id = this.seq++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.workers[id % this.workers.length]!.postMessage({ ...task, id });
    });
  }

  private fail(e: Error): void {
    this.broken ??= e;
    for (const p of this.waiting.values()) p.reject(e);
    this.waiting.clear();
  }

  async release(): Promise<void> {
    if (--this.users > 0) return;
    LogWorkerPool.pools.delete(this.key);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** Chunks of one log formatted ahead of the merge (each holds its lines' bytes until written). */
const AHEAD = 4;

/**
 * The items of a json-file log checked to hold only lines of Docker's exact shape (the order
 * pre-check), formatted by worker threads chunk by chunk (`plan`: chunk starts at line starts, then
 * the file's end) and merged here in order. A line a worker passes back, and a chunk no worker could
 * format, take the JSON path here, so every line comes out as `extract` would make it.
 */
export async function* jsonLogItemsParallel(ref: ArtifactRef, fh: FileHandle, plan: readonly number[], templates: [unknown, unknown], ctx: Context,
  fmt: RawLogFormat, out: ExtractOutput<LogLineRecord>, workers: number): AsyncGenerator<TimelineItem[]> {
  const pool = LogWorkerPool.acquire(fmt.workerSpec!(), workers);
  let batch: TimelineItem[] = [];
  const reader = new JsonLogReader(ref, out, (r) => { for (const e of logLineEvents(r, ctx)) batch.push(e); });
  const evidence = ref.entry.path;
  const source = ctx.evidenceSource;
  const chunks = plan.length - 1;
  const ahead: Promise<ChunkResult | Error>[] = [];
  let next = 0;
  const send = (): void => {
    ahead.push(pool.run({ fd: fh.fd, start: plan[next]!, end: plan[next + 1]!, templates }).catch((e: Error) => e));
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
        // no worker could format it: the JSON path reads it here
        await readChunkHere(fh, plan[i]!, plan[i + 1]!, reader);
      } else {
        const buf = Buffer.from(r.out.buffer, r.out.byteOffset, r.out.length);
        let rawLines = 0;
        for (let k = 0; k < r.count; k++) if (r.flags[k] === 0) rawLines++;
        const owner = rawLines ? new LineBuffer(rawLines, () => pool.recycle(r)) : null;
        let start = 0;
        for (let k = 0; k < r.count; k++) {
          const end = r.ends[k]!;
          if (r.flags[k] === 0) {
            const s = r.seconds[k]!;
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
    await pool.release();
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
