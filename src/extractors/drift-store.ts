import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { EntryType } from '../evidence/entry.js';
import type { LayerNode } from './drift.js';

/**
 * The entries of the layers drift needs, held in bounded memory: each entry is kept as one compact
 * line (JSON: path, type, mode, owner, rdev, mtime, ctime, size, capability, flags, evidence path when
 * it is not the layer folder + path, inode), in byte chunks. Up to `memoryBytes` (8 MiB) are held;
 * beyond that the layers holding most are sorted and spilled as runs to a fresh folder under the tmp
 * dir (`--tmp-dir`). Read back, a layer is one stream sorted by path key (see `pathKey`), its runs
 * merged, where a path added twice keeps its last entry (as a Map would).
 */

/** Paths as drift compares them: `/` + the non-empty parts (as the overlay merge splits them). */
export function normalPath(p: string): string {
  if (!p.includes('//') && (p.length === 1 || !p.endsWith('/')) && p.startsWith('/')) return p;
  return '/' + p.split('/').filter(Boolean).join('/');
}

/**
 * Sort key of a normalised path: `/` becomes NUL (no name holds one), so plain string order is the
 * order of the tree walk: a folder, then its whole subtree, then its next sibling; siblings in
 * UTF-16 code-unit order (as `docker diff` here sorts names). The root is the empty key.
 * (split/join makes a flat string; a replaceAll result costs several times its length in the heap.)
 */
export const pathKey = (p: string): string => (p === '/' ? '' : p.split('/').join('\0'));
export const keyPath = (k: string): string => (k === '' ? '/' : k.replaceAll('\0', '/'));
/** `k` lies strictly below the folder of key `dir`. */
export const isBelow = (k: string, dir: string): boolean => k.length > dir.length && k.charCodeAt(dir.length) === 0 && k.startsWith(dir);

const TYPES: readonly EntryType[] = ['file', 'dir', 'symlink', 'hardlink', 'char', 'block', 'fifo', 'socket', 'other'];
const TYPE_CODE = new Map(TYPES.map((t, i) => [t, i]));

/** One entry read back. */
export interface LayerRecord {
  key: string;
  path: string;
  node: LayerNode;
}

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
  /** Sorted run files, oldest first (of a path in several runs, the latest run's entry wins). */
  runs: string[];
  /** No more entries: the held entries are sorted, one per path, or everything is in `runs`. */
  sealed: boolean;
}

const cmpKey = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export class LayerEntryStore {
  private readonly layers = new Map<string, Layer>();
  private heldBytes = 0;
  private added = 0;
  private dir: string | null = null;
  private runSeq = 0;
  /**
   * Full-size chunks of spilled layers, and the run writer's buffer, kept for reuse: dropped, each
   * spill would leave megabytes of Buffers for the GC to find (RSS grows by that much meanwhile).
   */
  private freeChunks: Buffer[] = [];
  private writeBuffer: Buffer | null = null;
  /** Runs written (for tests and the benchmark). */
  spilledRuns = 0;
  readonly memoryBytes: number;

  constructor(private readonly opts: { tmpDir?: string; memoryBytes?: number } = {}) {
    this.memoryBytes = opts.memoryBytes ?? 8 * 1024 * 1024;
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
    const line = JSON.stringify([
      np, TYPE_CODE.get(n.type) ?? 8, n.perm, n.uid, n.gid, n.rdev, n.mtime?.toString() ?? null, n.ctime?.toString() ?? null,
      n.size.toString(), n.cap ?? null, (n.whiteout ? 1 : 0) | (n.opaque ? 2 : 0), derived ? null : n.evidence, n.inode,
    ]);
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

  private line(l: Layer, i: number): Buffer {
    const at = l.at[i]!;
    const o = at % SLOT;
    return l.chunks[Math.floor(at / SLOT)]!.subarray(o, o + l.len[i]!);
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
    this.dir ??= mkdtempSync(path.join(this.opts.tmpDir ?? tmpdir(), 'docker-timeline-drift-'));
    const file = path.join(this.dir, `layer-run-${this.runSeq++}.jsonl`);
    const w = this.writer(file);
    try {
      for (const i of this.sortedHeld(l)) w.write(this.line(l, i));
    } finally {
      w.close();
    }
    l.runs.push(file);
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

  private writer(file: string): RunWriter {
    this.writeBuffer ??= Buffer.allocUnsafeSlow(1 << 20);
    return new RunWriter(file, this.writeBuffer);
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

  /** Merge a layer's runs, in groups of consecutive runs (so the latest entry of a path still wins), until at most `max` are left. */
  private reduce(l: Layer, max: number): void {
    while (l.runs.length > max) {
      const size = Math.min(MAX_RUNS, Math.ceil(l.runs.length / max));
      const next: string[] = [];
      for (let i = 0; i < l.runs.length; i += size) {
        const group = l.runs.slice(i, i + size);
        if (group.length === 1) {
          next.push(group[0]!);
          continue;
        }
        const file = path.join(this.dir!, `layer-run-${this.runSeq++}.jsonl`);
        const w = this.writer(file);
        const merged = new RunMerge(group.map((f) => new RunReader(f)));
        try {
          for (let r = merged.next(); r; r = merged.next()) w.write(Buffer.from(r.line));
        } finally {
          merged.close();
          w.close();
        }
        for (const f of group) rmSync(f, { force: true });
        next.push(file);
      }
      l.runs = next;
    }
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
    this.reduce(l, Math.max(1, Math.min(maxRuns, MAX_RUNS)));
    if (l.runs.length === 0) return new ArrayCursor(l.keys, (i) => this.line(l, i).toString('utf8'), l.prefix, opaque);
    return new RunCursor(new RunMerge(l.runs.map((f) => new RunReader(f))), l.prefix, opaque);
  }

  /** Remove the spill folder and drop everything held. */
  cleanup(): void {
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = null;
    this.layers.clear();
    this.heldBytes = 0;
    this.freeChunks = [];
    this.writeBuffer = null;
  }
}

/** The layer folder's evidence path, told by an entry (`docker/overlay2/<id>/diff` of `/etc/passwd`). */
function folderOf(p: string, evidence: string): string | null {
  if (p === '/') return evidence;
  return evidence.endsWith(p) ? evidence.slice(0, evidence.length - p.length) : null;
}

/** Writes lines to a run file through a buffer (1 MiB, one for the store). */
class RunWriter {
  private readonly fd: number;
  private pos = 0;
  constructor(file: string, private buf: Buffer) {
    this.fd = openSync(file, 'w');
  }
  write(line: Buffer): void {
    if (this.pos + line.length + 1 > this.buf.length) this.flush();
    if (line.length + 1 > this.buf.length) this.buf = Buffer.allocUnsafe(line.length + 1);
    line.copy(this.buf, this.pos);
    this.buf[this.pos + line.length] = 10;
    this.pos += line.length + 1;
  }
  private flush(): void {
    if (this.pos) writeSync(this.fd, this.buf, 0, this.pos);
    this.pos = 0;
  }
  close(): void {
    try {
      this.flush();
    } finally {
      closeSync(this.fd);
    }
  }
}

function decode(line: string, key: string, prefix: string | null, opaque: ReadonlySet<string> | undefined): LayerRecord {
  const a = JSON.parse(line) as [string, number, number, number | null, number | null, string, string | null, string | null, string, string | null, number, string | null, string | null];
  const p = a[0];
  const node: LayerNode = {
    type: TYPES[a[1]] ?? 'other', perm: a[2], uid: a[3], gid: a[4], rdev: a[5], size: BigInt(a[8]),
    whiteout: (a[10] & 1) !== 0, opaque: (a[10] & 2) !== 0 || (opaque?.has(p) ?? false),
    evidence: a[11] ?? (p === '/' ? prefix! : prefix + p), inode: a[12],
  };
  if (a[6] !== null) node.mtime = BigInt(a[6]);
  if (a[7] !== null) node.ctime = BigInt(a[7]);
  if (a[9] !== null) node.cap = a[9];
  return { key, path: p, node };
}

class ArrayCursor implements LayerCursor {
  private i = -1;
  head: LayerRecord | null = null;
  constructor(private readonly keys: readonly string[], private readonly lineAt: (i: number) => string, private readonly prefix: string | null, private readonly opaque?: ReadonlySet<string>) {
    this.next();
  }
  next(): void {
    this.i++;
    this.head = this.i < this.keys.length ? decode(this.lineAt(this.i), this.keys[this.i]!, this.prefix, this.opaque) : null;
  }
  close(): void {
    this.head = null;
  }
}

class RunCursor implements LayerCursor {
  head: LayerRecord | null = null;
  constructor(private readonly merge: RunMerge, private readonly prefix: string | null, private readonly opaque?: ReadonlySet<string>) {
    this.next();
  }
  next(): void {
    const r = this.merge.next();
    this.head = r ? decode(r.line, r.key, this.prefix, this.opaque) : null;
  }
  close(): void {
    this.merge.close();
    this.head = null;
  }
}

interface RunLine { key: string; line: string }

/** Lines of sorted runs (oldest first), merged by path key; of a path in several runs the latest run's line is kept. */
class RunMerge {
  private heads: (RunLine | null)[];
  constructor(private readonly readers: RunReader[]) {
    this.heads = readers.map((r) => r.read());
  }
  next(): RunLine | null {
    let best = -1;
    for (let i = 0; i < this.heads.length; i++) {
      const h = this.heads[i];
      // a later run wins a tie: it holds the entry added last
      if (h && (best < 0 || h.key <= this.heads[best]!.key)) best = i;
    }
    if (best < 0) return null;
    const out = this.heads[best]!;
    for (let i = 0; i < this.heads.length; i++) {
      const h = this.heads[i];
      if (h && h.key === out.key) this.heads[i] = this.readers[i]!.read();
    }
    return out;
  }
  close(): void {
    for (const r of this.readers) r.close();
  }
}

/** Reads a run file line by line, synchronously, in 64 KiB steps. */
class RunReader {
  private fd: number | null;
  private buf = Buffer.allocUnsafe(READ_BYTES);
  private start = 0;
  private end = 0;
  private carry: Buffer[] = [];

  constructor(private readonly file: string) {
    this.fd = openSync(file, 'r');
  }

  read(): RunLine | null {
    const line = this.line();
    if (line === null) return null;
    // the path is the first JSON string of the line: its key without a full parse
    const p = JSON.parse(line.slice(1, scanString(line, 1) + 1)) as string;
    return { key: pathKey(p), line };
  }

  private line(): string | null {
    for (;;) {
      if (this.start < this.end) {
        const nl = this.buf.indexOf(10, this.start);
        if (nl >= 0 && nl < this.end) {
          let s: string;
          if (this.carry.length) {
            this.carry.push(this.buf.subarray(this.start, nl));
            s = Buffer.concat(this.carry).toString('utf8');
            this.carry = [];
          } else {
            s = this.buf.toString('utf8', this.start, nl);
          }
          this.start = nl + 1;
          return s;
        }
        this.carry.push(Buffer.from(this.buf.subarray(this.start, this.end)));
        this.start = this.end;
      }
      if (this.fd === null) return null;
      const n = readSync(this.fd, this.buf, 0, READ_BYTES, null);
      if (n === 0) {
        this.close();
        if (this.carry.length) throw new Error(`drift spill file ${this.file} ends inside a line`);
        return null;
      }
      this.start = 0;
      this.end = n;
    }
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/** Index of the closing quote of the JSON string whose opening quote is at `open`. */
function scanString(s: string, open: number): number {
  for (let i = open + 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 92) i++;
    else if (c === 34) return i;
  }
  throw new Error('drift spill line: unterminated path');
}
