import path from 'node:path';
import type { TimelineEvent } from '../events/event.js';
import { NS_PER_SECOND } from '../time/nanotime.js';
import type { Attributor } from './attribution.js';
import type { RowSink } from './reader.js';
import { bodyEvent, bodyRow, fieldMask, splitBodyLine, zoneNote, type BodyLine, type BodyRow } from './readers/bodyfile.js';
import type { InputZone } from './times.js';
import { compareRowKeys, HeldRows, readRowKey, readRowLine, type RowKey } from './bodyfile-held.js';
import { RunMerge, reduceRuns, type Run, type RunOrder } from '../spill/merge-runs.js';
import { RunWriter } from '../spill/run-writer.js';
import { TempDir } from '../spill/temp-dir.js';

/** Events per batch handed to the timeline's merge (small: a batch lives until written, and what outlives a young-generation collection is copied to the old one). */
const OUT_BATCH = 1024;
/** Runs merged at once (each holds one read buffer). */
const FAN_IN = 64;
const READ_BUFFER = 256 * 1024;

export interface BodyfileRowsOptions {
  /** Estimated bytes of rows held in memory before a sorted run is spilled (merge's `--sort-memory`). */
  memoryBytes: number;
  /** Folder for the spill files (a fresh sub-folder is made and removed). */
  tmpDir?: string;
  /** The merge's time window; `windowed`: false when it keeps every time (then no bigint is made to ask). */
  inside: (t: bigint) => boolean;
  windowed: boolean;
  attributor: Attributor | null;
  /** The timeline's field names (CSV headers): the names of the rows' events are added as they are read. */
  fieldNames: Set<string>;
  /** Every merge input, as given (their folder and name order the events of equal times, as for events). */
  inputs: readonly string[];
  zone: InputZone;
}

interface Input {
  dir: string;
  name: string;
  /** Position of (dir, name) among all inputs: the timeline order compares evidence source, then evidence. */
  rank: number;
}

const cmpStr = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Bodyfile rows of `merge`, sorted by the time of each of their events and made into events only when
 * written. A host bodyfile of millions of lines gives up to four events per line; held as events they
 * cost ~650 bytes each in memory and ~500 in the spill files (JSON). Here a row is its line (kept once,
 * for all its events) and an event is its key: seconds, nanoseconds, row, column, ~20 bytes. Runs
 * are spilled as binary records (the key and the line) and merged; each event is made from its line
 * as it goes out (bodyfile.ts `bodyEvent`, the same function the reader uses, and attributed then),
 * so the events are exactly those the reader makes, in the timeline order (compareEvents: time, the
 * input's folder and name, offset, then the order of the row's columns).
 * The events reach the timeline as one ordered source of the sorter (EventSorter.addSortedSource).
 */
export class BodyfileRows {
  /** Events held (in memory or spilled), outside the time window not counted. */
  count = 0;
  /** Events left out by the time window. */
  filtered = 0;
  /** Events whose path was attributed to a container, layer or volume. */
  attributed = 0;

  private readonly inputs: Input[];
  private readonly zone: InputZone;
  private readonly maskKeys = new Map<number, string[]>();
  /** Rows and their events in memory, up to the memory bound. */
  private readonly held: HeldRows;
  private readonly rank: number[];
  /** Spilled runs: each event's key and its row's line, in timeline order. */
  private readonly order: RunOrder<RowKey>;
  private readonly dir: TempDir;
  private runs: Run[] = [];

  constructor(private readonly o: BodyfileRowsOptions) {
    this.zone = o.zone;
    this.held = new HeldRows(o.memoryBytes);
    const keys = o.inputs.map((f) => ({ dir: path.dirname(path.resolve(f)), name: path.basename(f) }));
    const sorted = [...keys].sort((a, b) => cmpStr(a.dir, b.dir) || cmpStr(a.name, b.name));
    const rankOf = (k: { dir: string; name: string }): number => sorted.findIndex((s) => s.dir === k.dir && s.name === k.name);
    this.inputs = keys.map((k) => ({ ...k, rank: rankOf(k) }));
    this.rank = this.inputs.map((i) => i.rank);
    this.order = { key: readRowKey, compare: compareRowKeys(this.rank) };
    this.dir = new TempDir(o.tmpDir, 'docker-timeline-rows-');
  }

  /** The row sink of input `index` (its position in `inputs`). */
  forInput(index: number): RowSink {
    return { row: (text, offset, line, secs, nanos) => this.add(index, text, offset, line, secs, nanos) };
  }

  private add(input: number, text: string, offset: number, line: BodyLine, secs: Float64Array, nanos: Float64Array): void {
    // room for the line first (a spill empties the memory, so the row's events go after it)
    const need = text.length * 3;
    if (!this.held.room(need)) {
      this.spill();
      this.held.room(need);
    }
    let kept = 0;
    let firstCol = -1;
    for (let col = 0; col < 4; col++) {
      const s = secs[col]!;
      if (Number.isNaN(s)) continue;
      if (this.o.windowed && !this.o.inside(BigInt(s) * NS_PER_SECOND + BigInt(nanos[col]!))) {
        this.filtered++;
        continue;
      }
      this.held.addEvent(s, nanos[col]!, col);
      if (firstCol < 0) firstCol = col;
      kept++;
    }
    if (kept === 0) return;
    this.held.addRow(text, offset, input);
    this.count += kept;

    // what the events would add when they are added to the sorter: their field names, and the attribution count
    const r = bodyRow(line);
    const mask = fieldMask(r, this.zone);
    let keys = this.maskKeys.get(mask);
    if (!keys) {
      keys = Object.keys(bodyEvent('', '', 0, r, firstCol, 0n, this.zone.utc ? null : 'note').fields);
      this.maskKeys.set(mask, keys);
    }
    const names = this.o.fieldNames;
    for (const k of keys) names.add(k);
    const attributor = this.o.attributor;
    if (attributor && r.hostPath) {
      const a = attributor.attribute(r.hostPath);
      if (a) {
        this.attributed += kept;
        for (const k in a.fields) names.add(k);
      }
    }
    if (this.held.bytes >= this.o.memoryBytes) this.spill();
  }

  /** Sort the held events and write them as one run (synchronously: memory stays bounded whatever the reader does). */
  private spill(): void {
    const w = new RunWriter(this.dir.file());
    try {
      this.held.writeRun(this.held.order(this.rank), w);
      w.finish();
    } finally {
      w.close();
    }
    this.runs.push({ file: w.file, bytes: w.bytes });
  }

  /**
   * The events in timeline order, in batches (for EventSorter.addSortedSource). Runs beyond FAN_IN
   * are merged into longer ones first (consecutive runs of the fewest bytes), so the final merge holds
   * a bounded number of read buffers.
   */
  async *sorted(): AsyncGenerator<TimelineEvent[]> {
    try {
      let batch: TimelineEvent[] = [];
      if (this.runs.length === 0) {
        const idx = this.held.order(this.rank);
        for (let k = 0; k < idx.length; k++) {
          batch.push(this.event(this.held.key(idx[k]!), this.held.line(idx[k]!)));
          if (batch.length >= OUT_BATCH) {
            yield batch;
            batch = [];
          }
        }
        this.held.release();
        if (batch.length) yield batch;
        return;
      }
      if (this.held.events) this.spill();
      this.held.release();
      this.runs = reduceRuns(this.runs, { order: this.order, fanIn: FAN_IN, dir: this.dir, readBytes: READ_BUFFER });
      const merge = new RunMerge(this.runs.map((r) => r.file), this.order, READ_BUFFER);
      try {
        for (let h = merge.next(); h; h = merge.next()) {
          batch.push(this.event(h.key, readRowLine(h.reader)));
          if (batch.length >= OUT_BATCH) {
            yield batch;
            batch = [];
          }
        }
      } finally {
        merge.close();
      }
      if (batch.length) yield batch;
    } finally {
      this.cleanup();
    }
  }

  private last: { inp: number; off: number; row: BodyRow } | null = null;

  /** The event of one column of a row, as the reader makes it; attributed as merge attributes events. */
  private event(k: RowKey, text: string): TimelineEvent {
    let r: BodyRow;
    const last = this.last;
    if (last && last.inp === k.inp && last.off === k.off) {
      r = last.row;
    } else {
      r = bodyRow(splitBodyLine(text) as BodyLine);
      this.last = { inp: k.inp, off: k.off, row: r };
    }
    const input = this.inputs[k.inp]!;
    const timeNs = BigInt(k.sec) * NS_PER_SECOND + BigInt(k.nano);
    const e = bodyEvent(input.dir, input.name, k.off, r, k.col, timeNs, zoneNote(r.line.times[k.col]!, this.zone));
    if (this.o.attributor && r.hostPath) this.o.attributor.annotate(e, r.hostPath);
    return e;
  }

  /** Remove the spill files (also when the output failed half-way). */
  cleanup(): void {
    this.dir.cleanup();
    this.runs = [];
  }

  /** Spill runs written so far, and their size (for tests and the bench). */
  get spilledRuns(): number {
    return this.runs.length;
  }
}
