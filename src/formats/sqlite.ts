/**
 * A small read-only SQLite reader over a Buffer: the header, `sqlite_master`, table b-trees (interior
 * 0x05 and leaf 0x0D pages), records (every serial type) and overflow chains. Pure TypeScript, no native
 * code. Enough to list the rows of a named rowid table; indexes, WITHOUT ROWID tables, freelists, free
 * blocks and WAL or journal files are not read.
 *
 * Hostile files are expected: every read is bounds-checked, a page is never visited twice in one walk
 * (cycles, shared children), page numbers are checked against the file, depth is capped, the cells of a
 * page must not overlap (so no page is decoded more than once over), and every problem is a SqliteError
 * with the byte offset in the file of the field found wrong.
 */
import { decodeBytes } from '../extractors/bytes-text.js';
import { placeValues, tableColumns, type TableColumns } from './sqlite-schema.js';

const MAGIC = 'SQLite format 3\0';
const HEADER = 100;
const TABLE_INTERIOR = 0x05;
const TABLE_LEAF = 0x0d;
/** SQLite's own limit (BTCURSOR_MAX_DEPTH): a deeper tree is corrupt. */
const MAX_DEPTH = 20;

/** A damaged or hostile file; `offset` is the byte offset in the file of the field found wrong. */
export class SqliteError extends Error {
  constructor(message: string, readonly offset = 0) {
    super(message);
  }
}

export interface SqliteHeader {
  pageSize: number;
  /** Bytes at the end of each page reserved for extensions (encryption, checksums). */
  reserved: number;
  /** pageSize - reserved. */
  usable: number;
  /** Pages as the header says (when valid), else as the file holds. */
  pageCount: number;
  /** Whole pages in the file. */
  pagesInFile: number;
  encoding: 'utf8' | 'utf16le' | 'utf16be';
  /** Read/write versions 2: the database was in WAL mode (a `-wal` file may hold newer pages). */
  walMode: boolean;
  changeCounter: number;
  schemaFormat: number;
}

/** INTEGER → bigint, REAL → number, TEXT → string (invalid UTF-8 bytes as `\xNN`), BLOB → Buffer. */
export type SqlValue = null | bigint | number | string | Buffer;

export interface SqliteRow {
  rowid: bigint;
  values: SqlValue[];
  /** Byte offset of the row's cell in the file. */
  offset: number;
}

export interface SchemaEntry {
  type: string;
  name: string;
  tblName: string;
  rootPage: number;
  sql: string | null;
  offset: number;
}

export interface SqliteTable extends TableColumns {
  name: string;
  rootPage: number;
  /** The rows in rowid order, one value per column (the rowid alias column holds the rowid). */
  rows(): Generator<SqliteRow>;
}

export function readHeader(buf: Buffer): SqliteHeader {
  if (buf.length < HEADER) throw new SqliteError(`file is ${buf.length} bytes, shorter than the ${HEADER}-byte header`, 0);
  if (buf.toString('latin1', 0, 16) !== MAGIC) throw new SqliteError('no "SQLite format 3" magic: not an SQLite database', 0);
  const raw = buf.readUInt16BE(16);
  const pageSize = raw === 1 ? 65536 : raw;
  if (pageSize < 512 || (pageSize & (pageSize - 1)) !== 0) throw new SqliteError(`page size ${raw} is not a power of two from 512 to 65536`, 16);
  const reserved = buf[20]!;
  const usable = pageSize - reserved;
  if (usable < 480) throw new SqliteError(`${reserved} reserved bytes leave ${usable} usable bytes per page (at least 480 needed)`, 20);
  if (buf[21] !== 64 || buf[22] !== 32 || buf[23] !== 32) throw new SqliteError(`payload fractions ${buf[21]}/${buf[22]}/${buf[23]} are not 64/32/32`, 21);
  const enc = buf.readUInt32BE(56);
  if (enc > 3) throw new SqliteError(`text encoding ${enc} is not 1 (UTF-8), 2 (UTF-16le) or 3 (UTF-16be)`, 56);
  const changeCounter = buf.readUInt32BE(24);
  const inHeader = buf.readUInt32BE(28);
  const pagesInFile = Math.floor(buf.length / pageSize);
  // the in-header size counts only when written by a version that keeps it (version-valid-for = change counter)
  const pageCount = inHeader > 0 && buf.readUInt32BE(92) === changeCounter ? inHeader : pagesInFile;
  return {
    pageSize, reserved, usable, pageCount, pagesInFile, encoding: enc === 2 ? 'utf16le' : enc === 3 ? 'utf16be' : 'utf8',
    walMode: buf[18] === 2 || buf[19] === 2, changeCounter, schemaFormat: buf.readUInt32BE(44),
  };
}

/** A varint at `at` that must end before `end`: its value and length. */
function varint(buf: Buffer, at: number, end: number): [bigint, number] {
  let v = 0n;
  for (let i = 0; i < 9; i++) {
    if (at + i >= end) throw new SqliteError('varint runs past its cell', at);
    const b = buf[at + i]!;
    if (i === 8) return [(v << 8n) | BigInt(b), 9];
    v = (v << 7n) | BigInt(b & 0x7f);
    if (b < 0x80) return [v, i + 1];
  }
  throw new SqliteError('varint longer than 9 bytes', at); // not reached: the 9th byte always ends it
}

/** Body size of a record serial type, or -1 for the reserved types 10 and 11. */
function serialSize(t: bigint): bigint {
  if (t >= 12n) return (t - 12n) >> 1n;
  return [0n, 1n, 2n, 3n, 4n, 6n, 8n, 8n, 0n, 0n, -1n, -1n][Number(t)]!;
}

export class SqliteReader {
  readonly header: SqliteHeader;
  /** Highest page number that can be read. */
  private readonly lastPage: number;

  constructor(private readonly buf: Buffer) {
    this.header = readHeader(buf);
    this.lastPage = Math.min(this.header.pageCount, this.header.pagesInFile);
  }

  /** Byte offset of page `n`, after checking that it exists; `from` is where the page number was read. */
  private pageOffset(n: number, from: number, seen: Set<number>): number {
    if (!Number.isInteger(n) || n < 1 || n > this.lastPage) {
      throw new SqliteError(`page ${n} is out of range (the file holds pages 1 to ${this.lastPage})`, from);
    }
    if (seen.has(n)) throw new SqliteError(`page ${n} is reached twice: a cycle, or a page shared by two parents`, from);
    seen.add(n);
    return (n - 1) * this.header.pageSize;
  }

  private text(b: Buffer): string {
    if (this.header.encoding === 'utf8') return decodeBytes(b).text;
    if (this.header.encoding === 'utf16le') return b.toString('utf16le');
    const swapped = Buffer.from(b.subarray(0, b.length & ~1));
    return swapped.swap16().toString('utf16le');
  }

  /** The values of a record (`payload`), read from the cell at `at` (for errors). */
  private record(payload: Buffer, at: number): SqlValue[] {
    // the payload may be joined from overflow pages: its errors point at the cell
    const vint = (p: number, end: number): [bigint, number] => {
      try {
        return varint(payload, p, end);
      } catch {
        throw new SqliteError('record header varint runs past the record header', at);
      }
    };
    const [hsize, hlen] = vint(0, payload.length);
    if (hsize < BigInt(hlen) || hsize > BigInt(payload.length)) throw new SqliteError(`record header size ${hsize} does not fit its ${payload.length}-byte payload`, at);
    const end = Number(hsize);
    const values: SqlValue[] = [];
    let body = end;
    for (let h = hlen; h < end;) {
      const [t, l] = vint(h, end);
      h += l;
      const size = serialSize(t);
      if (size < 0n) throw new SqliteError(`reserved serial type ${t} in a record`, at);
      if (BigInt(body) + size > BigInt(payload.length)) throw new SqliteError(`record value of ${size} bytes runs past its ${payload.length}-byte payload`, at);
      const n = Number(size);
      const v = payload.subarray(body, body + n);
      body += n;
      if (t === 0n) values.push(null);
      else if (t === 7n) values.push(v.readDoubleBE(0));
      else if (t === 8n || t === 9n) values.push(t === 8n ? 0n : 1n);
      else if (t <= 6n) values.push(n <= 6 ? BigInt(v.readIntBE(0, n)) : v.readBigInt64BE(0));
      else if (t % 2n === 0n) values.push(Buffer.from(v));
      else values.push(this.text(v));
    }
    return values;
  }

  /** The whole payload of a leaf cell: its local part and its overflow chain. */
  private payload(size: number, local: Buffer, ovflAt: number, seen: Set<number>): Buffer {
    if (local.length === size) return local;
    const { usable } = this.header;
    const parts = [local];
    let have = local.length;
    let next = this.buf.readUInt32BE(ovflAt);
    let from = ovflAt;
    while (have < size) {
      if (next === 0) throw new SqliteError(`overflow chain ends after ${have} of ${size} payload bytes`, from);
      const p = this.pageOffset(next, from, seen);
      const take = Math.min(usable - 4, size - have);
      parts.push(this.buf.subarray(p + 4, p + 4 + take));
      have += take;
      from = p;
      next = this.buf.readUInt32BE(p);
    }
    return Buffer.concat(parts);
  }

  /** Rows of the table b-tree rooted at page `root`, in rowid order. */
  *tableRows(root: number, from = 0, seen = new Set<number>(), depth = 0): Generator<SqliteRow> {
    if (depth > MAX_DEPTH) throw new SqliteError(`table b-tree deeper than ${MAX_DEPTH} pages: damaged or hostile file`, from);
    const base = this.pageOffset(root, from, seen);
    const { usable } = this.header;
    const hdr = base + (root === 1 ? HEADER : 0);
    const type = this.buf[hdr]!;
    if (type !== TABLE_INTERIOR && type !== TABLE_LEAF) throw new SqliteError(`page ${root} has type 0x${type.toString(16).padStart(2, '0')}, not a table b-tree page (0x05 or 0x0d)`, hdr);
    const interior = type === TABLE_INTERIOR;
    const count = this.buf.readUInt16BE(hdr + 3);
    const ptrs = hdr + (interior ? 12 : 8);
    const limit = base + usable;
    if (ptrs + 2 * count > limit) throw new SqliteError(`page ${root}: ${count} cell pointers do not fit the page`, hdr + 3);
    // Each cell: where it starts and ends; cells may not overlap (a hostile page could point many cells at one big payload).
    const cells: { at: number; end: number; key: bigint; child: number; size: number; local: number }[] = [];
    for (let i = 0; i < count; i++) {
      const at = base + this.buf.readUInt16BE(ptrs + 2 * i);
      if (at < ptrs + 2 * count || at >= limit) throw new SqliteError(`page ${root}: cell ${i} points outside the cell content area`, ptrs + 2 * i);
      if (interior) {
        if (at + 4 > limit) throw new SqliteError(`page ${root}: cell ${i} runs past the page`, at);
        const [key, l] = varint(this.buf, at + 4, limit);
        cells.push({ at, end: at + 4 + l, key, child: this.buf.readUInt32BE(at), size: 0, local: 0 });
        continue;
      }
      const [psize, l1] = varint(this.buf, at, limit);
      const [key, l2] = varint(this.buf, at + l1, limit);
      if (psize > BigInt(this.buf.length)) throw new SqliteError(`page ${root}: cell ${i} claims a ${psize}-byte payload, larger than the file`, at);
      const size = Number(psize);
      const local = localSize(size, usable);
      const end = at + l1 + l2 + local + (local < size ? 4 : 0);
      if (end > limit) throw new SqliteError(`page ${root}: cell ${i} runs past the page`, at);
      cells.push({ at, end, key: BigInt.asIntN(64, key), child: 0, size, local });
    }
    const byStart = [...cells].sort((a, b) => a.at - b.at);
    for (let i = 1; i < byStart.length; i++) {
      if (byStart[i]!.at < byStart[i - 1]!.end) throw new SqliteError(`page ${root}: cells overlap`, byStart[i]!.at);
    }
    for (const c of cells) {
      if (interior) {
        yield* this.tableRows(c.child, c.at, seen, depth + 1);
        continue;
      }
      const start = c.end - c.local - (c.local < c.size ? 4 : 0);
      const payload = this.payload(c.size, this.buf.subarray(start, start + c.local), start + c.local, seen);
      yield { rowid: c.key, values: this.record(payload, c.at), offset: c.at };
    }
    if (interior) yield* this.tableRows(this.buf.readUInt32BE(hdr + 8), hdr + 8, seen, depth + 1);
  }

  /** The rows of `sqlite_master` (page 1): tables, indexes, views, triggers. */
  schema(): SchemaEntry[] {
    const out: SchemaEntry[] = [];
    for (const r of this.tableRows(1)) {
      const [type, name, tblName, rootPage, sql] = r.values;
      if (typeof type !== 'string' || typeof name !== 'string') throw new SqliteError('sqlite_master row without a type and a name', r.offset);
      out.push({
        type, name, tblName: typeof tblName === 'string' ? tblName : name,
        rootPage: typeof rootPage === 'bigint' && rootPage > 0n && rootPage <= 0xffffffffn ? Number(rootPage) : 0,
        sql: typeof sql === 'string' ? sql : null, offset: r.offset,
      });
    }
    return out;
  }

  /** The table named `name` (case-insensitive, as SQLite compares names), or null when there is none. */
  table(name: string): SqliteTable | null {
    const e = this.schema().find((s) => s.type === 'table' && s.name.toLowerCase() === name.toLowerCase());
    if (!e) return null;
    const cols = tableColumns(e.sql ?? '');
    if (cols.withoutRowid) throw new SqliteError(`table ${e.name} is a WITHOUT ROWID table (an index b-tree), not read`, e.offset);
    if (e.rootPage === 0) throw new SqliteError(`table ${e.name} has no root page (a virtual table?)`, e.offset);
    const self = this;
    return {
      ...cols, name: e.name, rootPage: e.rootPage,
      *rows() {
        for (const r of self.tableRows(e.rootPage, e.offset)) yield { ...r, values: placeValues(cols, r.values, r.rowid) };
      },
    };
  }
}

/** Bytes of a table-leaf payload of `size` bytes kept on the page (the rest goes to overflow pages). */
function localSize(size: number, usable: number): number {
  const x = usable - 35;
  if (size <= x) return size;
  const m = Math.floor(((usable - 12) * 32) / 255) - 23;
  const k = m + ((size - m) % (usable - 4));
  return k <= x ? k : m;
}
