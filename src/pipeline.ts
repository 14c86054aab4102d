import type { Readable } from 'node:stream';
import type { EvidenceEntry, EvidenceSource, WalkVisitor } from './evidence/entry.js';
import path from 'node:path';
import { DirectorySource, openNoTouch } from './evidence/directory-source.js';
import { findDirectoryDataRoots, looksLikeArchive, outermostRoots, READ_FOLDERS, splitDataRootPath } from './evidence/locate.js';
import type { ArtifactRef, Extractor, ExtractOutput, QuickOrder, RawInput } from './extractors/extractor.js';
import { logWorkers } from './extractors/log-workers.js';
import { EXTRACTORS } from './extractors/index.js';
import { Context } from './extractors/context.js';
import { setSpillDir } from './spill/temp-dir.js';
import type { TimelineEvent } from './events/event.js';
import type { Warnings } from './warnings.js';
import { compareEvents } from './events/compare.js';
import { pullEvents } from './events/pull-events.js';
import type { TimelineItem } from './events/raw-line.js';
import type { RawLogFormat } from './sinks/sink.js';

export interface ExtractOptions {
  hostname: string | null;
  extractors?: readonly Extractor<any>[];
  /** Merge large, already-ordered artifacts of directory evidence straight into the output (see DirectMerge). */
  direct?: DirectMerge;
  /** Folder for extractors' spill files (`--tmp-dir`; the system temp folder when not given). */
  tmpDir?: string;
}

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
}

/** Opens a directly merged artifact for a sink's raw fast path (see Extractor.rawItems). */
export type RawOpener = (fmt: RawLogFormat) => AsyncIterator<TimelineItem[]>;

export interface SourceResult {
  context: Context;
  roots: string[];
  events: number;
}

function outputFor<R>(ex: Extractor<R>, ref: ArtifactRef, warnings: Warnings, onRecord: (r: R) => void): ExtractOutput<R> {
  return {
    record: onRecord,
    warn: (w) => warnings.add({ artifact: ex.artifact, evidence: ref.entry.path, ...w }),
  };
}

/** Run one walk over the evidence with the extractors of one phase. */
async function runPhase(
  src: EvidenceSource, phase: 'context' | 'content', extractors: readonly Extractor<any>[],
  roots: readonly string[] | null, descendInto: ((p: string) => boolean) | null,
  warnings: Warnings, ctx: Context, onRecord: (ex: Extractor<any>, r: unknown, ref: ArtifactRef) => void, seenRoots?: Set<string>,
  handOver?: (ex: Extractor<any>, ref: ArtifactRef, content: Readable) => Promise<boolean>,
): Promise<void> {
  const mine = extractors.filter((e) => e.phase === phase);
  const plan = (entry: EvidenceEntry): { ref: ArtifactRef; exs: Extractor<any>[] } | null => {
    // With the data roots known, any path below one belongs to it; before (an archive's first pass),
    // the path's own marks tell where a root is.
    const split = roots ? splitByRoots(entry.path, roots) : splitDataRootPath(entry.path);
    if (!split) return null;
    if (!roots) {
      seenRoots?.add(split.root);
      const nested = (split as { nested?: string }).nested;
      if (nested !== undefined) seenRoots?.add(nested);
    }
    const exs = mine.filter((e) => e.match(split.rel, entry, ctx));
    return exs.length ? { ref: { root: split.root, rel: split.rel, entry }, exs } : null;
  };
  const plans = new Map<string, { ref: ArtifactRef; exs: Extractor<any>[] }>();
  const visitor: WalkVisitor = {
    descend: (p) => (descendInto ? descendInto(p) : true),
    want(entry) {
      const p = plan(entry);
      if (!p) return 'skip';
      plans.set(entry.path, p);
      return p.exs.some((e) => e.needs === 'content') ? 'content' : 'meta';
    },
    async visit(entry, content: Readable | null) {
      const p = plans.get(entry.path);
      plans.delete(entry.path);
      if (!p) return;
      for (const ex of p.exs) {
        if (content && ex.needs === 'content' && handOver && await handOver(ex, p.ref, content)) continue;
        const out = outputFor(ex, p.ref, warnings, (r) => onRecord(ex, r, p.ref));
        try {
          await ex.extract(p.ref, ex.needs === 'content' ? content : null, out);
        } catch (e) {
          out.warn({ kind: 'extractor-error', offset: 0, message: `${ex.name} failed: ${(e as Error).message}; other artifacts are still read` });
        }
      }
      if (content && !content.readableEnded) content.resume();
    },
  };
  await src.walk(visitor);
}

/** The data root (the longest of `roots`) that `p` lies in, and the path inside it. */
function splitByRoots(p: string, roots: readonly string[]): { root: string; rel: string } | null {
  let best: string | null = null;
  for (const r of roots) {
    if ((r === '' || p.startsWith(r + '/')) && (best === null || r.length > best.length)) best = r;
  }
  if (best === null) return null;
  return { root: best, rel: best === '' ? p : p.slice(best.length + 1) };
}

/**
 * Extract one evidence source: a first pass reads container configs (so every event can name its
 * container), a second pass streams logs and file times. Events go to `emit` unsorted.
 */
export async function extractSource(src: EvidenceSource, opts: ExtractOptions, warnings: Warnings, emit: (e: TimelineEvent) => void): Promise<SourceResult> {
  const extractors = opts.extractors ?? EXTRACTORS;
  const ctx = new Context(src.label, src.kind, opts.hostname);
  setSpillDir(ctx, opts.tmpDir);
  warnings.source = src.label;
  let events = 0;
  const send = (e: TimelineEvent): void => { events++; emit(e); };

  // Where the data roots are: by location for a directory, by content for an archive.
  let dirRoots: string[] | null = null;
  if (src instanceof DirectorySource) {
    dirRoots = await findDirectoryDataRoots(src.root, warnings);
    // overlay opaque directories are xattrs: read them for layer folders
    src.xattrSubtrees = (rel) => /(?:^|\/)(?:overlay2\/[0-9a-z]+(?:-init)?\/diff|overlay\/[0-9a-z]+(?:-init)?\/upper)$/.test(rel);
  }
  // In a directory, walk only the folders the extractors read (a mounted disk has millions of files).
  const underRead = (p: string): boolean =>
    dirRoots!.some((r) => READ_FOLDERS.some((f) => {
      const c = r ? `${r}/${f}` : f;
      return c === p || c.startsWith(p + '/') || p.startsWith(c + '/');
    }));
  // an unpacked save, OCI layout or export is read whole
  const archiveDir = src instanceof DirectorySource && dirRoots!.length === 0 && await looksLikeArchive(src.root);
  if (archiveDir) dirRoots = [''];
  const descend = dirRoots && !archiveDir ? underRead : null;

  const contextRecords: [Extractor<any>, unknown, string][] = [];
  const seen = new Set<string>();
  await runPhase(src, 'context', extractors, dirRoots, descend, warnings, ctx, (ex, r, ref) => contextRecords.push([ex, r, ref.root]), seen);
  const { keep, nested } = outermostRoots(dirRoots ?? seen);
  for (const n of nested) {
    warnings.add({ kind: 'nested-data-root', artifact: 'data root', evidence: n, offset: 0, message: 'a Docker data root inside another one (docker-in-docker, or a copy inside a layer or volume); not read as host containers' });
  }
  if (keep.length === 0) {
    warnings.add({ kind: 'no-data-root', artifact: 'data root', evidence: '', offset: 0, message: 'no Docker data root (a folder with containers/<id>/ or image/<driver>/) found in this evidence' });
    return { context: ctx, roots: [], events };
  }
  const accept = (root: string): boolean => keep.includes(root);
  const kept = contextRecords.filter(([, , root]) => accept(root));
  for (const [ex, r] of kept) ex.remember?.(r, ctx);
  for (const ex of extractors) ex.settle?.(ctx);
  for (const [ex, r] of kept) for (const e of ex.toEvents(r, ctx)) send(e);

  const onRecord = (ex: Extractor<any>, r: unknown): void => {
    for (const e of ex.toEvents(r, ctx)) send(e);
  };
  const handOver = src instanceof DirectorySource && opts.direct ? directHandOver(src, opts.direct, ctx, warnings, send) : undefined;
  await runPhase(src, 'content', extractors, keep, descend, warnings, ctx, onRecord, undefined, handOver);
  for (const ex of extractors) {
    if (!ex.finish) continue;
    try {
      for (const e of ex.finish(ctx, (w) => warnings.add({ artifact: ex.artifact, ...w }))) send(e);
    } catch (e) {
      warnings.add({ kind: 'extractor-error', artifact: ex.artifact, evidence: '', offset: 0, message: `${ex.name} failed at the end of the run: ${(e as Error).message}; the other events are kept` });
    }
  }
  return { context: ctx, roots: keep, events };
}

/** Logs from this size up are checked for order by worker threads (smaller ones: by this thread). */
const PARALLEL_CHECK_BYTES = 8 << 20;

/**
 * For directory evidence: a large artifact of an `ordered` extractor is read once to check that its
 * events come out in timeline order (and to learn its field names). If they do, it is registered for
 * a direct merge at output time and none of its events are held; if not, it is read again and its
 * events go through the sorter like any other.
 */
function directHandOver(src: DirectorySource, direct: DirectMerge, ctx: Context, warnings: Warnings,
  send: (e: TimelineEvent) => void): (ex: Extractor<any>, ref: ArtifactRef, content: Readable) => Promise<boolean> {
  let handed = 0;
  return async (ex, ref, content) => {
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
    let quick: QuickOrder | null = null;
    if (ex.quickOrderParallel && logWorkers() > 0 && ref.entry.size >= BigInt(PARALLEL_CHECK_BYTES)) {
      // checked in parts by worker threads; the walker's stream of it is not read
      const fh = await openNoTouch(path.join(src.root, ref.entry.path));
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
      await run(ex.quickOrder ? await src.openFile(ref.entry.path) : content, check);
    }
    if (ordered) {
      handed++;
      // small chunks at output time: fewer events wait in memory per source (they would outlive the young generation)
      const raw = ex.rawItems;
      const input: RawInput = {
        stream: (chunkBytes) => src.openFile(ref.entry.path, chunkBytes),
        handle: () => openNoTouch(path.join(src.root, ref.entry.path)),
        quick,
        get sources() { return handed; },
      };
      const openRaw: RawOpener | undefined = raw && ((fmt: RawLogFormat) => raw(ref, input, ctx, fmt, outputFor(ex, ref, warnings, () => {})));
      direct.add(() => pullEvents(() => src.openFile(ref.entry.path, 1 << 17), run), count, fieldNames, openRaw);
    } else {
      await run(await src.openFile(ref.entry.path), send);
    }
    return true;
  };
}
