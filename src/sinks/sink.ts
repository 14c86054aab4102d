import type { TimelineEvent } from '../events/event.js';
import type { RawLine } from '../events/raw-line.js';
import type { LineShape } from '../extractors/json-file-line.js';

export interface SinkInfo {
  /** Every field name that occurs in `fields` of any event (known before output starts, thanks to the sort). */
  fieldNames: string[];
}

/** One output format. Text in, text out: the writer does the I/O. */
export interface Sink {
  header(info: SinkInfo): string;
  /** Text for one event (may hold events back, e.g. to merge L2T MACB lines). */
  write(e: TimelineEvent): string;
  /** What is still held back. */
  end(): string;
  /** A fast path that writes json-file log lines straight from their bytes, where the format has one. */
  rawLogs?(): RawLogFormat;
  /** A line made by that fast path: null to write its bytes as they are, else the text to write instead. */
  writeRaw?(r: RawLine): string | null;
}

/** Writes a json-file log line of Docker's exact shape (see json-file-line.ts) straight from its bytes. */
export interface RawLogFormat {
  /**
   * A template for the lines of one stream of one log, from an event the JSON path made of one of
   * them (its message starts with `prefix`, the text follows); null: those lines take the JSON path.
   */
  template(sample: TimelineEvent, prefix: string): unknown;
  /** Most bytes a line whose escaped text has `textBytes` bytes can take. */
  maxBytes(template: unknown, textBytes: number): number;
  /** The line's bytes into `dst` at `pos`; the position after them, or -1: this line takes the JSON path. */
  format(line: Buffer, s: LineShape, offset: number, template: unknown, dst: Buffer, pos: number): number;
  /** What a worker thread needs to make the same formatter (see rawLogsInWorker), if it can. */
  workerSpec?(): RawLogSpec;
}

/** A raw log formatter described for a worker thread. */
export type RawLogSpec = { sink: 'l2tcsv'; zone: string; hostname: string | null } | { sink: 'jsonl' } | { sink: 'bodyfile' } | { sink: 'timesketch-jsonl'; zone: string }
  | { sink: 'timesketch-csv'; zone: string; guard: boolean; columns: string[] };

/**
 * All the event's keys in one flat map (used by jsonl and Timesketch). The attribution keys
 * (`container_id`, `container_name`, `image_id`, `stream`, `inode`) win over a field of the same name.
 * The map has no prototype, so a field called `constructor` or `__proto__` is kept as a plain key.
 */
export function flatFields(e: TimelineEvent): Record<string, string | number | boolean | null> {
  const out: Record<string, string | number | boolean | null> = Object.create(null) as Record<string, string | number | boolean | null>;
  if (e.containerId) out.container_id = e.containerId;
  if (e.containerName) out.container_name = e.containerName;
  if (e.imageId) out.image_id = e.imageId;
  if (e.stream) out.stream = e.stream;
  if (e.inode) out.inode = e.inode;
  for (const [k, v] of Object.entries(e.fields)) if (v !== null && v !== undefined && !Object.hasOwn(out, k)) out[k] = v;
  return out;
}
