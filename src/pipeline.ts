import type { Readable } from 'node:stream';
import type { EvidenceEntry, EvidenceSource, WalkVisitor } from './evidence/entry.js';
import { DirectorySource } from './evidence/directory-source.js';
import { findDirectoryDataRoots, looksLikeArchive, outermostRoots, READ_FOLDERS, splitDataRootPath } from './evidence/locate.js';
import type { ArtifactRef, Extractor } from './extractors/extractor.js';
import { outputFor } from './extractors/output.js';
import { directHandOver, type DirectMerge } from './direct-merge.js';
import { EXTRACTORS } from './extractors/index.js';
import { Context } from './extractors/context.js';
import { setSpillDir } from './spill/temp-dir.js';
import type { TimelineEvent } from './events/event.js';
import type { Warnings } from './warnings.js';

export interface ExtractOptions {
  hostname: string | null;
  extractors?: readonly Extractor<any>[];
  /** Merge large, already-ordered artifacts straight into the output (see DirectMerge). */
  direct?: DirectMerge;
  /** Folder for extractors' spill files (`--tmp-dir`; the system temp folder when not given). */
  tmpDir?: string;
}

export type { DirectMerge, RawOpener } from './direct-merge.js';

export interface SourceResult {
  context: Context;
  roots: string[];
  events: number;
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
  const handOver = opts.direct ? directHandOver(src, opts.direct, ctx, warnings, send) : undefined;
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
