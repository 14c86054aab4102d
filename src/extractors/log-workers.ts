import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { chunkBuffers, type ChunkResult } from './json-file-log.chunk.js';

/**
 * Compiled (dist/*.js) the worker module runs as it is; from the sources (*.ts) it runs through
 * bin/worker.js, which registers tsx in the worker as bin/docker-timeline.js does in the main thread.
 */
const COMPILED = import.meta.url.endsWith('.js');
const WORKER_MODULE = new URL(COMPILED ? './json-file-log.worker.js' : './json-file-log.worker.ts', import.meta.url);
const WORKER_ENTRY = COMPILED ? WORKER_MODULE : new URL('../../bin/worker.js', import.meta.url);

/** Worker threads for large logs: one per core (the main thread only merges and writes), at most 4. */
export function logWorkers(): number {
  const n = availableParallelism();
  return n < 2 ? 0 : Math.min(4, n);
}

/** A reply of a worker: the request's id, and which worker answered. */
interface Reply { id: number; worker?: number }

/**
 * The worker threads of a run, shared by every large log (each costs about 37 MB before any work:
 * its own V8 and tsx). Made at the first use; they hold the process open only while a request is out;
 * `shutdown` ends them. A worker that fails breaks the pool: every request still out, and every later
 * one, is rejected, and the callers read their chunks themselves.
 */
export class LogWorkerPool {
  private static shared: LogWorkerPool | null = null;
  private readonly workers: Worker[] = [];
  private readonly waiting = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  private seq = 0;
  private broken: Error | null = null;
  private closing = false;

  private constructor(n: number) {
    for (let k = 0; k < n; k++) this.workers.push(this.start(k));
  }

  static get(n = logWorkers()): LogWorkerPool {
    return (LogWorkerPool.shared ??= new LogWorkerPool(Math.max(1, n)));
  }

  /** End the workers of the run (at its end; a later use makes new ones). */
  static async shutdown(): Promise<void> {
    const p = LogWorkerPool.shared;
    LogWorkerPool.shared = null;
    if (!p) return;
    p.closing = true;
    p.fail(new Error('log workers shut down'));
    await Promise.all(p.workers.map((w) => w.terminate()));
  }

  get size(): number {
    return this.workers.length;
  }

  private start(index: number): Worker {
    const w = new Worker(WORKER_ENTRY, { workerData: { module: WORKER_MODULE.href }, resourceLimits: { maxYoungGenerationSizeMb: 4 } });
    w.unref();
    w.on('message', (r: Reply) => {
      r.worker = index;
      const p = this.waiting.get(r.id);
      this.waiting.delete(r.id);
      this.holdOpen();
      p?.resolve(r);
    });
    w.on('error', (e: Error) => this.fail(e));
    w.on('exit', (code) => { if (!this.closing) this.fail(new Error(`log worker exited (${code})`)); });
    return w;
  }

  /** Workers keep the process alive only while an answer is awaited. */
  private holdOpen(): void {
    const busy = this.waiting.size > 0;
    for (const w of this.workers) {
      if (busy) w.ref();
      else w.unref();
    }
  }

  /** Send a request to the next worker; its answer, or a rejection if the pool broke. */
  request<T extends Reply>(msg: object, worker?: number): Promise<T> {
    if (this.broken) return Promise.reject(this.broken);
    const id = this.seq++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (r: Reply) => void, reject });
      this.holdOpen();
      this.workers[worker ?? id % this.workers.length]!.postMessage({ ...msg, id });
    });
  }

  /** Give a result's buffers back to the worker that made them (they are no longer read here). */
  recycle(r: ChunkResult): void {
    if (this.broken || r.worker === undefined) return;
    const b = chunkBuffers(r);
    this.workers[r.worker]!.postMessage({ recycle: b }, [b.out, b.ends, b.seconds, b.nanos, b.offsets, b.flags]);
  }

  private fail(e: Error): void {
    this.broken ??= e;
    for (const p of this.waiting.values()) p.reject(e);
    this.waiting.clear();
    this.holdOpen();
  }
}
