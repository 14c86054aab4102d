/**
 * Runs in a worker thread (so the test can stop it when a case hangs, even in a loop that never yields):
 * feeds random bytes and random mutations of real artifacts to every parser entry point and reports,
 * before each case, which target and case it is on. A target fails when it throws where it must not,
 * or when an event or warning it gives is malformed (a time outside 0000-9999, a negative offset).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Readable } from 'node:stream';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import type { Extractor, ArtifactRef } from '../../../src/extractors/extractor.ts';
import type { EvidenceEntry } from '../../../src/evidence/entry.ts';
import type { TimelineEvent } from '../../../src/events/event.ts';
import { Context } from '../../../src/extractors/context.ts';
import { containerConfig } from '../../../src/extractors/container-config.ts';
import { hostConfig } from '../../../src/extractors/hostconfig.ts';
import { jsonFileLog, jsonLogQuickOrder } from '../../../src/extractors/json-file-log.ts';
import { localLog, decodeLogEntry, FrameReader } from '../../../src/extractors/local-log.ts';
import { tarSplit } from '../../../src/extractors/tar-split.ts';
import { imageConfig } from '../../../src/extractors/image-config.ts';
import { volumeMetadata } from '../../../src/extractors/volume-metadata.ts';
import { devicemapperMetadata } from '../../../src/extractors/devicemapper-metadata.ts';
import { FlatJsonError, readFlatObject } from '../../../src/formats/flat-json.ts';
import { ContentlessTarParser } from '../../../src/extractors/tar-header.ts';
import { LineSplitter } from '../../../src/extractors/line-splitter.ts';
import { decodeBytes } from '../../../src/extractors/bytes-text.ts';
import { BoltError, BoltReader } from '../../../src/formats/boltdb.ts';
import { formatUtcNs, inTimeRange, parseRfc3339 } from '../../../src/time/nanotime.ts';
import { TarSource } from '../../../src/evidence/tar-source.ts';
import { Warnings, type Warning } from '../../../src/warnings.ts';

export interface Artifacts {
  config: Buffer;
  hostconfig: Buffer;
  jsonLog: Buffer;
  rotatedGz: Buffer;
  localLog: Buffer;
  tarSplitGz: Buffer;
  imageConfig: { id: string; bytes: Buffer };
  boltdb: Buffer;
  tar: Buffer;
}

export type FromWorker =
  | { type: 'case'; target: string; n: number; input: string }
  | { type: 'done'; target: string; runs: number; ms: number }
  | { type: 'failed'; target: string; error: string }
  | { type: 'end' };

const { artifacts: raw, runs, seed } = workerData as { artifacts: Record<string, unknown>; runs: number; seed: number };
const A = raw as unknown as Artifacts;
for (const k of Object.keys(A) as (keyof Artifacts)[]) {
  const v = A[k] as unknown;
  if (v instanceof Uint8Array) (A as unknown as Record<string, unknown>)[k] = Buffer.from(v);
}
A.imageConfig.bytes = Buffer.from(A.imageConfig.bytes);
const post = (m: FromWorker): void => parentPort!.postMessage(m);

const CID = 'a'.repeat(64);

/** Random bytes, or a real artifact with bytes changed, a piece cut off, a run duplicated or dropped. */
function bytesLike(base: Buffer): fc.Arbitrary<Buffer> {
  const mutated = fc.record({
    flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 24 }),
    cut: fc.option(fc.nat(), { nil: undefined }),
    dup: fc.option(fc.tuple(fc.nat(), fc.nat({ max: 4096 }), fc.integer({ min: 1, max: 64 })), { nil: undefined }),
    drop: fc.option(fc.tuple(fc.nat(), fc.nat({ max: 4096 })), { nil: undefined }),
  }).map(({ flips, cut, dup, drop }) => {
    let b = Buffer.from(base);
    if (b.length === 0) return b;
    for (const [i, v] of flips) b[i % b.length] = v;
    if (dup) {
      const at = dup[0] % b.length;
      const piece = b.subarray(at, at + dup[1]);
      b = Buffer.concat([b.subarray(0, at), ...Array.from({ length: dup[2] }, () => piece), b.subarray(at)]);
    }
    if (drop) {
      const at = drop[0] % b.length;
      b = Buffer.concat([b.subarray(0, at), b.subarray(at + drop[1])]);
    }
    if (cut !== undefined) b = b.subarray(0, cut % (b.length + 1));
    return b;
  });
  return fc.oneof({ weight: 1, arbitrary: fc.uint8Array({ maxLength: 2048 }).map((u) => Buffer.from(u)) }, { weight: 4, arbitrary: mutated });
}

/**
 * Offsets of the ustar header blocks of a tar stream: magic `ustar` at 257 and a right checksum (in
 * tar-split's header stream they are not 512-aligned: contents are elided, their padding is not).
 */
function headerBlocks(b: Buffer): number[] {
  const out: number[] = [];
  for (let m = b.indexOf('ustar', 257, 'latin1'); m >= 0; m = b.indexOf('ustar', m + 1, 'latin1')) {
    const at = m - 257;
    if (at < 0 || at + 512 > b.length || (out.length && at < out.at(-1)! + 512)) continue;
    let sum = 0;
    for (let i = at; i < at + 512; i++) sum += i >= at + 148 && i < at + 156 ? 0x20 : b[i]!;
    if (sum === parseInt(b.toString('latin1', at + 148, at + 155).replace(/[\0 ].*$/, ''), 8)) out.push(at);
  }
  return out;
}

/** Header fields whose damage must not cost any other member: mode, uid, gid, mtime, uname, gname, devmajor, devminor. */
const METADATA_FIELDS: [number, number][] = [[100, 8], [108, 8], [116, 8], [136, 12], [265, 32], [297, 32], [329, 8], [337, 8]];

/**
 * A tar stream with metadata fields of some headers overwritten (random bytes, octal garbage, base-256
 * numbers of any size and sign) and the checksums made right again, so the damage reaches the parser.
 */
function tarFieldsDamaged(base: Buffer): fc.Arbitrary<Buffer> {
  const blocks = headerBlocks(base);
  const value = fc.oneof(
    fc.uint8Array({ minLength: 1, maxLength: 12 }).map((u) => Buffer.from(u)),
    fc.stringMatching(/^[0-9a-z \0-]{1,12}$/).map((t) => Buffer.from(t, 'latin1')),
    fc.tuple(fc.bigInt({ min: -(1n << 94n), max: (1n << 94n) - 1n }), fc.boolean()).map(([v, neg]) => {
      const b = Buffer.alloc(12);
      let x = BigInt.asUintN(96, v);
      for (let i = 11; i >= 0; i--) { b[i] = Number(x & 0xffn); x >>= 8n; }
      b[0] = neg ? b[0]! | 0xc0 : (b[0]! & 0x7f) | 0x80;
      return b;
    }),
  );
  return fc.array(fc.tuple(fc.nat(), fc.nat(), value), { minLength: 1, maxLength: 6 }).map((edits) => {
    const b = Buffer.from(base);
    for (const [bi, fi, v] of edits) {
      const at = blocks[bi % blocks.length]!;
      const [off, len] = METADATA_FIELDS[fi % METADATA_FIELDS.length]!;
      b.fill(0, at + off, at + off + len);
      v.copy(b, at + off, 0, Math.min(len, v.length));
      b.fill(0x20, at + 148, at + 156);
      let sum = 0;
      for (let i = at; i < at + 512; i++) sum += b[i]!;
      b.write(sum.toString(8).padStart(6, '0') + '\0 ', at + 148, 'latin1');
    }
    return b;
  });
}

/** Chunk boundaries: the same bytes fed in random pieces. */
function chunked(b: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => (b.length ? c % b.length : 0)))].sort((x, y) => x - y);
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of [...at, b.length]) {
    if (c > prev) out.push(b.subarray(prev, c));
    prev = c;
  }
  return out;
}

function checkEvent(e: TimelineEvent, what: string): void {
  if (typeof e.timeNs !== 'bigint' || !inTimeRange(e.timeNs)) throw new Error(`${what}: event time ${String(e.timeNs)} outside 0000-9999`);
  if (!Number.isInteger(e.offset) || e.offset < 0) throw new Error(`${what}: event offset ${e.offset}`);
  formatUtcNs(e.timeNs);
}

function checkWarning(w: Warning, what: string): void {
  if (!Number.isInteger(w.offset) || w.offset < 0) throw new Error(`${what}: warning offset ${w.offset} (${w.kind}: ${w.message})`);
  if (typeof w.kind !== 'string' || typeof w.message !== 'string') throw new Error(`${what}: malformed warning`);
}

/** Run one extractor on one artifact's bytes (as a stream in random chunks), then its time map (and its end-of-run events). */
async function runExtractor(ex: Extractor<any>, rel: string, bytes: Buffer, cuts: number[], mtime?: bigint): Promise<void> {
  const entry: EvidenceEntry = { path: `docker/${rel}`, type: 'file', size: BigInt(bytes.length), mode: 0o100644, uid: 0, gid: 0, inode: '1', mtime };
  const ref: ArtifactRef = { root: 'docker', rel, entry };
  const ctx = new Context('fuzz', 'TAR', null);
  const records: unknown[] = [];
  const warnings: Warning[] = [];
  await ex.extract(ref, Readable.from(chunked(bytes, cuts), { objectMode: false }), {
    record: (r) => records.push(r),
    warn: (w) => warnings.push({ artifact: ex.artifact, evidence: entry.path, ...w }),
  });
  for (const w of warnings) checkWarning(w, ex.name);
  for (const r of records) ex.remember?.(r, ctx);
  ex.settle?.(ctx);
  for (const r of records) for (const e of ex.toEvents(r, ctx)) checkEvent(e, ex.name);
  for (const e of ex.finish?.(ctx, (w) => checkWarning({ artifact: ex.artifact, ...w }, ex.name)) ?? []) checkEvent(e, ex.name);
}

/** Metadata files as moby's deviceset.go writes them (json.Marshal of devInfo, DeviceSet, transaction). */
const DM_DEVICE = Buffer.from('{"device_id":5,"size":10737418240,"transaction_id":5,"initialized":false,"deleted":false}');
const DM_SET = Buffer.from('{"next_device_id":7,"BaseDeviceUUID":"6f1e3a4c-2b9d-4e0f-9a8b-7c6d5e4f3a2b","BaseDeviceFilesystem":"xfs"}');
const DM_TX = Buffer.from(`{"open_transaction_id":10,"device_hash":"${'e'.repeat(64)}-init","device_id":6}`);
const DM_MTIME = 1767323040500000005n;

/** JSON texts that are valid UTF-8: readFlatObject must agree with JSON.parse on what is one JSON object. */
const jsonish = fc.oneof(
  fc.json(),
  fc.tuple(fc.constantFrom(DM_DEVICE, DM_SET, DM_TX).map((b) => b.toString('utf8')), fc.array(fc.tuple(fc.nat(), fc.constantFrom(...'{}[]",:0123456789-+.eE tfnlrue\\u'.split(''))), { maxLength: 6 }), fc.option(fc.nat()))
    .map(([s, edits, cut]) => { const a = [...s]; for (const [i, ch] of edits) a[i % a.length] = ch; const t = a.join(''); return cut === null ? t : t.slice(0, cut % (t.length + 1)); }),
);

const cutsArb = fc.array(fc.nat(), { maxLength: 6 });

type Target = [name: string, arb: fc.Arbitrary<unknown>, run: (input: any) => Promise<void> | void, runs?: number];

let tarDir: string | null = null;
const tarsplitRaw = gunzipSync(A.tarSplitGz);
const headerStream = Buffer.concat(tarsplitRaw.toString('utf8').split('\n').filter(Boolean).flatMap((l) => {
  const o = JSON.parse(l) as { type: number; payload?: string };
  return o.type === 2 && o.payload ? [Buffer.from(o.payload, 'base64')] : [];
}));

const headerCount = headerBlocks(headerStream).length - headerBlocks(headerStream).filter((at) => 'xgLK'.includes(String.fromCharCode(headerStream[at + 156]!))).length;
const tarMembersCount = headerBlocks(A.tar).filter((at) => !'xgLK'.includes(String.fromCharCode(A.tar[at + 156]!))).length;

const TARGETS: Target[] = [
  ['container config extract()', fc.tuple(bytesLike(A.config), cutsArb), ([b, c]: [Buffer, number[]]) => runExtractor(containerConfig, `containers/${CID}/config.v2.json`, b, c)],
  ['hostconfig extract()', fc.tuple(bytesLike(A.hostconfig), cutsArb), ([b, c]: [Buffer, number[]]) => runExtractor(hostConfig, `containers/${CID}/hostconfig.json`, b, c)],
  ['json-file log extract()', fc.tuple(bytesLike(A.jsonLog), cutsArb), ([b, c]: [Buffer, number[]]) => runExtractor(jsonFileLog, `containers/${CID}/${CID}-json.log`, b, c)],
  ['json-file log extract(), rotated .gz', fc.tuple(fc.oneof(bytesLike(A.rotatedGz), bytesLike(gunzipSync(A.rotatedGz)).map((b) => gzipSync(b))), cutsArb),
    ([b, c]: [Buffer, number[]]) => runExtractor(jsonFileLog, `containers/${CID}/${CID}-json.log.1.gz`, b, c)],
  ['jsonLogQuickOrder', fc.tuple(bytesLike(A.jsonLog), cutsArb), async ([b, c]: [Buffer, number[]]) => {
    const rel = `containers/${CID}/${CID}-json.log`;
    const q = await jsonLogQuickOrder({ root: '', rel, entry: { path: rel, type: 'file', size: BigInt(b.length), mode: 0, uid: 0, gid: 0, inode: null } }, Readable.from(chunked(b, c), { objectMode: false }));
    if (q && (!Number.isInteger(q.count) || q.count < 0)) throw new Error(`quick order count ${q.count}`);
  }],
  ['local-driver log extract()', fc.tuple(bytesLike(A.localLog), cutsArb), ([b, c]: [Buffer, number[]]) => runExtractor(localLog, `containers/${CID}/local-logs/container.log`, b, c)],
  ['FrameReader + decodeLogEntry', fc.tuple(bytesLike(A.localLog), cutsArb), ([b, c]: [Buffer, number[]]) => {
    const frames = new FrameReader((e, at) => { if (at < 0 || typeof e.timeNano !== 'bigint') throw new Error('bad entry'); decodeBytes(e.line); }, (at) => { if (at < 0) throw new Error(`bad offset ${at}`); });
    for (const piece of chunked(b, c)) frames.push(piece);
    try {
      decodeLogEntry(b);
    } catch (e) {
      if (!(e instanceof Error)) throw e; // a protobuf error is fine (FrameReader reports it); a non-Error is not
    }
  }],
  ['tar-split extract()', fc.tuple(fc.oneof(bytesLike(A.tarSplitGz), bytesLike(tarsplitRaw).map((b) => gzipSync(b))), cutsArb),
    ([b, c]: [Buffer, number[]]) => runExtractor(tarSplit, `image/overlay2/layerdb/sha256/${'c'.repeat(64)}/tar-split.json.gz`, b, c)],
  ['ContentlessTarParser', fc.tuple(bytesLike(headerStream), cutsArb), ([b, c]: [Buffer, number[]]) => {
    const parser = new ContentlessTarParser((h) => {
      if (h.mtime !== undefined && !inTimeRange(h.mtime)) throw new Error(`header mtime ${h.mtime}`);
      if (!Number.isFinite(h.size) || h.size < 0 || !Number.isFinite(h.mode)) throw new Error(`header numbers ${h.size} ${h.mode}`);
    }, (at) => { if (!Number.isInteger(at) || at < 0) throw new Error(`bad offset ${at}`); });
    for (const piece of chunked(b, c)) parser.push(piece);
  }],
  ['ContentlessTarParser, metadata fields damaged: no header lost', fc.tuple(tarFieldsDamaged(headerStream), cutsArb), ([b, c]: [Buffer, number[]]) => {
    let n = 0;
    const parser = new ContentlessTarParser((h) => {
      n++;
      if (h.mtime !== undefined && !inTimeRange(h.mtime)) throw new Error(`header mtime ${h.mtime}`);
    }, (at, message) => { if (!/not a time/.test(message)) throw new Error(`listing stopped at ${at}: ${message}`); });
    for (const piece of chunked(b, c)) parser.push(piece);
    if (n !== headerCount) throw new Error(`${n} headers of ${headerCount}`);
  }],
  ['image config extract()', fc.tuple(bytesLike(A.imageConfig.bytes), cutsArb),
    ([b, c]: [Buffer, number[]]) => runExtractor(imageConfig, `image/overlay2/imagedb/content/sha256/${A.imageConfig.id}`, b, c)],
  ['BoltReader', bytesLike(A.boltdb), (b: Buffer) => {
    try {
      const db = new BoltReader(b);
      for (const e of db.entries(db.meta.rootPage)) if (e.bucket) [...db.entries(e.root, e.inline)];
    } catch (e) {
      if (!(e instanceof BoltError)) throw e;
      if (!Number.isInteger(e.offset) || e.offset < 0) throw new Error(`BoltError offset ${e.offset}`);
    }
  }],
  ['volume metadata extract()', fc.tuple(bytesLike(A.boltdb), cutsArb), ([b, c]: [Buffer, number[]]) => runExtractor(volumeMetadata, 'volumes/metadata.db', b, c)],
  ['devicemapper device metadata extract()', fc.tuple(bytesLike(DM_DEVICE), cutsArb), ([b, c]: [Buffer, number[]]) => runExtractor(devicemapperMetadata, `devicemapper/metadata/${'d'.repeat(64)}`, b, c, DM_MTIME)],
  ['devicemapper set and transaction metadata extract()', fc.tuple(fc.boolean(), fc.oneof(bytesLike(DM_SET), bytesLike(DM_TX)), cutsArb),
    ([set, b, c]: [boolean, Buffer, number[]]) => runExtractor(devicemapperMetadata, `devicemapper/metadata/${set ? 'deviceset' : 'transaction'}-metadata`, b, c, DM_MTIME)],
  ['readFlatObject agrees with JSON.parse', jsonish, (text: string) => {
    const b = Buffer.from(text, 'utf8');
    let parsed: unknown;
    let valid = true;
    try { parsed = JSON.parse(text); } catch { valid = false; }
    const isObject = valid && typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
    try {
      const members = readFlatObject(b);
      if (!isObject) throw new Error(`read as an object: ${JSON.stringify(text).slice(0, 200)}`);
      for (const m of members) if (m.offset < 0 || m.offset + m.raw.length > b.length || m.keyOffset >= m.offset) throw new Error(`member offsets ${m.keyOffset} ${m.offset}`);
      if (members.length < Object.keys(parsed as object).length) throw new Error('members lost');
    } catch (e) {
      if (!(e instanceof FlatJsonError)) throw e;
      if (isObject) throw new Error(`refused a JSON object (${e.message}): ${JSON.stringify(text).slice(0, 200)}`);
      if (!Number.isInteger(e.offset) || e.offset < 0 || e.offset > b.length) throw new Error(`error offset ${e.offset}`);
    }
  }],
  ['parseRfc3339', fc.oneof(
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.tuple(fc.constantFrom('2026-01-02T03:04:05.123456789Z', '1969-12-31T23:59:59.5Z', '9999-12-31T23:59:59.999999999Z', '0001-01-01T00:00:00Z', '2026-01-02T03:04:05+05:30'),
      fc.array(fc.tuple(fc.nat(), fc.constantFrom(...'0123456789-+:.TZz tx\u0000\u00e9'.split(''))), { maxLength: 4 }))
      .map(([s, flips]) => { const a = [...s]; for (const [i, ch] of flips) a[i % a.length] = ch; return a.join(''); }),
  ), (s: string) => {
    const p = parseRfc3339(s);
    if (p === null) return;
    if (!inTimeRange(p.ns)) throw new Error(`${JSON.stringify(s)} parsed to ${p.ns}, outside 0000-9999`);
    const back = parseRfc3339(formatUtcNs(p.ns));
    if (back?.ns !== p.ns) throw new Error(`${JSON.stringify(s)}: ${p.ns} does not survive formatting (${formatUtcNs(p.ns)})`);
  }],
  ['LineSplitter', fc.tuple(fc.uint8Array({ maxLength: 600 }).map((u) => Buffer.from(u.map((x) => (x % 5 === 0 ? 10 : x)))), cutsArb, fc.integer({ min: 1, max: 64 })),
    ([b, c, max]: [Buffer, number[], number]) => {
      const seen: [number, number][] = [];
      const s = new LineSplitter((line, off) => seen.push([off, line.length]), (off, len) => seen.push([off, len]), max);
      for (const piece of chunked(b, c)) s.push(piece);
      s.end();
      // every byte but the line feeds is in exactly one line, at its own offset
      let want = 0;
      for (const [off, len] of seen) {
        if (off !== want) throw new Error(`line at ${off}, expected ${want}`);
        want = off + len + 1;
      }
      if (seen.reduce((n, [, len]) => n + len, 0) !== b.length - b.filter((x) => x === 10).length) throw new Error('bytes lost');
    }],
  ['TarSource walk, metadata fields damaged: no member lost', tarFieldsDamaged(A.tar), async (b: Buffer) => {
    tarDir ??= mkdtempSync(path.join(tmpdir(), 'dt-hostile-fuzz-'));
    const file = path.join(tarDir, 'evidence.tar');
    writeFileSync(file, b);
    const warnings = new Warnings();
    let n = 0;
    await new TarSource(file, file, warnings).walk({
      descend: () => true,
      want: (e) => {
        n++;
        if (e.mtime !== undefined && !inTimeRange(e.mtime)) throw new Error(`member mtime ${e.mtime}`);
        return 'content';
      },
      visit: async (_e, content) => { if (content) for await (const _ of content) { /* drain */ } },
    });
    if (n !== tarMembersCount) throw new Error(`${n} members of ${tarMembersCount}: ${warnings.list.map((w) => w.message).join('; ')}`);
    for (const w of warnings.list) if (w.kind !== 'bad-time') throw new Error(`${w.kind}: ${w.message}`);
  }, Math.max(20, Math.floor(runs / 4))],
  ['TarSource walk (archive evidence)', bytesLike(A.tar), async (b: Buffer) => {
    tarDir ??= mkdtempSync(path.join(tmpdir(), 'dt-hostile-fuzz-'));
    const file = path.join(tarDir, 'evidence.tar');
    writeFileSync(file, b);
    const warnings = new Warnings();
    await new TarSource(file, file, warnings).walk({
      descend: () => true,
      want: (e) => {
        if (e.mtime !== undefined && !inTimeRange(e.mtime)) throw new Error(`member mtime ${e.mtime}`);
        return 'content';
      },
      visit: async (_e, content) => { if (content) for await (const _ of content) { /* drain */ } },
    });
    for (const w of warnings.list) checkWarning(w, 'TarSource');
  }, Math.max(20, Math.floor(runs / 4))],
];

async function main(): Promise<void> {
  for (const [name, arb, run, n = runs] of TARGETS) {
    const start = Date.now();
    let i = 0;
    try {
      await fc.assert(fc.asyncProperty(arb, async (input) => {
        const show = Buffer.isBuffer(input) ? input : Array.isArray(input) && Buffer.isBuffer(input[0]) ? input[0] : Buffer.from(JSON.stringify(input) ?? '');
        post({ type: 'case', target: name, n: i++, input: show.subarray(0, 4096).toString('base64') });
        await run(input);
      }), { numRuns: n, seed, endOnFailure: true });
      post({ type: 'done', target: name, runs: i, ms: Date.now() - start });
    } catch (e) {
      post({ type: 'failed', target: name, error: String((e as Error).message).slice(0, 4000) });
    }
  }
  if (tarDir) rmSync(tarDir, { recursive: true, force: true });
  post({ type: 'end' });
}

void main();
