import type { FieldValue, TimelineEvent } from '../events/event.js';
import { JSONL_KEYS } from '../sinks/jsonl.js';
import { TIMESKETCH_FIXED } from '../sinks/timesketch.js';
import type { InputZone } from './times.js';
import type { BodyLine } from './readers/bodyfile.js';

/** The input formats `merge` reads (`--input-format`). */
export const INPUT_FORMATS = ['bodyfile', 'mactime', 'l2tcsv', 'dynamic', 'json_line', 'timesketch-csv', 'timesketch-jsonl', 'jsonl'] as const;
export type InputFormat = (typeof INPUT_FORMATS)[number];

/** What a reader is given for one input file. */
export interface ReaderContext {
  /** The input as given on the command line. */
  file: string;
  /**
   * The folder the input is in, absolute (the events' `evidenceSource`), and its file name (their
   * `evidence`): as for extract's directory evidence, the pair names the file, and the display name the
   * sinks build (`OS:<folder>/<name>`, L2T `filename`, Timesketch `display_name`) is the input's path.
   */
  dir: string;
  name: string;
  zone: InputZone;
  /** True when `--input-timezone` was given (not just the UTC default). */
  zoneGiven: boolean;
  warn(kind: string, offset: number, message: string): void;
  /**
   * One event read from the input. `hostPath`: the path on the host the event is about (a bodyfile
   * name, an L2T `filename`), for attribution to containers, layers and volumes; null for events this
   * tool wrote (see `ourOwn`): they are attributed already.
   */
  emit(e: TimelineEvent, hostPath?: string | null): void;
  /** A row that holds no time (all bodyfile times 0, plaso's `Not a time`): read, but gives no event. */
  untimed(): void;
  /**
   * Set by `merge`: bodyfile lines are kept whole and made into events only when they are written
   * (merge/bodyfile-rows.ts), so millions of rows stay small in memory and in the sort's spill files.
   */
  rows?: RowSink;
}

/** Takes bodyfile rows (see ReaderContext.rows). */
export interface RowSink {
  /**
   * One line (`text`, without its line end) and its columns; `secs`/`nanos`: the UTC time of each
   * event in MACB order (NaN seconds: no event), `events` how many there are.
   */
  row(text: string, offset: number, line: BodyLine, secs: Float64Array, nanos: Float64Array, events: number): void;
}

/** Receives the input's lines: `text` without the `\n` (a `\r` before it is kept), `offset` = byte offset of the line. */
export interface LineConsumer {
  line(text: string, offset: number): void;
  end(): void;
}

export interface Reader {
  format: InputFormat;
  /** The `kind` of every event it makes (`host.bodyfile`, `plaso.l2tcsv`, ...). */
  kind: string;
  /** Human name, used in warnings. */
  artifact: string;
  /** Whether the first non-blank lines of an input look like this format. */
  detect(lines: readonly string[]): boolean;
  open(ctx: ReaderContext): LineConsumer;
}

/** An event this tool extracted or merged (its parser chain is ours): attributed already, never again. */
export const ourOwn = (parser: string | undefined): boolean => parser !== undefined && parser.startsWith('docker_timeline/');

export const chomp = (s: string): string => (s.endsWith('\r') ? s.slice(0, -1) : s);

export interface EventSpec {
  timeNs: bigint;
  timestampDesc: string;
  message: string;
  source: string;
  sourcetype: string;
  dataType: string;
  parser: string;
  inode?: string | null;
  fields: Record<string, FieldValue>;
}

/** An event read from a merged input: its evidence is the input file (folder + name) and the byte offset of its line. */
export function mergedEvent(ctx: ReaderContext, kind: string, offset: number, s: EventSpec): TimelineEvent {
  const e: TimelineEvent = {
    timeNs: s.timeNs, timestampDesc: s.timestampDesc, kind, message: s.message,
    source: s.source, sourcetype: s.sourcetype, dataType: s.dataType, parser: s.parser,
    evidenceSource: ctx.dir, evidenceKind: 'OS', evidence: ctx.name, offset, fields: s.fields,
  };
  if (s.inode) e.inode = s.inode;
  return e;
}

/**
 * Keys the sinks write themselves (jsonl, Timesketch, L2T extra): a field of that name would be lost
 * or overwritten, so an input's own value is kept as `original_<key>`.
 */
export const RESERVED_KEYS = new Set<string>([...JSONL_KEYS, ...TIMESKETCH_FIXED, 'time', 'time_ns']);

/** The attribution keys a TimelineEvent holds as properties rather than fields. */
const EVENT_PROPS = { container_id: 'containerId', container_name: 'containerName', image_id: 'imageId', stream: 'stream', inode: 'inode' } as const;

/** A JSON value as a field value: objects and arrays become their JSON text. */
export function fieldValue(v: unknown): FieldValue | undefined {
  if (v === undefined) return undefined;
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  return JSON.stringify(v);
}

/**
 * Copy the keys of an input record that the reader did not use into the event: container id, name,
 * image, stream and inode onto the event itself, reserved names as `original_<key>`, the rest as
 * fields (JSON objects as text). Empty strings and nulls are left out. When the record already has
 * `original_<key>` (a merged timeline merged again), that one is kept: it names the real artifact.
 */
export function addRest(e: TimelineEvent, rec: Record<string, unknown>, used: ReadonlySet<string>): void {
  for (const [k, raw] of Object.entries(rec)) {
    if (used.has(k) || k === '__proto__') continue;
    const v = fieldValue(raw);
    if (v === undefined || v === null || v === '') continue;
    const prop = Object.hasOwn(EVENT_PROPS, k) ? EVENT_PROPS[k as keyof typeof EVENT_PROPS] : null;
    if (prop && e[prop] === undefined) {
      e[prop] = String(v);
      continue;
    }
    const key = RESERVED_KEYS.has(k) || prop ? `original_${k}` : k;
    // an input that was itself merged holds `original_<k>` already: the deeper original wins
    if (key !== k && Object.hasOwn(rec, key)) continue;
    e.fields[key] = v;
  }
}
