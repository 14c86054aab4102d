import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { EvidenceSource } from './evidence/entry.js';
import { DirectorySource, openNoTouch } from './evidence/directory-source.js';
import { TarSource } from './evidence/tar-source.js';
import { copyMember } from './evidence/member-copy.js';
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
   * Where archive members are copied to be read again (removed by the owner once the output is
   * written). Without it, only a directory's files are merged directly.
   */
  copies?: TempDir;
}

/** Opens a directly merged artifact for a sink's raw fast path (see Extractor.rawItems). */
export type RawOpener = (fmt: RawLogFormat) => AsyncIterator<TimelineItem[]>;

/** An artifact's bytes, readable again: its stream now, new streams and handles later. */
interface Reread {
  content: Readable;
  stream(chunkBytes?: number): Promise<Readable>;
  handle(): Promise<FileHandle>;
}

/** How an evidence source's artifacts are read again: a directory's in place, an archive member's from a copy. */
type Rereader = (ref: ArtifactRef, content: Readable) => Promise<Reread | { replay: Readable }>;

function rereader(src: EvidenceSource, direct: DirectMerge): Rereader | null {
  if (src instanceof DirectorySource) {
    return async (ref, content) => ({
      content,
      stream: (chunkBytes) => src.openFile(ref.entry.path, chunkBytes),
      handle: () => openNoTouch(path.join(src.root, ref.entry.path)),
    });
  }
  const copies = direct.copies;
  if (src instanceof TarSource && copies) {
    return async (_ref, content) => {
      const file = copies.file();
      const { replay } = await copyMember(content, file);
      if (replay) return { replay };
      const stream = async (chunkBytes = 1 << 20): Promise<Readable> => createReadStream(file, { highWaterMark: chunkBytes });
      return { content: await stream(), stream, handle: () => open(file, 'r') };
    };
  }
  return null;
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
export function directHandOver(src: EvidenceSource, direct: DirectMerge, ctx: Context, warnings: Warnings,
  send: (e: TimelineEvent) => void): ((ex: Extractor<any>, ref: ArtifactRef, content: Readable) => Promise<boolean>) | undefined {
  const reread = rereader(src, direct);
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
    const again = await reread(ref, walked);
    if ('replay' in again) {
      // the copy could not be made: read once, as any artifact
      await run(again.replay, send);
      return true;
    }
    const { content } = again;
    let quick: QuickOrder | null = null;
    if (ex.quickOrderParallel && logWorkers() > 0 && ref.entry.size >= BigInt(PARALLEL_CHECK_BYTES)) {
      // checked in parts by worker threads; the stream of it is not read
      const fh = await again.handle();
      try {
        quick = await ex.quickOrderParallel(ref, fh, Number((await fh.stat()).size));
      } finally {
        await fh.close();
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
      const input: RawInput = {
        stream: (chunkBytes) => again.stream(chunkBytes),
        handle: () => again.handle(),
        quick,
        get sources() { return handed; },
      };
      const openRaw: RawOpener | undefined = raw && ((fmt: RawLogFormat) => raw(ref, input, ctx, fmt, outputFor(ex, ref, warnings, () => {})));
      direct.add(() => pullEvents(() => again.stream(1 << 17), run), count, fieldNames, openRaw);
    } else {
      await run(await again.stream(), send);
    }
    return true;
  };
}
