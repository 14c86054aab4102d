import { createReadStream, type BigIntStats } from 'node:fs';
import { open, rm, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { EvidenceEntry, EvidenceSource } from './evidence/entry.js';
import { formatUtcNs } from './time/nanotime.js';
import { unescapeBytes } from './extractors/bytes-text.js';
import { DirectorySource, openNoTouch } from './evidence/directory-source.js';
import { TarSource } from './evidence/tar-source.js';
import { copyMember } from './evidence/member-copy.js';
import { isGzip } from './evidence/gunzip.js';
import { gunzipCopy, type Decompressed } from './extractors/gzip-copy.js';
import type { ArtifactRef, Extractor, QuickOrder, RawInput } from './extractors/extractor.js';
import { outputFor } from './extractors/output.js';
import { logWorkers } from './extractors/log-workers.js';
import type { Context } from './extractors/context.js';
import type { TimelineEvent } from './events/event.js';
import { compareEvents } from './events/compare.js';
import { pullEvents } from './events/pull-events.js';
import type { TimelineItem } from './events/raw-line.js';
import type { RawLogFormat } from './sinks/sink.js';
import type { TempDir } from './spill/temp-dir.js';
import type { Warnings } from './warnings.js';

/**
 * Where a large artifact whose events come out in timeline order (a log file, checked event by event)
 * is handed over instead of its events: it is read again at output time and merged in directly.
 */
export interface DirectMerge {
  add(open: () => AsyncIterator<TimelineEvent[]>, count: number, fieldNames: Iterable<string>, openRaw?: RawOpener): void;
  /** Artifacts smaller than this go through the sorter. */
  minBytes: number;
  /** At most this many artifacts are merged directly (each holds an open file at output time). */
  maxSources: number;
  /**
   * Where archive members are copied to be read again (each removed once it is written, the rest by
   * the owner at the end). Without it, only a directory's files are merged directly.
   */
  copies?: TempDir;
  /** false: the output has no fast path (`--no-fast-path`), so no decompressed copy is made for it. */
  fastPath?: boolean;
}

const SLASH = Buffer.from('/');

/** Opens a directly merged artifact for a sink's raw fast path (see Extractor.rawItems). */
export type RawOpener = (fmt: RawLogFormat) => AsyncIterator<TimelineItem[]>;

/** An artifact's bytes, readable again: its stream now, new streams and handles later. */
interface Reread {
  content: Readable;
  stream(chunkBytes?: number): Promise<Readable>;
  handle(): Promise<FileHandle>;
  /** The copy read again is no longer needed (an archive member's). */
  release?(): void;
}

/** How an evidence source's artifacts are read again: a directory's in place, an archive member's from a copy. */
type Rereader = (ref: ArtifactRef, content: Readable, artifact: string) => Promise<Reread | { replay: Readable }>;

function rereader(src: EvidenceSource, direct: DirectMerge, warnings: Pick<Warnings, 'add'>): Rereader | null {
  if (src instanceof DirectorySource) {
    return async (ref, content, artifact) => {
      // live evidence: the file may change between its listing, the check and the output
      let warned = false;
      const handle = async (): Promise<FileHandle> => {
        // by the name's own bytes (an entry's path is text: bytes that are not UTF-8 as \xNN)
        const fh = await openNoTouch(Buffer.concat([Buffer.from(src.root), SLASH, unescapeBytes(ref.entry.path)]));
        let st: BigIntStats;
        try {
          st = await fh.stat({ bigint: true });
        } catch (e) {
          await fh.close();
          throw e;
        }
        // another file under its name (a rotation by rename, a folder on the way swapped for a link):
        // not the listed evidence, never read in its place
        if (ref.entry.inode !== null && ref.entry.inode !== st.ino.toString()) {
          await fh.close();
          throw new Error(`it was replaced since it was listed (inode ${ref.entry.inode} -> ${st.ino}); the file now under its name is not read`);
        }
        const change = changedSince(ref.entry, st);
        if (change && !warned) {
          warned = true;
          warnings.add({ kind: 'evidence-changed', artifact, evidence: ref.entry.path, offset: 0, message: `the file changed while it was read (${change}): it is read again for the output as it is now, so its lines may differ from those checked for order (lines added since the check may be left out)` });
        }
        return fh;
      };
      return {
        content,
        stream: async (chunkBytes = 1 << 20) => (await handle()).createReadStream({ highWaterMark: chunkBytes, autoClose: true }),
        handle,
      };
    };
  }
  const copies = direct.copies;
  if (src instanceof TarSource && copies) {
    return async (_ref, content) => {
      const file = copies.file();
      const { replay } = await copyMember(content, file);
      if (replay) return { replay };
      const stream = async (chunkBytes = 1 << 20): Promise<Readable> => createReadStream(file, { highWaterMark: chunkBytes });
      return { content: await stream(), stream, handle: () => open(file, 'r'), release: () => copies.remove([file]) };
    };
  }
  return null;
}

/** What differs between a file's listing and its stat now (size, modification and change times, inode), or null. */
export function changedSince(entry: EvidenceEntry, st: BigIntStats): string | null {
  const diffs: string[] = [];
  if (entry.size !== st.size) diffs.push(`size ${entry.size} -> ${st.size}`);
  if (entry.mtime !== undefined && entry.mtime !== st.mtimeNs) diffs.push(`mtime ${formatUtcNs(entry.mtime)} -> ${formatUtcNs(st.mtimeNs)}`);
  if (entry.ctime !== undefined && entry.ctime !== st.ctimeNs) diffs.push(`ctime ${formatUtcNs(entry.ctime)} -> ${formatUtcNs(st.ctimeNs)}`);
  if (entry.inode !== null && entry.inode !== st.ino.toString()) diffs.push(`inode ${entry.inode} -> ${st.ino}`);
  return diffs.length ? diffs.join(', ') : null;
}

/**
 * A directly merged source read at output time: a failure to open or read it again (the file is gone,
 * an I/O error) is a warning and ends that source only; what it gave before is kept.
 */
async function* guarded<T>(open: () => AsyncIterator<T>, fail: (e: Error) => void, done: () => void): AsyncGenerator<T> {
  let it: AsyncIterator<T> | null = null;
  try {
    it = open();
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  } catch (e) {
    fail(e as Error);
  } finally {
    await it?.return?.();
    done();
  }
}

/** The order check of a compressed artifact's decompressed copy, by worker threads. */
async function checkCopy(ex: Extractor<any>, ref: ArtifactRef, copy: Decompressed): Promise<QuickOrder | null> {
  const fh = await open(copy.file, 'r');
  try {
    return await ex.quickOrderParallel!(ref, fh, Number((await fh.stat()).size), true);
  } finally {
    await fh.close();
  }
}

/** Logs from this size up are checked for order by worker threads (smaller ones: by this thread). */
const PARALLEL_CHECK_BYTES = 8 << 20;

/**
 * A large artifact of an `ordered` extractor is read once to check that its events come out in
 * timeline order (and to learn its field names). If they do, it is registered for a direct merge at
 * output time and none of its events are held; if not, it is read again and its events go through
 * the sorter like any other. A directory's files are read again in place; an archive member is
 * copied first (`DirectMerge.copies`), since the archive's stream passes once.
 */
export function directHandOver(src: EvidenceSource, direct: DirectMerge, ctx: Context, allWarnings: Warnings,
  send: (e: TimelineEvent) => void): ((ex: Extractor<any>, ref: ArtifactRef, content: Readable) => Promise<boolean>) | undefined {
  // most of this source's warnings come at output time, once later evidence sources are read: named here
  const warnings: Pick<Warnings, 'add'> = { add: (w) => allWarnings.add({ ...w, evidenceSource: w.evidenceSource ?? src.label }) };
  const reread = rereader(src, direct, warnings);
  if (!reread) return undefined;
  let handed = 0;
  return async (ex, ref, walked) => {
    if (!ex.ordered || ref.entry.size < BigInt(direct.minBytes) || handed >= direct.maxSources) return false;
    let last: TimelineEvent | null = null;
    let ordered = true;
    let count = 0;
    const fieldNames = new Set<string>();
    const check = (e: TimelineEvent): void => {
      count++;
      for (const k in e.fields) fieldNames.add(k);
      if (last && compareEvents(last, e) > 0) ordered = false;
      last = e;
    };
    const run = async (input: Readable, onEvent: (e: TimelineEvent) => void): Promise<void> => {
      const out = outputFor(ex, ref, warnings, (r) => { for (const e of ex.toEvents(r, ctx)) onEvent(e); });
      try {
        await ex.extract(ref, input, out);
      } catch (e) {
        out.warn({ kind: 'extractor-error', offset: 0, message: `${ex.name} failed: ${(e as Error).message}; other artifacts are still read` });
      }
    };
    const again = await reread(ref, walked, ex.artifact);
    if ('replay' in again) {
      // the copy could not be made: read once, as any artifact
      await run(again.replay, send);
      return true;
    }
    const { content } = again;
    let quick: QuickOrder | null = null;
    let decompressed: Decompressed | null = null;
    if (ex.quickOrderParallel && logWorkers() > 0 && ref.entry.size >= BigInt(PARALLEL_CHECK_BYTES)) {
      // checked in parts by worker threads; the stream of it is not read
      let gz = false;
      let fh: FileHandle;
      try {
        fh = await again.handle();
      } catch (e) {
        // replaced or gone since the walk opened it: the walked stream is the listed file, read once
        warnings.add({ kind: 'evidence-changed', artifact: ex.artifact, evidence: ref.entry.path, offset: 0, message: `${(e as Error).message}; the file as listed is read once instead` });
        await run(content, send);
        return true;
      }
      try {
        gz = await isGzip(fh);
        if (!gz) quick = await ex.quickOrderParallel(ref, fh, Number((await fh.stat()).size));
      } finally {
        await fh.close();
      }
      if (gz && ex.rawItems && direct.copies && direct.fastPath !== false) {
        // a compressed rotation: decompressed once into a copy, which the workers check and format
        decompressed = await gunzipCopy(await again.stream(), direct.copies.file());
        if (decompressed) quick = await checkCopy(ex, ref, decompressed);
        if (!quick && decompressed) {
          await rm(decompressed.file, { force: true });
          decompressed = null;
        }
      }
    }
    if (quick) content.destroy();
    else if (ex.quickOrder) quick = await ex.quickOrder(ref, content);
    if (quick) {
      ordered = quick.ordered;
      count = quick.count;
      for (const k of quick.fieldNames) fieldNames.add(k);
    } else {
      await run(ex.quickOrder ? await again.stream() : content, check);
    }
    if (ordered) {
      handed++;
      // small chunks at output time: fewer events wait in memory per source (they would outlive the young generation)
      const raw = ex.rawItems;
      const copy = decompressed;
      const input: RawInput = {
        stream: (chunkBytes) => again.stream(chunkBytes),
        handle: () => (copy ? open(copy.file, 'r') : again.handle()),
        quick,
        get sources() { return handed; },
      };
      if (copy) input.decompressed = copy;
      const fail = (e: Error): void => warnings.add({ kind: 'unreadable', artifact: ex.artifact, evidence: ref.entry.path, offset: 0, message: `could not be read again for the output (${e.message}); the lines written before are kept, the rest of it is missing` });
      // the copies are removed as soon as the output has read them (one of these two is opened)
      const release = (): void => {
        again.release?.();
        if (copy) direct.copies?.remove([copy.file]);
      };
      const openRaw: RawOpener | undefined = raw && ((fmt: RawLogFormat) => guarded(() => raw(ref, input, ctx, fmt, outputFor(ex, ref, warnings, () => {})), fail, release));
      direct.add(() => guarded(() => pullEvents(() => again.stream(1 << 17), run), fail, release), count, fieldNames, openRaw);
    } else {
      if (decompressed) await rm(decompressed.file, { force: true });
      await run(await again.stream(), send);
      again.release?.();
    }
    return true;
  };
}
