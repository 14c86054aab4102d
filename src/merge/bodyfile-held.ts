import type { RunReader } from '../spill/run-reader.js';
import type { RunWriter } from '../spill/run-writer.js';

/**
 * Bodyfile rows held in memory for `merge` (bodyfile-rows.ts): the rows' lines as UTF-8 in one buffer
 * (off the JS heap: nothing for the garbage collector to go through, and a spill copies bytes), and
 * per event its key (seconds, nanoseconds, row, column) in typed arrays, sized for the memory bound at
 * once (the pages are only used as they are written, and growing by copies would leave the old
 * buffers to the collector, a peak of their own). Also the format of an event in a spill run: its
 * key (KEY_BYTES) and then its row's line.
 */

/** Memory of a held row besides its line's bytes (offset, input, place in the arena) and of a held event (key columns, and the sort's copies). */
const ROW_BYTES = 24;
const EVENT_BYTES = 40;
/** Least size of the line arena. */
const ARENA_MIN = 1 << 20;
/** Bytes of a spilled event's key before its line: seconds f64, nanos u32, offset f64, input u32, column u8. */
const KEY_BYTES = 25;

/** The timeline order of an event of a row: time, then its input (by `rank`, then position), offset, column. */
export interface RowKey {
  sec: number;
  nano: number;
  /** The row's byte offset in its input, and the input's position among merge's inputs. */
  off: number;
  inp: number;
  /** The bodyfile time column (0..3: atime, mtime, ctime, crtime). */
  col: number;
}

/** Order of keys; `rank`: each input's place in the order of (folder, name) of all inputs. */
export function compareRowKeys(rank: readonly number[]): (a: RowKey, b: RowKey) => number {
  return (a, b) => a.sec - b.sec || a.nano - b.nano || rank[a.inp]! - rank[b.inp]! || a.off - b.off || a.inp - b.inp || a.col - b.col;
}

/** The key of a run reader's current record. */
export function readRowKey(r: RunReader): RowKey {
  const b = r.buf, p = r.start;
  return { sec: b.readDoubleLE(p), nano: b.readUInt32LE(p + 8), off: b.readDoubleLE(p + 12), inp: b.readUInt32LE(p + 20), col: b[p + 24]! };
}

/** The line of a run reader's current record. */
export const readRowLine = (r: RunReader): string => r.buf.toString('utf8', r.start + KEY_BYTES, r.end);

export class HeldRows {
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
  private readonly head = Buffer.alloc(KEY_BYTES);

  constructor(memoryBytes: number) {
    const rows = Math.max(1024, Math.ceil(memoryBytes / (ROW_BYTES + EVENT_BYTES)));
    const events = Math.max(4096, Math.ceil(memoryBytes / EVENT_BYTES) + 4);
    this.arena = Buffer.allocUnsafeSlow(Math.max(ARENA_MIN, memoryBytes));
    this.rowStart = new Uint32Array(rows);
    this.rowLen = new Uint32Array(rows);
    this.rowOff = new Float64Array(rows);
    this.rowInp = new Uint32Array(rows);
    this.evSec = new Float64Array(events);
    this.evNano = new Int32Array(events);
    this.evRow = new Uint32Array(events);
    this.evCol = new Uint8Array(events);
  }

  get events(): number {
    return this.nEv;
  }

  /** Estimated memory of what is held. */
  get bytes(): number {
    return this.used + this.nRows * ROW_BYTES + this.nEv * EVENT_BYTES;
  }

  /** Room for a line of `need` bytes; false: full, spill first. Only a line longer than the arena grows it. */
  room(need: number): boolean {
    if (this.used + need <= this.arena.length) return true;
    if (this.used > 0) return false;
    this.arena = Buffer.allocUnsafeSlow(need);
    return true;
  }

  /** An event of the next row (`addRow` follows when it has any). */
  addEvent(sec: number, nano: number, col: number): void {
    if (this.nEv === this.evSec.length) this.growEvents();
    const i = this.nEv++;
    this.evSec[i] = sec;
    this.evNano[i] = nano;
    this.evRow[i] = this.nRows;
    this.evCol[i] = col;
  }

  addRow(text: string, offset: number, input: number): void {
    const row = this.nRows;
    if (row === this.rowOff.length) this.growRows();
    const n = this.arena.write(text, this.used, 'utf8');
    this.rowStart[row] = this.used;
    this.rowLen[row] = n;
    this.used += n;
    this.rowOff[row] = offset;
    this.rowInp[row] = input;
    this.nRows++;
  }

  private growEvents(): void {
    const n = this.evSec.length * 2;
    [this.evSec, this.evNano, this.evRow, this.evCol] = [grow(this.evSec, n), grow(this.evNano, n), grow(this.evRow, n), grow(this.evCol, n)];
  }

  private growRows(): void {
    const n = this.rowOff.length * 2;
    [this.rowOff, this.rowInp, this.rowStart, this.rowLen] = [grow(this.rowOff, n), grow(this.rowInp, n), grow(this.rowStart, n), grow(this.rowLen, n)];
  }

  /** Indices of the held events in timeline order (as compareRowKeys, on the columns). */
  order(rank: readonly number[]): Uint32Array {
    const n = this.nEv;
    const idx = new Uint32Array(n);
    for (let i = 0; i < n; i++) idx[i] = i;
    const sec = this.evSec, nano = this.evNano, row = this.evRow, col = this.evCol;
    const off = this.rowOff, inp = this.rowInp;
    idx.sort((a, b) => {
      let d = sec[a]! - sec[b]!;
      if (d !== 0) return d;
      d = nano[a]! - nano[b]!;
      if (d !== 0) return d;
      const ra = row[a]!, rb = row[b]!;
      if (ra !== rb) {
        const ia = inp[ra]!, ib = inp[rb]!;
        d = rank[ia]! - rank[ib]! || off[ra]! - off[rb]! || ia - ib;
        if (d !== 0) return d;
      }
      return col[a]! - col[b]!;
    });
    return idx;
  }

  /** The key of held event `i`. */
  key(i: number): RowKey {
    const row = this.evRow[i]!;
    return { sec: this.evSec[i]!, nano: this.evNano[i]!, off: this.rowOff[row]!, inp: this.rowInp[row]!, col: this.evCol[i]! };
  }

  /** The line of held event `i`'s row. */
  line(i: number): string {
    const start = this.rowStart[this.evRow[i]!]!;
    return this.arena.toString('utf8', start, start + this.rowLen[this.evRow[i]!]!);
  }

  /** Write the held events in `order` as a run (key and line per event), and hold nothing. */
  writeRun(order: Uint32Array, w: RunWriter): void {
    const head = this.head;
    for (let k = 0; k < order.length; k++) {
      const i = order[k]!;
      const row = this.evRow[i]!;
      head.writeDoubleLE(this.evSec[i]!, 0);
      head.writeUInt32LE(this.evNano[i]!, 8);
      head.writeDoubleLE(this.rowOff[row]!, 12);
      head.writeUInt32LE(this.rowInp[row]!, 20);
      head[24] = this.evCol[i]!;
      const start = this.rowStart[row]!;
      w.writeWithHead(head, this.arena, start, start + this.rowLen[row]!);
    }
    this.clear();
  }

  clear(): void {
    this.used = 0;
    this.nRows = 0;
    this.nEv = 0;
  }

  /** Nothing more will be held: the arena and key columns go, so the output has their memory. */
  release(): void {
    this.clear();
    this.arena = Buffer.alloc(0);
    this.rowStart = this.rowLen = this.rowInp = new Uint32Array(0);
    this.rowOff = new Float64Array(0);
    this.evSec = new Float64Array(0);
    this.evNano = new Int32Array(0);
    this.evRow = new Uint32Array(0);
    this.evCol = new Uint8Array(0);
  }
}

/** A copy of a column, `n` long. */
function grow<T extends Float64Array | Int32Array | Uint32Array | Uint8Array>(a: T, n: number): T {
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
}
