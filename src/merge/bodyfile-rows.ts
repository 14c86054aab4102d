import { closeSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TimelineEvent } from '../events/event.js';
import { NS_PER_SECOND } from '../time/nanotime.js';
import type { Attributor } from './attribution.js';
import type { RowSink } from './reader.js';
import { bodyEvent, bodyRow, fieldMask, splitBodyLine, zoneNote, type BodyLine, type BodyRow } from './readers/bodyfile.js';
import type { InputZone } from './times.js';

/** Events per batch handed to the timeline's merge (small: a batch lives until written, and what outlives a young-generation collection is copied to the old one). */
const OUT_BATCH = 1024;
/** Runs merged at once (each holds one read buffer). */
const FAN_IN = 64;
const READ_BUFFER = 256 * 1024;
const WRITE_BUFFER = 1 << 20;
/** Bytes of a spilled record before the line: seconds f64, nanos u32, offset f64, input u32, column u8, line length u32. */
const HEADER = 29;
/** Memory of a held row besides its line's bytes (offset, input, place in the arena) and of a held event (key columns, and the sort's copies). */
const ROW_BYTES = 24;
const EVENT_BYTES = 40;
/** Least size of the line arena. */
const ARENA_MIN = 1 << 20;

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

  // rows and events in memory: the rows' lines as UTF-8 in one buffer (off the JS heap: nothing for
  // the garbage collector to go through, and a spill copies bytes), the keys in typed arrays
  // (sized for the memory bound at once: the pages are only used as they are written, and growing by
  // copies would leave the old buffers to the collector, a peak of their own)
  private arena: Buffer;
  private used = 0;
  private rowStart: Uint32Array;
  private rowLen: Uint32Array;
  private rowOff: Float64Array;
  private rowInp: Uint32Array;
  private nRows = 0;
  private evSec: Float64Array;
  private evNano: Int32Array;
  private evRow: Uint32Array;
  private evCol: Uint8Array;
  private nEv = 0;

  private dir: string | null = null;
  private runs: { file: string; bytes: number }[] = [];
  private runSeq = 0;

  constructor(private readonly o: BodyfileRowsOptions) {
    this.zone = o.zone;
    const rows = Math.max(1024, Math.ceil(o.memoryBytes / (ROW_BYTES + EVENT_BYTES)));
    const events = Math.max(4096, Math.ceil(o.memoryBytes / EVENT_BYTES) + 4);
    this.arena = Buffer.allocUnsafeSlow(Math.max(ARENA_MIN, o.memoryBytes));
    this.rowStart = new Uint32Array(rows);
    this.rowLen = new Uint32Array(rows);
    this.rowOff = new Float64Array(rows);
    this.rowInp = new Uint32Array(rows);
    this.evSec = new Float64Array(events);
    this.evNano = new Int32Array(events);
    this.evRow = new Uint32Array(events);
    this.evCol = new Uint8Array(events);
    const keys = o.inputs.map((f) => ({ dir: path.dirname(path.resolve(f)), name: path.basename(f) }));
    const sorted = [...keys].sort((a, b) => cmpStr(a.dir, b.dir) || cmpStr(a.name, b.name));
    const rankOf = (k: { dir: string; name: string }): number => sorted.findIndex((s) => s.dir === k.dir && s.name === k.name);
    this.inputs = keys.map((k) => ({ ...k, rank: rankOf(k) }));
  }

  /** The row sink of input `index` (its position in `inputs`). */
  forInput(index: number): RowSink {
    return { row: (text, offset, line, secs, nanos) => this.add(index, text, offset, line, secs, nanos) };
  }

  private add(input: number, text: string, offset: number, line: BodyLine, secs: Float64Array, nanos: Float64Array): void {
    // room for the line first (a spill empties the memory, so the row's events go after it)
    const need = text.length * 3;
    if (this.used + need > this.arena.length && !this.growArena(need)) {
      this.spill();
      this.growArena(need);
    }
    const row = this.nRows;
    let kept = 0;
    let firstCol = -1;
    for (let col = 0; col < 4; col++) {
      const s = secs[col]!;
      if (Number.isNaN(s)) continue;
      if (this.o.windowed && !this.o.inside(BigInt(s) * NS_PER_SECOND + BigInt(nanos[col]!))) {
        this.filtered++;
        continue;
      }
      if (this.nEv === this.evSec.length) this.growEvents();
      const i = this.nEv++;
      this.evSec[i] = s;
      this.evNano[i] = nanos[col]!;
      this.evRow[i] = row;
      this.evCol[i] = col;
      if (firstCol < 0) firstCol = col;
      kept++;
    }
    if (kept === 0) return;
    if (row === this.rowOff.length) this.growRows();
    const n = this.arena.write(text, this.used, 'utf8');
    this.rowStart[row] = this.used;
    this.rowLen[row] = n;
    this.used += n;
    this.rowOff[row] = offset;
    this.rowInp[row] = input;
    this.nRows++;
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
    if (this.used + this.nRows * ROW_BYTES + this.nEv * EVENT_BYTES >= this.o.memoryBytes) this.spill();
  }

  /** Room for `need` more bytes of lines; false: full, spill first. Only a line longer than the arena grows it. */
  private growArena(need: number): boolean {
    if (this.used > 0) return false;
    const b = Buffer.allocUnsafeSlow(need);
    this.arena = b;
    return true;
  }

  private growEvents(): void {
    const n = this.evSec.length * 2;
    const grow = <T extends Float64Array | Int32Array | Uint32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.evSec = grow(this.evSec, (k) => new Float64Array(k));
    this.evNano = grow(this.evNano, (k) => new Int32Array(k));
    this.evRow = grow(this.evRow, (k) => new Uint32Array(k));
    this.evCol = grow(this.evCol, (k) => new Uint8Array(k));
  }

  private growRows(): void {
    const n = this.rowOff.length * 2;
    const grow = <T extends Float64Array | Uint32Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.rowOff = grow(this.rowOff, (k) => new Float64Array(k));
    this.rowInp = grow(this.rowInp, (k) => new Uint32Array(k));
    this.rowStart = grow(this.rowStart, (k) => new Uint32Array(k));
    this.rowLen = grow(this.rowLen, (k) => new Uint32Array(k));
  }

  /** Indices of the held events in timeline order. */
  private order(): Uint32Array {
    const n = this.nEv;
    const idx = new Uint32Array(n);
    for (let i = 0; i < n; i++) idx[i] = i;
    const sec = this.evSec, nano = this.evNano, row = this.evRow, col = this.evCol;
    const off = this.rowOff, inp = this.rowInp, inputs = this.inputs;
    idx.sort((a, b) => {
      let d = sec[a]! - sec[b]!;
      if (d !== 0) return d;
      d = nano[a]! - nano[b]!;
      if (d !== 0) return d;
      const ra = row[a]!, rb = row[b]!;
      if (ra !== rb) {
        const ia = inp[ra]!, ib = inp[rb]!;
        d = inputs[ia]!.rank - inputs[ib]!.rank;
        if (d !== 0) return d;
        d = off[ra]! - off[rb]!;
        if (d !== 0) return d;
        d = ia - ib;
        if (d !== 0) return d;
      }
      return col[a]! - col[b]!;
    });
    return idx;
  }

  private clearMemory(): void {
    this.used = 0;
    this.nRows = 0;
    this.nEv = 0;
  }

  /** Everything is spilled (or made into events): the arena and key columns go, so the output has their memory. */
  private release(): void {
    this.clearMemory();
    this.arena = Buffer.alloc(0);
    this.rowStart = this.rowLen = this.rowInp = new Uint32Array(0);
    this.rowOff = new Float64Array(0);
    this.evSec = new Float64Array(0);
    this.evNano = new Int32Array(0);
    this.evRow = new Uint32Array(0);
    this.evCol = new Uint8Array(0);
  }

  private text(row: number): string {
    const start = this.rowStart[row]!;
    return this.arena.toString('utf8', start, start + this.rowLen[row]!);
  }

  /** Sort the held events and write them as one run (synchronously: memory stays bounded whatever the reader does). */
  private spill(): void {
    const idx = this.order();
    this.dir ??= mkdtempSync(path.join(this.o.tmpDir ?? tmpdir(), 'docker-timeline-rows-'));
    const file = path.join(this.dir, `run-rows-${this.runSeq++}.bin`);
    const w = new RunWriter(file);
    try {
      for (let k = 0; k < idx.length; k++) {
        const i = idx[k]!;
        const row = this.evRow[i]!;
        w.record(this.evSec[i]!, this.evNano[i]!, this.rowOff[row]!, this.rowInp[row]!, this.evCol[i]!, this.arena, this.rowStart[row]!, this.rowLen[row]!);
      }
    } finally {
      w.close();
    }
    this.runs.push({ file, bytes: w.bytes });
    this.clearMemory();
  }

  /**
   * The events in timeline order, in batches (for EventSorter.addSortedSource). Runs beyond FAN_IN
   * are merged into longer ones first (the smallest, fewest bytes rewritten), so the final merge holds
   * a bounded number of read buffers.
   */
  async *sorted(): AsyncGenerator<TimelineEvent[]> {
    try {
      if (this.runs.length === 0) {
        const idx = this.order();
        let batch: TimelineEvent[] = [];
        for (let k = 0; k < idx.length; k++) {
          const i = idx[k]!;
          const row = this.evRow[i]!;
          batch.push(this.event(this.rowInp[row]!, this.rowOff[row]!, this.evCol[i]!, this.evSec[i]!, this.evNano[i]!, this.text(row)));
          if (batch.length >= OUT_BATCH) {
            yield batch;
            batch = [];
          }
        }
        this.release();
        if (batch.length) yield batch;
        return;
      }
      if (this.nEv) this.spill();
      this.release();
      while (this.runs.length > FAN_IN) {
        this.runs.sort((a, b) => a.bytes - b.bytes);
        const group = this.runs.splice(0, Math.min(FAN_IN, this.runs.length - FAN_IN + 1));
        const file = path.join(this.dir!, `run-rows-${this.runSeq++}.bin`);
        const w = new RunWriter(file);
        try {
          for (const c of this.merge(group)) w.copy(c);
        } finally {
          w.close();
        }
        for (const g of group) rmSync(g.file, { force: true });
        this.runs.push({ file, bytes: w.bytes });
      }
      let batch: TimelineEvent[] = [];
      for (const c of this.merge(this.runs)) {
        batch.push(this.event(c.inp, c.off, c.col, c.sec, c.nano, c.text()));
        if (batch.length >= OUT_BATCH) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length) yield batch;
    } finally {
      this.cleanup();
    }
  }

  /** k-way merge of runs: yields the cursor holding the next record (valid until the next step). */
  private *merge(runs: readonly { file: string }[]): Generator<RunCursor> {
    const heap: RunCursor[] = [];
    const inputs = this.inputs;
    const less = (a: RunCursor, b: RunCursor): boolean => {
      if (a.sec !== b.sec) return a.sec < b.sec;
      if (a.nano !== b.nano) return a.nano < b.nano;
      const ra = inputs[a.inp]!.rank, rb = inputs[b.inp]!.rank;
      if (ra !== rb) return ra < rb;
      if (a.off !== b.off) return a.off < b.off;
      if (a.inp !== b.inp) return a.inp < b.inp;
      return a.col < b.col;
    };
    const down = (i: number): void => {
      const n = heap.length;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < n && less(heap[l]!, heap[m]!)) m = l;
        if (r < n && less(heap[r]!, heap[m]!)) m = r;
        if (m === i) return;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    };
    const cursors = runs.map((r) => new RunCursor(r.file));
    try {
      for (const c of cursors) if (c.next()) heap.push(c);
      for (let i = (heap.length >> 1) - 1; i >= 0; i--) down(i);
      while (heap.length) {
        const c = heap[0]!;
        yield c;
        if (c.next()) {
          down(0);
        } else {
          const last = heap.pop()!;
          if (heap.length) {
            heap[0] = last;
            down(0);
          }
        }
      }
    } finally {
      for (const c of cursors) c.close();
    }
  }

  private last: { inp: number; off: number; row: BodyRow } | null = null;

  /** The event of one column of a row, as the reader makes it; attributed as merge attributes events. */
  private event(inp: number, offset: number, col: number, sec: number, nano: number, text: string): TimelineEvent {
    let r: BodyRow;
    const last = this.last;
    if (last && last.inp === inp && last.off === offset) {
      r = last.row;
    } else {
      r = bodyRow(splitBodyLine(text) as BodyLine);
      this.last = { inp, off: offset, row: r };
    }
    const input = this.inputs[inp]!;
    const timeNs = BigInt(sec) * NS_PER_SECOND + BigInt(nano);
    const e = bodyEvent(input.dir, input.name, offset, r, col, timeNs, zoneNote(r.line.times[col]!, this.zone));
    if (this.o.attributor && r.hostPath) this.o.attributor.annotate(e, r.hostPath);
    return e;
  }

  /** Remove the spill files (also when the output failed half-way). */
  cleanup(): void {
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = null;
    this.runs = [];
  }

  /** Spill runs written so far, and their size (for tests and the bench). */
  get spilledRuns(): number {
    return this.runs.length;
  }
}

/** Writes binary records to a run file through a buffer. */
class RunWriter {
  private readonly fd: number;
  private buf = Buffer.allocUnsafeSlow(WRITE_BUFFER);
  private dv = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  private len = 0;
  bytes = 0;

  constructor(file: string) {
    this.fd = openSync(file, 'w');
  }

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) {
      this.buf = Buffer.allocUnsafeSlow(n);
      this.dv = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    }
  }

  /** One event: its key and its row's line (`len` bytes of `src` from `start`). */
  record(sec: number, nano: number, off: number, inp: number, col: number, src: Buffer, start: number, len: number): void {
    this.room(HEADER + len);
    const p = this.len;
    const n = src.copy(this.buf, p + HEADER, start, start + len);
    const dv = this.dv;
    dv.setFloat64(p, sec, true);
    dv.setUint32(p + 8, nano, true);
    dv.setFloat64(p + 12, off, true);
    dv.setUint32(p + 20, inp, true);
    dv.setUint8(p + 24, col);
    dv.setUint32(p + 25, n, true);
    this.len = p + HEADER + n;
  }

  /** The current record of a cursor, as it is. */
  copy(c: RunCursor): void {
    const n = c.recordEnd - c.recordStart;
    this.room(n);
    c.buf.copy(this.buf, this.len, c.recordStart, c.recordEnd);
    this.len += n;
  }

  private flush(): void {
    let done = 0;
    while (done < this.len) done += writeSync(this.fd, this.buf, done, this.len - done);
    this.bytes += this.len;
    this.len = 0;
  }

  close(): void {
    try {
      this.flush();
    } finally {
      closeSync(this.fd);
    }
  }
}

/** Reads the records of a run file one at a time. */
class RunCursor {
  private readonly fd: number;
  private readonly size: number;
  private pos = 0;
  buf = Buffer.allocUnsafeSlow(READ_BUFFER);
  private dv = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  private start = 0;
  private end = 0;
  // the current record
  sec = 0;
  nano = 0;
  off = 0;
  inp = 0;
  col = 0;
  recordStart = 0;
  recordEnd = 0;

  constructor(file: string) {
    this.fd = openSync(file, 'r');
    this.size = statSync(file).size;
  }

  /** At least `n` bytes from `start` in the buffer (false at the end of the file). */
  private fill(n: number): boolean {
    if (this.end - this.start >= n) return true;
    if (this.start > 0) {
      this.buf.copy(this.buf, 0, this.start, this.end);
      this.end -= this.start;
      this.start = 0;
    }
    if (n > this.buf.length) {
      const b = Buffer.allocUnsafeSlow(Math.max(n, this.buf.length * 2));
      this.buf.copy(b, 0, 0, this.end);
      this.buf = b;
      this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    }
    while (this.end < n && this.pos < this.size) {
      const got = readSync(this.fd, this.buf, this.end, this.buf.length - this.end, this.pos);
      if (got === 0) break;
      this.pos += got;
      this.end += got;
    }
    return this.end - this.start >= n;
  }

  next(): boolean {
    this.start = this.recordEnd;
    if (!this.fill(HEADER)) {
      if (this.end > this.start) throw new Error('bodyfile rows: truncated spill record');
      return false;
    }
    const len = this.dv.getUint32(this.start + 25, true);
    if (!this.fill(HEADER + len)) throw new Error('bodyfile rows: truncated spill record');
    const p = this.start;
    const dv = this.dv;
    this.sec = dv.getFloat64(p, true);
    this.nano = dv.getUint32(p + 8, true);
    this.off = dv.getFloat64(p + 12, true);
    this.inp = dv.getUint32(p + 20, true);
    this.col = dv.getUint8(p + 24);
    this.recordStart = p;
    this.recordEnd = p + HEADER + len;
    return true;
  }

  text(): string {
    return this.buf.toString('utf8', this.recordStart + HEADER, this.recordEnd);
  }

  close(): void {
    closeSync(this.fd);
  }
}
