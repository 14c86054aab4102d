/**
 * Runs in a worker thread (so the test can stop it when a case hangs, even in a loop that never yields):
 * random mutations of real SQLite files fed to the SQLite reader and to the linkgraph.db extractor.
 * The reader may only throw SqliteError, with an offset inside the file; the extractor may not throw.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { SqliteError, SqliteReader } from '../../../src/formats/sqlite.ts';
import { linkgraph, type LinkgraphRecord } from '../../../src/extractors/linkgraph.ts';
import type { ArtifactRef } from '../../../src/extractors/extractor.ts';

export type FromWorker =
  | { type: 'case'; target: string; n: number; input: string }
  | { type: 'done'; target: string; runs: number; ms: number }
  | { type: 'failed'; target: string; error: string }
  | { type: 'end' };

const { inputs, runs, seed } = workerData as { inputs: Record<string, Uint8Array>; runs: number; seed: number };
const post = (m: FromWorker): void => parentPort!.postMessage(m);

/** Bytes changed, page-number-sized values written anywhere (cycles, out-of-range pages), a piece cut off or repeated. */
function mutated(base: Buffer): fc.Arbitrary<Buffer> {
  const pageSize = base.readUInt16BE(16) === 1 ? 65536 : base.readUInt16BE(16) || 512;
  const pages = Math.ceil(base.length / pageSize);
  return fc.record({
    flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 24 }),
    ptrs: fc.array(fc.tuple(fc.nat(), fc.oneof(fc.integer({ min: 0, max: pages + 2 }), fc.nat())), { maxLength: 6 }),
    cut: fc.option(fc.nat(), { nil: undefined }),
    dup: fc.option(fc.tuple(fc.nat(), fc.nat({ max: 2048 }), fc.integer({ min: 1, max: 8 })), { nil: undefined }),
  }).map(({ flips, ptrs, cut, dup }) => {
    let b = Buffer.from(base);
    for (const [i, v] of flips) b[i % b.length] = v;
    for (const [i, v] of ptrs) b.writeUInt32BE(v >>> 0, i % (b.length - 4));
    if (dup) {
      const at = dup[0] % b.length;
      const piece = b.subarray(at, at + dup[1]);
      b = Buffer.concat([b.subarray(0, at), ...Array.from({ length: dup[2] }, () => piece), b.subarray(at)]);
    }
    if (cut !== undefined) b = b.subarray(0, cut % (b.length + 1));
    return b;
  });
}

function expectSqliteError(e: unknown, b: Buffer): void {
  if (!(e instanceof SqliteError)) throw e;
  if (!Number.isInteger(e.offset) || e.offset < 0 || e.offset > b.length) throw new Error(`error offset ${e.offset} outside the ${b.length}-byte file: ${e.message}`);
}

/** Read every table the (mutated) schema lists. */
function readAll(b: Buffer): void {
  let db: SqliteReader;
  try {
    db = new SqliteReader(b);
    for (const s of db.schema()) {
      if (s.type !== 'table') continue;
      try {
        const t = db.table(s.name);
        if (t) for (const r of t.rows()) if (r.offset < 0 || r.offset >= b.length) throw new Error(`row offset ${r.offset} outside the file`);
      } catch (e) {
        expectSqliteError(e, b);
      }
    }
  } catch (e) {
    expectSqliteError(e, b);
  }
}

async function extractLinkgraph(b: Buffer): Promise<void> {
  const ref: ArtifactRef = { root: 'docker', rel: 'linkgraph.db', entry: { path: 'docker/linkgraph.db', type: 'file', size: BigInt(b.length), mode: 0o644, uid: 0, gid: 0, inode: null } };
  const records: LinkgraphRecord[] = [];
  await linkgraph.extract(ref, Readable.from([b]), {
    record: (r) => records.push(r),
    warn: (w) => { if (!Number.isInteger(w.offset) || w.offset < 0 || w.offset > b.length) throw new Error(`warning offset ${w.offset}: ${w.message}`); },
  });
  if (records.length !== 1) throw new Error(`${records.length} records`);
}

async function target(name: string, base: Buffer, check: (b: Buffer) => void | Promise<void>): Promise<void> {
  const t0 = Date.now();
  let n = 0;
  try {
    await fc.assert(fc.asyncProperty(mutated(base), async (b) => {
      post({ type: 'case', target: name, n: n++, input: b.subarray(0, 4096).toString('base64') });
      await check(b);
    }), { numRuns: runs, seed });
    post({ type: 'done', target: name, runs, ms: Date.now() - t0 });
  } catch (e) {
    post({ type: 'failed', target: name, error: (e as Error).message.slice(0, 2000) });
  }
}

const small = Buffer.from(inputs.small!);
const real = Buffer.from(inputs.linkgraph!);
await target('sqlite reader: small database', small, readAll);
await target('sqlite reader: real linkgraph.db', real, readAll);
await target('linkgraph extractor: real linkgraph.db', real, extractLinkgraph);
post({ type: 'end' });
