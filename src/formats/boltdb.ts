/**
 * A small read-only BoltDB (bbolt) reader over a Buffer: meta pages, branch and leaf pages, nested
 * and inline buckets. Pure TypeScript, no native code. Hostile files are expected: every page id is
 * bounds-checked, a page is never visited twice in one walk (cycles), and depth is limited.
 */

const MAGIC = 0xed0cdaed;
const BRANCH = 0x01;
const LEAF = 0x02;
const META = 0x04;
const BUCKET_LEAF = 0x01;
const PAGE_HEADER = 16;

/** A damaged or hostile file; `offset` is the byte offset of the page (or meta page) found wrong. */
export class BoltError extends Error {
  constructor(message: string, readonly offset = 0) {
    super(message);
  }
}

export interface BoltMeta {
  pageSize: number;
  rootPage: bigint;
  txid: bigint;
  /** Which meta page (0 or 1) was used, and its byte offset. */
  metaPage: number;
  metaOffset: number;
}

function fnv1a64(b: Buffer): bigint {
  let h = 0xcbf29ce484222325n;
  for (const x of b) h = BigInt.asUintN(64, (h ^ BigInt(x)) * 0x100000001b3n);
  return h;
}

/** Read the newer valid meta page. */
export function readMeta(buf: Buffer): BoltMeta {
  const metas: BoltMeta[] = [];
  for (const guess of [0, 1]) {
    // page 0 is at 0; page 1 is at pageSize, which meta 0 tells (or try common sizes)
    const sizes = guess === 0 ? [0] : [...new Set([metas[0]?.pageSize ?? 4096, 4096, 16384, 65536])];
    for (const ps of sizes) {
      const off = guess * ps;
      if (off + PAGE_HEADER + 64 > buf.length) continue;
      if (!(buf.readUInt16LE(off + 8) & META)) continue;
      const m = off + PAGE_HEADER;
      if (buf.readUInt32LE(m) !== MAGIC) continue;
      const pageSize = buf.readUInt32LE(m + 8);
      const checksum = buf.readBigUInt64LE(m + 56);
      if (fnv1a64(buf.subarray(m, m + 56)) !== checksum) continue;
      metas.push({ pageSize, rootPage: buf.readBigUInt64LE(m + 16), txid: buf.readBigUInt64LE(m + 48), metaPage: guess, metaOffset: off });
      break;
    }
  }
  if (metas.length === 0) throw new BoltError('no valid meta page (not a BoltDB file, or damaged)');
  return metas.sort((a, b) => (a.txid > b.txid ? -1 : 1))[0]!;
}

export type BoltEntry = { key: Buffer; value: Buffer; bucket: false } | { key: Buffer; bucket: true; root: bigint; inline: Buffer | null };

export class BoltReader {
  readonly meta: BoltMeta;

  constructor(private readonly buf: Buffer) {
    this.meta = readMeta(buf);
    this.at = this.meta.metaOffset; // the meta page refers to the root
    if (this.meta.pageSize < 512 || this.meta.pageSize > 1 << 20) throw new BoltError(`implausible page size ${this.meta.pageSize}`, this.meta.metaOffset);
  }

  /** Offset of the page being read, or that refers to the next one (for errors). */
  private at: number;

  private page(id: bigint): Buffer {
    const off = Number(id) * this.meta.pageSize;
    if (!Number.isSafeInteger(off) || off < 0 || off + PAGE_HEADER > this.buf.length) throw new BoltError(`page ${id} is outside the file`, this.at);
    const overflow = this.buf.readUInt32LE(off + 12);
    const end = Math.min(this.buf.length, off + (overflow + 1) * this.meta.pageSize);
    return this.buf.subarray(off, end);
  }

  /** Entries of a bucket (root page id, or an inline page), in key order. */
  *entries(root: bigint, inline: Buffer | null = null, seen = new Set<bigint>(), depth = 0): Generator<BoltEntry> {
    if (depth > 64) throw new BoltError('page tree deeper than 64: damaged or hostile file', this.at);
    let p: Buffer;
    if (inline) p = inline;
    else {
      if (seen.has(root)) throw new BoltError(`page ${root} is reached twice: a cycle`, this.at);
      seen.add(root);
      p = this.page(root);
      this.at = Number(root) * this.meta.pageSize;
    }
    const at = this.at;
    if (p.length < PAGE_HEADER) throw new BoltError(`page ${root} is shorter than its header`, at);
    const flags = p.readUInt16LE(8);
    const count = p.readUInt16LE(10);
    if (PAGE_HEADER + count * 16 > p.length) throw new BoltError(`page ${root}: ${count} elements do not fit`, at);
    for (let i = 0; i < count; i++) {
      const e = PAGE_HEADER + i * 16;
      if (flags & BRANCH) {
        yield* this.entries(p.readBigUInt64LE(e + 8), null, seen, depth + 1);
      } else if (flags & LEAF) {
        const eflags = p.readUInt32LE(e);
        const pos = p.readUInt32LE(e + 4);
        const ksize = p.readUInt32LE(e + 8);
        const vsize = p.readUInt32LE(e + 12);
        const k0 = e + pos;
        if (k0 + ksize + vsize > p.length) throw new BoltError(`page ${root}: element ${i} runs past the page`, at);
        const key = p.subarray(k0, k0 + ksize);
        const value = p.subarray(k0 + ksize, k0 + ksize + vsize);
        if (eflags & BUCKET_LEAF) {
          if (value.length < 16) throw new BoltError(`page ${root}: bucket value too short`, at);
          const broot = value.readBigUInt64LE(0);
          yield { key, bucket: true, root: broot, inline: broot === 0n ? value.subarray(16) : null };
        } else {
          yield { key, value, bucket: false };
        }
      } else {
        throw new BoltError(`page ${root} is neither a branch nor a leaf (flags ${flags})`, at);
      }
    }
  }

  /** Key/value pairs of the bucket at `path` (names of nested buckets from the root). */
  *bucket(path: string[]): Generator<{ key: Buffer; value: Buffer }> {
    let root = this.meta.rootPage;
    let inline: Buffer | null = null;
    for (const name of path) {
      let found: BoltEntry | null = null;
      for (const e of this.entries(root, inline)) if (e.bucket && e.key.toString('utf8') === name) { found = e; break; }
      if (!found || !found.bucket) return;
      root = found.root;
      inline = found.inline;
    }
    for (const e of this.entries(root, inline)) if (!e.bucket) yield { key: e.key, value: e.value };
  }
}
