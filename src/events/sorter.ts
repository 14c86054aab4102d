import type { TimelineEvent } from './event.js';
import { compareEvents } from './compare.js';
import { EventCodec } from './codec.js';
import type { TimelineItem } from './raw-line.js';
import type { RawLogFormat } from '../sinks/sink.js';
import type { RawOpener } from '../pipeline.js';
import { MinHeap } from '../spill/heap.js';
import { reduceRuns, type Run, type RunOrder } from '../spill/merge-runs.js';
import { RunReader } from '../spill/run-reader.js';
import { RunWriter } from '../spill/run-writer.js';
import { TempDir } from '../spill/temp-dir.js';

/** Events per output batch. */
const OUT_BATCH = 4096;
/** Spilled runs merged at once (each holds a read buffer and a batch of events). */
const MAX_FAN_IN = 64;
/** Read buffer of a run, and the encoded bytes of a batch read from it: small, every run is open at once in the merge. */
const READ_BYTES = 1 << 16;

interface Cursor<T> {
  batch: T[];
  i: number;
  source: number;
}

/**
 * k-way merge of sorted batch streams with a heap of cursors; ties go to the lower source index,
 * which keeps the merge stable. Awaits only when a source's batch runs out.
 */
export async function* mergeBatches<T extends TimelineItem>(sources: AsyncIterator<T[]>[]): AsyncGenerator<T[]> {
  const heap = new MinHeap<Cursor<T>>((a, b) => compareEvents(a.batch[a.i]!, b.batch[b.i]!) || a.source - b.source);
  const refill = async (source: number): Promise<Cursor<T> | null> => {
    for (;;) {
      const r = await sources[source]!.next();
      if (r.done) return null;
      if (r.value.length) return { batch: r.value, i: 0, source };
    }
  };
  for (let i = 0; i < sources.length; i++) {
    const c = await refill(i);
    if (c) heap.push(c);
  }
  let out: T[] = [];
  while (heap.size > 0) {
    const c = heap.pop()!;
    if (heap.size === 0) {
      // one source left: pass its batches through (in slices: the in-memory one can be large)
      if (out.length) yield out;
      out = [];
      for (let n: Cursor<T> | null = c; n; n = await refill(c.source)) {
        for (let j = n.i; j < n.batch.length; j += OUT_BATCH) yield n.batch.slice(j, j + OUT_BATCH);
      }
      break;
    }
    // the rest of this batch comes before every other source's next item: take it whole (a large
    // log's chunk passes with one comparison, not one heap operation per line)
    const other = heap.peek()!;
    const last = c.batch.length - 1;
    if (c.i < last && (compareEvents(c.batch[last]!, other.batch[other.i]!) || c.source - other.source) < 0) {
      if (out.length) yield out;
      out = [];
      if (c.i === 0 && c.batch.length <= OUT_BATCH) yield c.batch;
      else for (let j = c.i; j < c.batch.length; j += OUT_BATCH) yield c.batch.slice(j, j + OUT_BATCH);
      c.i = c.batch.length;
    } else {
      out.push(c.batch[c.i++]!);
      if (out.length >= OUT_BATCH) {
        yield out;
        out = [];
      }
    }
    if (c.i < c.batch.length) heap.push(c);
    else {
      const n = await refill(c.source);
      if (n) heap.push(n);
    }
  }
  if (out.length) yield out;
}

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
  private runs: Run[] = [];
  private readonly dir: TempDir;
  /** Runs being read by the final merge. */
  private readonly reading = new Set<RunReader>();
  private readonly codec = new EventCodec();
  /** Spilled runs ordered as their events (each record one encoded event). */
  private readonly order: RunOrder<TimelineEvent> = { key: (r) => this.codec.decode(r.text()), compare: compareEvents };
  private readonly limit: number;
  count = 0;

  constructor(opts: SorterOptions = {}) {
    this.limit = opts.memoryBytes ?? 48 * 1024 * 1024;
    this.dir = new TempDir(opts.tmpDir, 'docker-timeline-');
  }

  /** Every key that occurs in `fields` of an added event (for CSV headers). */
  readonly fieldNames = new Set<string>();

  add(e: TimelineEvent): void {
    for (const k in e.fields) if (!this.fieldNames.has(k)) this.fieldNames.add(k);
    this.buffer.push(e);
    this.count++;
    // measured: a held event costs about 3-4x its strings in heap (objects, fields, bigint)
    this.bufferBytes += 1500 + e.message.length * 4;
    if (this.bufferBytes >= this.limit) this.spill();
  }

  private readonly sources: { open: () => AsyncIterator<TimelineEvent[]>; openRaw?: RawOpener }[] = [];

  /**
   * A source whose events are already in timeline order (a large log file checked to be so), read
   * again at output time and merged in directly: it never passes through memory or the spill files.
   */
  addSortedSource(open: () => AsyncIterator<TimelineEvent[]>, count: number, fieldNames: Iterable<string>, openRaw?: RawOpener): void {
    this.sources.push({ open, openRaw });
    this.count += count;
    for (const k of fieldNames) this.fieldNames.add(k);
  }

  get sortedSources(): number {
    return this.sources.length;
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
    const w = new RunWriter(this.dir.file());
    try {
      for (const e of events) w.writeString(this.codec.encode(e));
      w.finish();
    } finally {
      w.close();
    }
    this.runs.push({ file: w.file, bytes: w.bytes });
  }

  /**
   * All events in timeline order, in batches (one promise per batch, not per event: per-event
   * awaiting costs more than formatting). The sorter cannot be added to afterwards. With `raw` (a
   * sink's fast path), directly merged sources that can give their lines formatted in advance do so.
   */
  sorted(): AsyncGenerator<TimelineEvent[]>;
  sorted(raw: RawLogFormat | undefined): AsyncGenerator<TimelineItem[]>;
  async *sorted(raw?: RawLogFormat): AsyncGenerator<TimelineItem[]> {
    this.buffer.sort(compareEvents);
    try {
      if (this.runs.length === 0 && this.sources.length === 0) {
        for (let i = 0; i < this.buffer.length; i += OUT_BATCH) yield this.buffer.slice(i, i + OUT_BATCH);
        return;
      }
      // more runs than MAX_FAN_IN are merged in passes first (synchronously, as runs are written), so
      // the final merge holds a bounded number of open runs: memory stays flat however large the evidence
      this.runs = reduceRuns(this.runs, { order: this.order, fanIn: MAX_FAN_IN, dir: this.dir, readBytes: READ_BYTES });
      const memory = this.buffer;
      const sources: AsyncIterator<TimelineItem[]>[] = [
        ...this.runs.map((r) => this.readRun(r.file)),
        ...this.sources.map((s) => (raw && s.openRaw ? s.openRaw(raw) : s.open())),
        (async function* () { if (memory.length) yield memory; })(),
      ];
      yield* mergeBatches(sources);
    } finally {
      this.cleanup();
    }
  }

  /** A run's events, in batches of about READ_BYTES of their encoding. */
  private async *readRun(file: string): AsyncGenerator<TimelineEvent[]> {
    const reader = new RunReader(file, READ_BYTES);
    this.reading.add(reader);
    try {
      let batch: TimelineEvent[] = [];
      let bytes = 0;
      while (reader.next()) {
        batch.push(this.codec.decode(reader.text()));
        bytes += reader.end - reader.start;
        if (bytes >= READ_BYTES) {
          yield batch;
          batch = [];
          bytes = 0;
        }
      }
      if (batch.length) yield batch;
    } finally {
      reader.close();
      this.reading.delete(reader);
    }
  }

  /** Remove the spill files; runs still open (the output stopped half-way) are closed. */
  cleanup(): void {
    for (const r of this.reading) r.close();
    this.reading.clear();
    this.dir.cleanup();
  }
}
