import type { Readable } from 'node:stream';
import type { FileHandle } from 'node:fs/promises';
import type { EvidenceEntry } from '../evidence/entry.js';
import type { TimelineEvent } from '../events/event.js';
import type { Context } from './context.js';
import type { Warning } from '../warnings.js';
import type { TimelineItem } from '../events/raw-line.js';
import type { RawLogFormat } from '../sinks/sink.js';
import type { Decompressed } from './gzip-copy.js';

/** Where an artifact sits: the data root it belongs to and its path inside that root. */
export interface ArtifactRef {
  /** Evidence-relative path of the data root (`''` when the evidence is the data root). */
  root: string;
  /** Path relative to the data root (`containers/<id>/config.v2.json`). */
  rel: string;
  entry: EvidenceEntry;
}

export interface QuickOrder {
  ordered: boolean;
  count: number;
  fieldNames: string[];
  /** Line starts that cut the (uncompressed) artifact into chunks of about CHUNK bytes, then its end. */
  plan?: number[];
}

/**
 * Where a large log can be cut for worker threads (see QuickOrder.plan). 1 MiB: on 200 MB (to
 * /dev/null, 2 x 4 runs each) 1.62 s median against 1.70 at 512 KiB and 1.52 at 2 MiB; but 2 MiB
 * took a 2 GB log's peak RSS to 290 MB in jsonl and timesketch-jsonl (their lines are longer), 1 MiB
 * to 236 and 266 MB (l2tcsv 200 MB).
 */
export const PLAN_CHUNK_BYTES = 1 << 20;

/** How a directly merged artifact is read again at output time. */
export interface RawInput {
  /** Its bytes as a stream, read in chunks of about this many bytes. */
  stream(chunkBytes: number): Promise<Readable>;
  /** An open handle (read-only, no atime update), for worker threads. */
  handle(): Promise<FileHandle>;
  /** What the order pre-check found. */
  quick: QuickOrder | null;
  /** How many artifacts are merged directly (each holds its chunks in memory at output time). */
  sources: number;
  /**
   * Set for a compressed artifact: `handle()` then opens its decompressed copy (checked by
   * `quick`), while `stream()` still gives the artifact's own bytes.
   */
  decompressed?: Decompressed;
}

export interface ExtractOutput<R> {
  record(r: R): void;
  warn(w: Omit<Warning, 'evidence' | 'artifact'> & Partial<Pick<Warning, 'evidence' | 'artifact'>>): void;
}

/**
 * One artifact kind. An extractor turns one evidence entry into typed records; its time map
 * (a sibling `*.timemap.ts`) turns each record into timeline events.
 *
 * `context` extractors run in a first pass over the evidence (small files: configs) so that
 * every event of the second pass (`content`: logs, file times) can name its container.
 */
export interface Extractor<R = unknown> {
  readonly name: string;
  /** Human name of the artifact, used in warnings. */
  readonly artifact: string;
  readonly phase: 'context' | 'content';
  /** `content`: the entry's bytes are streamed to `extract`; `meta`: only its metadata. */
  readonly needs: 'content' | 'meta';
  /**
   * The events of one artifact come out in file order, which is usually timeline order (a log):
   * a large artifact of directory evidence may then be merged straight into the output.
   */
  readonly ordered?: boolean;
  /**
   * For `ordered` extractors: a cheap pass that tells whether the artifact's events will come out in
   * timeline order, how many, and with which field names, without building them. null: cannot tell
   * cheaply (the caller then runs the extractor itself to find out).
   */
  quickOrder?(ref: ArtifactRef, input: Readable): Promise<QuickOrder | null>;
  /**
   * The same check in parts on worker threads, from an open handle (null: take `quickOrder`).
   * `decompressed`: the handle is a compressed artifact's decompressed copy (its events say so).
   */
  quickOrderParallel?(ref: ArtifactRef, handle: FileHandle, size: number, decompressed?: boolean): Promise<QuickOrder | null>;
  /**
   * For `ordered` extractors whose lines a sink can write straight from their bytes: the artifact's
   * items in order, lines formatted by `fmt` where it can, events (as `extract` + toEvents) elsewhere.
   */
  rawItems?(ref: ArtifactRef, input: RawInput, ctx: Context, fmt: RawLogFormat, out: ExtractOutput<R>): AsyncGenerator<TimelineItem[]>;
  /** Matches a path relative to the data root (the context is complete in the content phase). */
  match(rel: string, entry: EvidenceEntry, ctx: Context): boolean;
  extract(ref: ArtifactRef, input: Readable | null, out: ExtractOutput<R>): Promise<void>;
  /** Context-phase records are kept until the pass ends; this stores them into the context. */
  remember?(r: R, ctx: Context): void;
  /** After every context record is remembered: links across them (e.g. a save manifest to its configs). */
  settle?(ctx: Context): void;
  toEvents(r: R, ctx: Context): Iterable<TimelineEvent>;
  /** Called once after the content pass: events that need everything seen (container drift). */
  finish?(ctx: Context, warn: (w: Omit<Warning, 'artifact'>) => void): Iterable<TimelineEvent>;
}
