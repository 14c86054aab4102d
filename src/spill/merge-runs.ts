import { MinHeap } from './heap.js';
import { RunReader } from './run-reader.js';
import { RunWriter } from './run-writer.js';
import type { TempDir } from './temp-dir.js';

/** A run file written by RunWriter, and its size (passes merge the smallest). */
export interface Run {
  file: string;
  bytes: number;
}

/** How the records of runs are ordered. */
export interface RunOrder<K> {
  /** The sort key of a reader's current record, made once per record. */
  key(r: RunReader): K;
  compare(a: K, b: K): number;
  /**
   * `all` (the default): every record; of equal keys, those of earlier runs first (a stable merge).
   * `last`: of records with equal keys, only the one of the latest run (the runs are written oldest
   * first and a key's last record is its current value).
   */
  keep?: 'all' | 'last';
}

/** A run in the merge: its reader holds the record `key` was made of. */
export interface MergeHead<K> {
  readonly reader: RunReader;
  key: K;
  /** Position of the run in the merge (ties go to the lower). */
  readonly run: number;
}

/**
 * k-way merge of sorted runs with a heap. `next()` gives the run holding the next record (its bytes
 * are `reader.buf[start, end)`, valid until the next call) or null at the end. Holds one read buffer
 * per run: callers bound the number of runs (reduceRuns).
 */
export class RunMerge<K> {
  private readonly heap: MinHeap<MergeHead<K>>;
  private current: MergeHead<K> | null = null;
  private readonly readers: RunReader[];

  constructor(files: readonly string[], private readonly order: RunOrder<K>, readBytes?: number) {
    this.heap = new MinHeap((a, b) => order.compare(a.key, b.key) || a.run - b.run);
    this.readers = [];
    try {
      files.forEach((f, run) => {
        const reader = new RunReader(f, readBytes);
        this.readers.push(reader);
        if (reader.next()) this.heap.push({ reader, key: order.key(reader), run });
      });
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /** The next record's run; null at the end (the files are closed then, and after an error). */
  next(): MergeHead<K> | null {
    try {
      if (this.current) this.advance();
      const heap = this.heap;
      for (let top = heap.peek(); top; top = heap.peek()) {
        // keep 'last': a later run holds the same key, so this record is out of date
        const other = this.order.keep === 'last' ? heap.second() : undefined;
        if (other && this.order.compare(top.key, other.key) === 0) {
          this.advance();
          continue;
        }
        this.current = top;
        return top;
      }
    } catch (e) {
      this.close();
      throw e;
    }
    this.close();
    return null;
  }

  /** The top run to its next record (or out of the heap at its end). */
  private advance(): void {
    const top = this.heap.peek()!;
    this.current = null;
    if (top.reader.next()) {
      top.key = this.order.key(top.reader);
      this.heap.updateTop();
    } else {
      this.heap.pop();
    }
  }

  close(): void {
    for (const r of this.readers) r.close();
    this.current = null;
  }
}

/** Write the merge of `files` as one run. */
export function mergeInto<K>(files: readonly string[], order: RunOrder<K>, out: RunWriter, readBytes?: number): void {
  const merge = new RunMerge(files, order, readBytes);
  try {
    for (let h = merge.next(); h; h = merge.next()) out.write(h.reader.buf, h.reader.start, h.reader.end);
  } finally {
    merge.close();
  }
}

export interface ReduceOptions<K> {
  order: RunOrder<K>;
  /** Most runs merged at once. */
  fanIn: number;
  /** Merge until at most this many runs are left (default: `fanIn`, for a last merge of them all). */
  target?: number;
  /** Where merged runs are written (the runs merged are removed). */
  dir: TempDir;
  /** Read buffer of each run (RunReader's default when not given). */
  readBytes?: number;
  /** Scratch buffer of the writer (RunWriter's default when not given). */
  writeBuffer?: Buffer;
}

/**
 * More runs than `target` are merged, in passes of at most `fanIn` runs, until `target` are left, so
 * that a final merge holds a bounded number of open runs whatever the input's size. Each pass merges
 * the consecutive runs with the fewest bytes between them (the fewest rewritten) into one run that
 * takes their place: the order of the runs is kept, so a stable merge (and `keep: 'last'`) gives the
 * same records as a merge of all runs at once.
 */
export function reduceRuns<K>(runs: readonly Run[], o: ReduceOptions<K>): Run[] {
  const target = Math.max(1, o.target ?? o.fanIn);
  if (o.fanIn < 2) throw new Error(`merge fan-in ${o.fanIn}: at least 2`);
  const out = [...runs];
  while (out.length > target) {
    const size = Math.min(o.fanIn, out.length - target + 1);
    let best = 0;
    let bestBytes = Infinity;
    let sum = 0;
    for (let i = 0; i < out.length; i++) {
      sum += out[i]!.bytes;
      if (i >= size) sum -= out[i - size]!.bytes;
      if (i >= size - 1 && sum < bestBytes) {
        bestBytes = sum;
        best = i - size + 1;
      }
    }
    const group = out.slice(best, best + size).map((r) => r.file);
    const w = new RunWriter(o.dir.file(), o.writeBuffer);
    try {
      mergeInto(group, o.order, w, o.readBytes);
      w.finish();
    } finally {
      w.close();
    }
    o.dir.remove(group);
    out.splice(best, size, { file: w.file, bytes: w.bytes });
  }
  return out;
}
