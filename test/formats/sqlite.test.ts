import test from 'ava';
import { createReadStream, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { SqliteError, SqliteReader } from '../../src/formats/sqlite.ts';
import { linkgraphInfo, type LinkgraphEdge } from '../../src/extractors/linkgraph.ts';
import { FIXTURES } from '../helpers/run.ts';
import { execSql, makeDb, pyDump, tag, type MakeOptions } from './helpers/sqlite-python.ts';
import type { FromWorker } from './helpers/sqlite-fuzz-worker.ts';

const work = mkdtempSync(path.join(tmpdir(), 'dt-sqlite-'));
let n = 0;
const made = new Map<string, Promise<Buffer>>();
/** A database made by SQLite itself (once per option set). */
function db(o: MakeOptions): Promise<Buffer> {
  const key = JSON.stringify(o);
  if (!made.has(key)) {
    const file = path.join(work, `db${n++}.sqlite`);
    made.set(key, makeDb(file, o).then(() => readFileSync(file)));
  }
  return made.get(key)!;
}
const fileOf = (b: Buffer): string => {
  const f = path.join(work, `copy${n++}.sqlite`);
  writeFileSync(f, b);
  return f;
};

/** Every row of every rowid table, ours against SQLite's, value by value; returns the differences. */
async function compareAll(buf: Buffer): Promise<{ diffs: string[]; tables: Record<string, number> }> {
  const want = await pyDump(fileOf(buf));
  const r = new SqliteReader(buf);
  const diffs: string[] = [];
  const tables: Record<string, number> = {};
  for (const [name, py] of Object.entries(want)) {
    const t = r.table(name);
    if (!t) { diffs.push(`${name}: not found`); continue; }
    if (JSON.stringify(t.columns) !== JSON.stringify(py.columns)) diffs.push(`${name}: columns ${JSON.stringify(t.columns)} != ${JSON.stringify(py.columns)}`);
    const rows = [...t.rows()];
    tables[name] = rows.length;
    if (rows.length !== py.rows.length) diffs.push(`${name}: ${rows.length} rows, SQLite reads ${py.rows.length}`);
    rows.forEach((row, i) => {
      const p = py.rows[i];
      if (!p) return;
      if (JSON.stringify(tag(row.rowid)) !== JSON.stringify(p[0])) diffs.push(`${name} row ${i}: rowid ${row.rowid} != ${JSON.stringify(p[0])}`);
      t.columns.forEach((c, j) => {
        // a VIRTUAL generated column is not stored: computed by SQLite on read, null here
        const expect = t.info[j]!.stored ? p[j + 1] : null;
        const got = tag(row.values[j] ?? null);
        if (JSON.stringify(got) !== JSON.stringify(expect)) diffs.push(`${name} row ${i} (rowid ${row.rowid}) ${c}: ${JSON.stringify(got)?.slice(0, 80)} != ${JSON.stringify(expect)?.slice(0, 80)}`);
      });
    });
  }
  return { diffs, tables };
}

const VARIANTS: MakeOptions[] = [
  { pageSize: 512 },
  { pageSize: 65536 },
  { pageSize: 1024, reserved: 32 },
  { pageSize: 4096, encoding: 'UTF-16le' },
  { pageSize: 2048, encoding: 'UTF-16be', rows: 500 },
];

for (const o of VARIANTS) {
  test(`every row of every table equals what SQLite reads: page size ${o.pageSize}, ${o.encoding ?? 'UTF-8'}, ${o.reserved ?? 0} reserved bytes`, async (t) => {
    const buf = await db(o);
    const r = new SqliteReader(buf);
    t.is(r.header.pageSize, o.pageSize);
    t.is(r.header.reserved, o.reserved ?? 0);
    if (o.pageSize === 65536) t.is(buf.readUInt16BE(16), 1, 'page size 65536 is written as 1');
    // table big spans interior pages (its root is one) and has rows longer than a page (overflow chains)
    const big = r.table('big')!;
    t.is(buf[(big.rootPage - 1) * o.pageSize], 0x05);
    const rows = [...big.rows()];
    t.true(rows.some((row) => (row.values[2] as Buffer).length > o.pageSize));
    const { diffs, tables } = await compareAll(buf);
    t.deepEqual(diffs.slice(0, 20), []);
    const total = o.rows ?? 3000;
    t.deepEqual(tables, { kinds: 39, ipk: 4, big: total - Math.floor(total / 7), gen: 5, 'odd "name"': 1 });
  });
}

test('schema: columns, rowid alias, affinity, generated and WITHOUT ROWID tables', async (t) => {
  const r = new SqliteReader(await db({ pageSize: 512 }));
  const ipk = r.table('IPK')!; // names compare case-insensitively, as in SQLite
  t.deepEqual(ipk.columns, ['id', 'name', 'score', 'note']);
  t.is(ipk.rowidColumn, 0);
  t.deepEqual(ipk.info.map((c) => c.affinity), ['INTEGER', 'TEXT', 'REAL', 'BLOB']);
  // REAL 3.0 is stored as the integer 3 and read back as a float; the rowid alias holds the rowid
  t.deepEqual([...ipk.rows()].map((x) => x.values.slice(0, 3)), [[-7n, 'd', null], [1n, 'a', 3], [5n, 'b', 2.5], [2n ** 40n, 'c', -1]]);
  t.deepEqual(r.table('gen')!.info.map((c) => c.stored), [true, false, true, true]);
  t.deepEqual(r.table('odd "name"')!.columns, ['col one', 'col 2', 'col3', 'col4']);
  t.throws(() => r.table('wr'), { instanceOf: SqliteError, message: /WITHOUT ROWID/ });
  t.is(r.table('no_such_table'), null);
  t.true(r.schema().some((s) => s.type === 'index' && s.name === 'big_t' && s.tblName === 'big'));
});

/** docker/linkgraph.db of docker-explorer's aufs.v1.tgz, read in memory from the archive. */
async function realLinkgraph(): Promise<Buffer> {
  const ex = tar.extract();
  createReadStream(path.join(FIXTURES, 'docker-explorer/aufs.v1.tgz')).pipe(createGunzip()).pipe(ex);
  let found: Buffer | null = null;
  for await (const entry of ex) {
    if (entry.header.name === 'docker/linkgraph.db') {
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      found = Buffer.concat(chunks);
    } else entry.resume();
  }
  if (!found) throw new Error('no docker/linkgraph.db in aufs.v1.tgz');
  return found;
}

test('the real linkgraph.db of docker-explorer aufs.v1: rows equal SQLite\'s, names equal the containers\' names', async (t) => {
  const buf = await realLinkgraph();
  t.is(buf.length, 5120);
  const { diffs, tables } = await compareAll(buf);
  t.deepEqual(diffs, []);
  t.deepEqual(tables, { entity: 4, edge: 4 });
  const r = new SqliteReader(buf);
  t.is(r.header.pageSize, 1024);
  const edge = r.table('edge')!;
  t.deepEqual(edge.columns, ['entity_id', 'parent_id', 'name']);
  const edges: LinkgraphEdge[] = [...edge.rows()].map((row) => ({ entity: row.values[0] as string, parent: row.values[1] as string | null, name: row.values[2] as string, offset: row.offset }));
  // the root entity "0" is the edge ("0", NULL, "/"); a container's name is its edge from "0", stored without the "/"
  t.deepEqual(edges[0], { entity: '0', parent: null, name: '/', offset: edges[0]!.offset });
  const names = [...linkgraphInfo({ edges, evidence: 'docker/linkgraph.db' })].map(([id, g]) => `${id.slice(0, 12)} /${g.names.join(',')}`).sort();
  t.deepEqual(names, ['3b03d0958390 /insane_rosalind', 'de44dd97cfd1 /angry_rosalind', 'fbb6711cefc7 /kickass_mestorf']);
  // each row's offset is where its cell is: the name is in those bytes
  for (const e of edges) t.true(buf.subarray(e.offset, e.offset + 120).includes(e.name));
  // a record error points at its cell: the last row's record header size (after 1-byte payload size and rowid) made too large
  const bad = Buffer.from(buf);
  const last = edges.at(-1)!;
  bad[last.offset + 2] = 0x7f;
  const e = t.throws(() => [...new SqliteReader(bad).table('edge')!.rows()], { instanceOf: SqliteError, message: /record header size 127 does not fit/ }) as SqliteError;
  t.is(e.offset, last.offset);
});

test('a bad header is an error at the offset of the field', (t) => {
  const good = Buffer.alloc(1024);
  good.write('SQLite format 3\0', 0, 'latin1');
  good.writeUInt16BE(1024, 16);
  good.set([1, 1, 0, 64, 32, 32], 18);
  good.writeUInt32BE(1, 56);
  t.notThrows(() => new SqliteReader(good).header);
  const bad = (at: number, bytes: number[], re: RegExp, offset = at): void => {
    const b = Buffer.from(good);
    b.set(bytes, at);
    const e = t.throws(() => new SqliteReader(b), { instanceOf: SqliteError, message: re })!;
    t.is((e as SqliteError).offset, offset, String(re));
  };
  bad(0, [0x4d, 0x79], /not an SQLite database/);
  bad(16, [0x03, 0xe8], /page size 1000/);
  bad(16, [0x01, 0x00], /page size 256/);
  bad(16, [0x02, 0x00, 0x01, 0x01, 40], /40 reserved bytes leave 472 usable bytes/, 20); // page size 512, 40 reserved
  bad(21, [65], /payload fractions/);
  bad(56, [0, 0, 0, 9], /text encoding 9/);
  t.throws(() => new SqliteReader(good.subarray(0, 99)), { instanceOf: SqliteError, message: /shorter than the 100-byte header/ });
});

test('truncated files: each table reads whole or stops with an error inside the file, never a crash or a wrong row', async (t) => {
  const buf = await db({ pageSize: 512 });
  const tables = ['kinds', 'ipk', 'big', 'gen', 'odd "name"'];
  const text = (b: Buffer, name: string): string => JSON.stringify([...new SqliteReader(b).table(name)!.rows()].map((r) => [tag(r.rowid), r.offset, ...r.values.map(tag)]));
  const whole: Record<string, string> = Object.fromEntries(tables.map((name) => [name, text(buf, name)]));
  for (const cut of [0, 99, 100, 511, 512, 4096, 10_000, Math.floor(buf.length / 2), buf.length - 1]) {
    const b = buf.subarray(0, cut);
    let errors = 0;
    for (const name of tables) {
      try {
        t.is(text(b, name), whole[name]!, `cut at ${cut}: ${name} read without error must be whole`);
      } catch (e) {
        if (!(e instanceof SqliteError)) throw e;
        t.true(e.offset >= 0 && e.offset <= cut, `cut at ${cut}: offset ${e.offset}`);
        errors++;
      }
    }
    if (cut < buf.length / 2 + 1) t.true(errors > 0, `cut at ${cut}`);
  }
});

test('page cycles, out-of-range children, overflow chains, overlapping cells and too deep trees are errors with the offset', async (t) => {
  const buf = await db({ pageSize: 512 });
  const r = new SqliteReader(buf);
  const root = r.table('big')!.rootPage;
  const at = (root - 1) * 512 + 8; // the root interior page's right-most child pointer
  const rows = (b: Buffer): number => [...new SqliteReader(b).table('big')!.rows()].length;
  const withPtr = (v: number): Buffer => { const b = Buffer.from(buf); b.writeUInt32BE(v, at); return b; };
  for (const [v, re] of [[root, /page \d+ is reached twice/], [0, /page 0 is out of range/], [0xffffffff, /page 4294967295 is out of range/], [r.header.pageCount + 1, /out of range/]] as const) {
    const e = t.throws(() => rows(withPtr(v)), { instanceOf: SqliteError, message: re }) as SqliteError;
    t.is(e.offset, at);
  }

  // one row over 3 overflow pages: page 1 schema, page 2 the table's leaf, pages 3.. the chain
  const small = path.join(work, 'one-row.sqlite');
  await execSql(small, `PRAGMA page_size = 512; CREATE TABLE t (b); INSERT INTO t VALUES (randomblob(1500));`);
  const one = readFileSync(small);
  t.is([...new SqliteReader(one).table('t')!.rows()].length, 1);
  const chain = (next: number): Buffer => { const b = Buffer.from(one); b.writeUInt32BE(next, 2 * 512); return b; };
  const read = (b: Buffer): unknown => [...new SqliteReader(b).table('t')!.rows()];
  t.is((t.throws(() => read(chain(3)), { instanceOf: SqliteError, message: /page 3 is reached twice/ }) as SqliteError).offset, 2 * 512);
  t.is((t.throws(() => read(chain(0)), { instanceOf: SqliteError, message: /overflow chain ends after/ }) as SqliteError).offset, 2 * 512);
  t.is((t.throws(() => read(chain(2)), { instanceOf: SqliteError, message: /page 2 is reached twice/ }) as SqliteError).offset, 2 * 512);

  // two cell pointers at the same cell
  const dup = Buffer.from(one);
  const leaf = 512;
  dup.writeUInt16BE(2, leaf + 3);
  dup.writeUInt16BE(dup.readUInt16BE(leaf + 8), leaf + 10);
  t.throws(() => read(dup), { instanceOf: SqliteError, message: /cells overlap/ });

  // a chain of 29 interior pages with no cells, each pointing at the next
  const deep = Buffer.alloc(512 * 30);
  one.copy(deep, 0, 0, 512);
  deep.writeUInt32BE(30, 28);
  for (let p = 2; p <= 30; p++) {
    const o = (p - 1) * 512;
    deep[o] = p === 30 ? 0x0d : 0x05;
    deep.writeUInt16BE(512, o + 5);
    if (p < 30) deep.writeUInt32BE(p + 1, o + 8);
  }
  t.throws(() => read(deep), { instanceOf: SqliteError, message: /deeper than 20/ });
});

/** Longest a single fuzz case may run before it counts as a hang. */
const CASE_MS = 5_000;
const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);

test('random mutations of SQLite files (page pointers, cuts, repeats): only SqliteError at an offset in the file, no hang; the linkgraph extractor only warns', async (t) => {
  t.timeout(120_000);
  const file = path.join(work, 'fuzz.sqlite');
  // small pages: interior pages, overflow chains and several tables in a few kilobytes
  await execSql(file, `PRAGMA page_size = 512; CREATE TABLE a (id INTEGER PRIMARY KEY, t TEXT, b BLOB, r REAL);
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60)
    INSERT INTO a SELECT i, printf('%.*c', i * 3, 'x'), CASE WHEN i % 9 = 0 THEN randomblob(900) ELSE randomblob(i % 7) END, i / 3.0 FROM n;
    CREATE TABLE b (k, v); INSERT INTO b VALUES (1, -1), (2.5, 'two'), (NULL, x'00ff'), (9223372036854775807, 'max');`);
  const inputs = { small: readFileSync(file), linkgraph: await realLinkgraph() };
  t.log(`seed ${SEED} (FUZZ_SEED=${SEED} repeats this run), ${RUNS} runs per target, small database ${inputs.small.length} bytes`);
  const boot = `import { register } from 'tsx/esm/api'; register(); await import(${JSON.stringify(new URL('./helpers/sqlite-fuzz-worker.ts', import.meta.url).href)});`;
  const worker = new Worker(boot, { eval: true, workerData: { inputs, runs: RUNS, seed: SEED } });
  const done: string[] = [];
  const failed: string[] = [];
  let last: Extract<FromWorker, { type: 'case' }> | null = null;
  const outcome = await new Promise<string>((resolve) => {
    let timer = setTimeout(() => resolve('hang'), CASE_MS * 4);
    const rearm = (): void => { clearTimeout(timer); timer = setTimeout(() => resolve('hang'), CASE_MS); };
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'case') { last = m; rearm(); }
      if (m.type === 'done') { done.push(`${m.target}: ${m.runs} cases in ${m.ms} ms`); rearm(); }
      if (m.type === 'failed') { failed.push(`${m.target}: ${m.error}`); rearm(); }
      if (m.type === 'end') { clearTimeout(timer); resolve('end'); }
    });
    worker.on('error', (e) => { clearTimeout(timer); resolve(`worker error: ${e.stack ?? e.message}`); });
    worker.on('exit', (code) => { clearTimeout(timer); resolve(`worker exited (code ${code}) before the end`); });
  });
  await worker.terminate();
  for (const d of done) t.log(d);
  const hung = last as Extract<FromWorker, { type: 'case' }> | null;
  if (outcome !== 'end') t.fail(`${outcome} in ${hung?.target} case ${hung?.n}; input (base64, first 4 KiB): ${hung?.input}`);
  t.deepEqual(failed, []);
  t.is(done.length, 3);
});
