import { closeSync, createReadStream, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TimelineEvent } from './event.js';
import { compareEvents } from './compare.js';
import { LineSplitter } from '../extractors/line-splitter.js';
import { EventCodec } from './codec.js';
import { MinHeap } from './heap.js';

export interface SorterOptions {
  /** Approximate bytes of events held in memory before a sorted run is spilled to disk. */
  memoryBytes?: number;
  /** Folder for the spill files (a fresh sub-folder is made and removed). Never inside the evidence. */
  tmpDir?: string;
}

/**
 * External merge sort of events: kept in memory up to a bound, then spilled as sorted runs to
 * temporary files, and merged (k-way, with a heap) on output. Memory stays flat as evidence grows.
 */
export class EventSorter {
  private buffer: TimelineEvent[] = [];
  private bufferBytes = 0;
  private runs: string[] = [];
  private dir: string | null = null;
  private readonly codec = new EventCodec();
  private readonly limit: number;
  count = 0;

  constructor(private readonly opts: SorterOptions = {}) {
    this.limit = opts.memoryBytes ?? 96 * 1024 * 1024;
  }

  /** Every key that occurs in `fields` of an added event (for CSV headers). */
  readonly fieldNames = new Set<string>();

  add(e: TimelineEvent): void {
    for (const k in e.fields) if (!this.fieldNames.has(k)) this.fieldNames.add(k);
    this.buffer.push(e);
    this.count++;
    this.bufferBytes += 200 + e.message.length * 2 + e.evidence.length;
    if (this.bufferBytes >= this.limit) this.spill();
  }

  get spilledRuns(): number {
    return this.runs.length;
  }

  /** Sort the buffer and write it as one run (synchronously: memory is bounded whatever the producer does). */
  private spill(): void {
    const events = this.buffer;
    this.buffer = [];
    this.bufferBytes = 0;
    events.sort(compareEvents);
    this.dir ??= mkdtempSync(path.join(this.opts.tmpDir ?? tmpdir(), 'docker-timeline-'));
    const file = path.join(this.dir, `run-${this.runs.length}.jsonl`);
    this.runs.push(file);
    const fd = openSync(file, 'w');
    try {
      let batch = '';
      for (const e of events) {
        batch += this.codec.encode(e) + '\n';
        if (batch.length > 1 << 20) {
          writeSync(fd, batch);
          batch = '';
        }
      }
      if (batch) writeSync(fd, batch);
    } finally {
      closeSync(fd);
    }
  }

  /** All events in timeline order. The sorter cannot be added to afterwards. */
  async *sorted(): AsyncGenerator<TimelineEvent> {
    this.buffer.sort(compareEvents);
    try {
      if (this.runs.length === 0) {
        yield* this.buffer;
        return;
      }
      const sources: AsyncIterator<TimelineEvent>[] = this.runs.map((f) => this.readRun(f));
      const memory = this.buffer;
      sources.push((async function* () { yield* memory; })());
      // heap of [event, source index]; ties broken by source index, which keeps the sort stable
      const heap = new MinHeap<[TimelineEvent, number]>((a, b) => compareEvents(a[0], b[0]) || a[1] - b[1]);
      for (let i = 0; i < sources.length; i++) {
        const r = await sources[i]!.next();
        if (!r.done) heap.push([r.value, i]);
      }
      while (heap.size > 0) {
        const [e, i] = heap.pop()!;
        yield e;
        const r = await sources[i]!.next();
        if (!r.done) heap.push([r.value, i]);
      }
    } finally {
      this.cleanup();
    }
  }

  private async *readRun(file: string): AsyncGenerator<TimelineEvent> {
    const lines: Buffer[] = [];
    const splitter = new LineSplitter((l) => lines.push(Buffer.from(l)), () => { throw new Error(`spill file ${file} has an overlong line`); }, 1 << 30);
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      splitter.push(chunk);
      for (const l of lines) yield this.codec.decode(l.toString('utf8'));
      lines.length = 0;
    }
    splitter.end();
    for (const l of lines) yield this.codec.decode(l.toString('utf8'));
  }

  cleanup(): void {
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = null;
  }
}

