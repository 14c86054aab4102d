import type { LayerNode } from './drift.js';
import { cmpKey, decodeEntry, entryLine, folderOf, lineKey, normalPath, pathKey, type LayerRecord } from './drift-entry.js';
import { RunMerge, reduceRuns, type Run, type RunOrder } from '../spill/merge-runs.js';
import { RunWriter } from '../spill/run-writer.js';
import { TempDir } from '../spill/temp-dir.js';

export { isBelow, keyPath, normalPath, pathKey, type LayerRecord } from './drift-entry.js';

/**
 * The entries of the layers drift needs, held in bounded memory: each entry is kept as one compact
 * line (drift-entry.ts), in byte chunks. Up to `memoryBytes` (8 MiB) are held; beyond that the layers
 * holding most are sorted and spilled as runs to a fresh folder under the tmp dir (`--tmp-dir`). Read
 * back, a layer is one stream sorted by path key (see `pathKey`), its runs merged, where a path added
 * twice keeps its last entry (as a Map would).
 */

/** A sorted stream of one layer's entries. */
export interface LayerCursor {
  /** The current entry (null at the end). */
  readonly head: LayerRecord | null;
  next(): void;
  close(): void;
}

/** Most runs of one layer read at once (one open file and a 32 KiB buffer each); more are merged first. */
const MAX_RUNS = 32;
const READ_BYTES = 1 << 15;
/** The run writer's buffer (one for the store). */
const WRITE_BYTES = 1 << 20;
/** Held lines are written into byte chunks (a JS string per line would cost about twice its bytes); a layer's chunks grow from 1 KiB to 1 MiB. */
const MIN_CHUNK = 1 << 10;
const MAX_CHUNK = 1 << 20;
/** Where a held line lies: chunk index * SLOT + offset (a chunk is larger than MAX_CHUNK only for a line that is). */
const SLOT = 2 ** 32;
/** Estimated bytes per held entry beside its line: the key (a flat string: header + length) and three array slots. */
const ENTRY_OVERHEAD = 48;

interface Layer {
  /** Evidence path of the layer folder, told by its first entry; an entry whose evidence is not `<folder><path>` keeps it in its line. */
  prefix: string | null;
  /** Held entries: sort key, where the line lies in `chunks` (chunk index * SLOT + offset), its byte length. */
  keys: string[];
  at: number[];
  len: number[];
  chunks: Buffer[];
  /** Used bytes of the last chunk. */
  fill: number;
  /** Estimated memory of the held entries. */
  held: number;
  /** Sorted runs, oldest first (of a path in several runs, the latest run's entry wins). */
  runs: Run[];
  /** No more entries: the held entries are sorted, one per path, or everything is in `runs`. */
  sealed: boolean;
}

/** A run's lines in path-key order; of a path in several runs, the latest run's line is the entry. */
const LINES: RunOrder<{ key: string; line: string }> = {
  key: (r) => {
    const line = r.text();
    return { key: lineKey(line), line };
  },
  compare: (a, b) => cmpKey(a.key, b.key),
  keep: 'last',
};

export class LayerEntryStore {
  private readonly layers = new Map<string, Layer>();
  private heldBytes = 0;
  private added = 0;
  private readonly dir: TempDir;
  /**
   * Full-size chunks of spilled layers, and the run writer's buffer, kept for reuse: dropped, each
   * spill would leave megabytes of Buffers for the GC to find (RSS grows by that much meanwhile).
   */
  private freeChunks: Buffer[] = [];
  private writeBytes: Buffer | null = null;
  /** Runs written (for tests and the benchmark). */
  spilledRuns = 0;
  readonly memoryBytes: number;

  constructor(opts: { tmpDir?: string; memoryBytes?: number } = {}) {
    this.memoryBytes = opts.memoryBytes ?? 8 * 1024 * 1024;
    this.dir = new TempDir(opts.tmpDir, 'docker-timeline-drift-');
  }

  /** The layer has had at least one entry (its folder is in the evidence). */
  has(key: string): boolean {
    return this.layers.has(key);
  }

  /** Entries added so far. */
  get entries(): number {
    return this.added;
  }

  /** The layer folder is in the evidence (even when none of its entries is kept). */
  touch(key: string): void {
    this.layer(key);
  }

  private layer(key: string): Layer {
    let l = this.layers.get(key);
    if (!l) this.layers.set(key, (l = { prefix: null, keys: [], at: [], len: [], chunks: [], fill: 0, held: 0, runs: [], sealed: false }));
    return l;
  }

  add(key: string, p: string, n: LayerNode): void {
    const l = this.layer(key);
    if (l.sealed) throw new Error(`layer ${key}: entry added after the layer was read`);
    const np = normalPath(p);
    if (l.prefix === null && l.keys.length === 0 && l.runs.length === 0) l.prefix = folderOf(np, n.evidence);
    const derived = l.prefix !== null && (np === '/' ? n.evidence === l.prefix
      : n.evidence.length === l.prefix.length + np.length && n.evidence.startsWith(l.prefix) && n.evidence.endsWith(np));
    const line = entryLine(np, n, derived);
    const bytes = Buffer.byteLength(line);
    let chunk = l.chunks.at(-1);
    if (!chunk || l.fill + bytes > chunk.length) {
      const size = Math.max(bytes, Math.min(MAX_CHUNK, Math.max(MIN_CHUNK, (chunk?.length ?? 0) * 2)));
      chunk = size === MAX_CHUNK ? this.freeChunks.pop() ?? Buffer.allocUnsafeSlow(size) : Buffer.allocUnsafeSlow(size);
      l.chunks.push(chunk);
      l.fill = 0;
      this.heldBytes += chunk.length;
      l.held += chunk.length;
    }
    const at = (l.chunks.length - 1) * SLOT + l.fill;
    chunk.write(line, l.fill);
    l.fill += bytes;
    const k = pathKey(np);
    l.keys.push(k);
    l.at.push(at);
    l.len.push(bytes);
    this.added++;
    this.heldBytes += k.length + ENTRY_OVERHEAD;
    l.held += k.length + ENTRY_OVERHEAD;
    if (this.heldBytes >= this.memoryBytes) this.spill();
  }

  /** Held line `i` of a layer, as text. */
  private text(l: Layer, i: number): string {
    const at = l.at[i]!;
    const o = at % SLOT;
    return l.chunks[Math.floor(at / SLOT)]!.toString('utf8', o, o + l.len[i]!);
  }

  /**
   * Write the layers holding the most as runs until a quarter of the budget is left: the big image
   * layers go to disk in few long runs, small layers (a container's writable layer) mostly stay.
   */
  private spill(): void {
    const big = [...this.layers.values()].filter((l) => l.keys.length).sort((a, b) => b.held - a.held);
    for (const l of big) {
      if (this.heldBytes <= this.memoryBytes / 4) break;
      this.writeRun(l);
    }
  }

  /** Held entries in key order, the last one of each path only. */
  private sortedHeld(l: Layer): number[] {
    const order = l.keys.map((_, i) => i);
    // equal keys stay in the order added (a stable sort), and the last is kept
    order.sort((a, b) => cmpKey(l.keys[a]!, l.keys[b]!));
    return order.filter((i, j) => j + 1 === order.length || l.keys[order[j + 1]!] !== l.keys[i]);
  }

  private writeRun(l: Layer): void {
    const w = new RunWriter(this.dir.file(), this.writeBuffer());
    try {
      for (const i of this.sortedHeld(l)) {
        const at = l.at[i]!;
        const o = at % SLOT;
        w.write(l.chunks[Math.floor(at / SLOT)]!, o, o + l.len[i]!);
      }
      w.finish();
    } finally {
      w.close();
    }
    l.runs.push({ file: w.file, bytes: w.bytes });
    this.spilledRuns++;
    this.heldBytes -= l.held;
    for (const c of l.chunks) if (c.length === MAX_CHUNK && this.freeChunks.length * MAX_CHUNK < this.memoryBytes) this.freeChunks.push(c);
    l.keys = [];
    l.at = [];
    l.len = [];
    l.chunks = [];
    l.fill = 0;
    l.held = 0;
  }

  private writeBuffer(): Buffer {
    return (this.writeBytes ??= Buffer.allocUnsafeSlow(WRITE_BYTES));
  }

  /** No more entries: held entries are sorted, or spilled when the layer has runs already. */
  private seal(l: Layer): void {
    if (l.sealed) return;
    l.sealed = true;
    if (l.runs.length === 0) {
      const order = this.sortedHeld(l);
      l.keys = order.map((i) => l.keys[i]!);
      l.at = order.map((i) => l.at[i]!);
      l.len = order.map((i) => l.len[i]!);
      return;
    }
    if (l.keys.length) this.writeRun(l);
  }

  /**
   * One layer's entries in path-key order, the last entry of each path only. `opaque`: folders
   * marked opaque apart from their entry (aufs `.wh..wh..opq`). An unknown layer is empty. The
   * cursor holds at most `maxRuns` files open (the layer's runs are merged first when it has more).
   */
  open(key: string, opaque?: ReadonlySet<string>, maxRuns = MAX_RUNS): LayerCursor {
    const l = this.layers.get(key);
    if (!l) return new ArrayCursor([], () => '', null, opaque);
    this.seal(l);
    if (l.runs.length === 0) return new ArrayCursor(l.keys, (i) => this.text(l, i), l.prefix, opaque);
    // more runs than the cursor may hold open are merged first, in passes (the latest entry still wins)
    l.runs = reduceRuns(l.runs, { order: LINES, fanIn: MAX_RUNS, target: Math.min(maxRuns, MAX_RUNS), dir: this.dir, readBytes: READ_BYTES, writeBuffer: this.writeBuffer() });
    return new RunCursor(new RunMerge(l.runs.map((r) => r.file), LINES, READ_BYTES), l.prefix, opaque);
  }

  /** Remove the spill folder and drop everything held. */
  cleanup(): void {
    this.dir.cleanup();
    this.layers.clear();
    this.heldBytes = 0;
    this.freeChunks = [];
    this.writeBytes = null;
  }
}

class ArrayCursor implements LayerCursor {
  private i = -1;
  head: LayerRecord | null = null;
  constructor(private readonly keys: readonly string[], private readonly lineAt: (i: number) => string, private readonly prefix: string | null, private readonly opaque?: ReadonlySet<string>) {
    this.next();
  }
  next(): void {
    this.i++;
    this.head = this.i < this.keys.length ? decodeEntry(this.lineAt(this.i), this.keys[this.i]!, this.prefix, this.opaque) : null;
  }
  close(): void {
    this.head = null;
  }
}

class RunCursor implements LayerCursor {
  head: LayerRecord | null = null;
  constructor(private readonly merge: RunMerge<{ key: string; line: string }>, private readonly prefix: string | null, private readonly opaque?: ReadonlySet<string>) {
    this.next();
  }
  next(): void {
    const r = this.merge.next();
    this.head = r ? decodeEntry(r.key.line, r.key.key, this.prefix, this.opaque) : null;
  }
  close(): void {
    this.merge.close();
    this.head = null;
  }
}
