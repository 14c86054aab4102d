import type { TimelineEvent } from '../events/event.js';

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
}

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
