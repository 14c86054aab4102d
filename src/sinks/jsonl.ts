import type { RawLogFormat, Sink } from './sink.js';
import { JsonlRawLogs } from './jsonl-raw.js';
import type { TimelineEvent } from '../events/event.js';
import { formatUtcNs } from '../time/nanotime.js';
import { flatFields } from './sink.js';

/** The reserved keys of a jsonl event; fields of the same name are not allowed to overwrite them. */
export const JSONL_KEYS = [
  'time', 'timestamp_desc', 'kind', 'message', 'source', 'sourcetype', 'data_type', 'parser',
  'evidence_source', 'evidence', 'offset', 'container_id', 'container_name', 'image_id', 'stream', 'inode',
] as const;

/** Full-fidelity JSON lines: one object per event, time as UTC RFC 3339 with 9 fraction digits (schemas/event.schema.json). */
export function jsonlObject(e: TimelineEvent): Record<string, unknown> {
  const o: Record<string, unknown> = Object.assign(Object.create(null) as Record<string, unknown>, {
    time: formatUtcNs(e.timeNs),
    timestamp_desc: e.timestampDesc,
    kind: e.kind,
    message: e.message,
    source: e.source,
    sourcetype: e.sourcetype,
    data_type: e.dataType,
    parser: e.parser,
    evidence_source: e.evidenceSource,
    evidence: e.evidence,
    offset: e.offset,
  });
  const flat = flatFields(e);
  for (const [k, v] of Object.entries(flat)) if (!Object.hasOwn(o, k)) o[k] = v;
  return o;
}

const BASE_KEYS = new Set<string>(JSONL_KEYS.slice(0, 11));

/**
 * JSON text of repeated strings (descriptions, paths, ids), cached: the same string instances come
 * back on every event of an artifact, and their hash is cached by V8, so a lookup is cheap.
 */
export class QuoteCache {
  private readonly map = new Map<string, string>();
  constructor(private readonly max = 20_000) {}

  get(s: string): string {
    let q = this.map.get(s);
    if (q === undefined) {
      q = JSON.stringify(s);
      if (this.map.size >= this.max) this.map.clear();
      this.map.set(s, q);
    }
    return q;
  }
}

/**
 * Writes exactly `JSON.stringify(jsonlObject(e))` (a test holds it to that), but builds the text
 * directly: most of a line repeats from event to event, and building an object per event costs more
 * than the formatting itself.
 */
export function jsonlLine(e: TimelineEvent, q: QuoteCache): string {
  let s = `{"time":"${formatUtcNs(e.timeNs)}","timestamp_desc":${q.get(e.timestampDesc)},"kind":${q.get(e.kind)},"message":${JSON.stringify(e.message)}`
    + `,"source":${q.get(e.source)},"sourcetype":${q.get(e.sourcetype)},"data_type":${q.get(e.dataType)},"parser":${q.get(e.parser)}`
    + `,"evidence_source":${q.get(e.evidenceSource)},"evidence":${q.get(e.evidence)},"offset":${JSON.stringify(e.offset)}`;
  if (e.containerId) s += `,"container_id":${q.get(e.containerId)}`;
  if (e.containerName) s += `,"container_name":${q.get(e.containerName)}`;
  if (e.imageId) s += `,"image_id":${q.get(e.imageId)}`;
  if (e.stream) s += `,"stream":${q.get(e.stream)}`;
  if (e.inode) s += `,"inode":${q.get(e.inode)}`;
  const f = e.fields;
  for (const k of Object.keys(f)) {
    const v = f[k];
    if (v === null || v === undefined || BASE_KEYS.has(k)) continue;
    if ((k === 'container_id' && e.containerId) || (k === 'container_name' && e.containerName) || (k === 'image_id' && e.imageId)
      || (k === 'stream' && e.stream) || (k === 'inode' && e.inode)) continue;
    s += `,${q.get(k)}:${JSON.stringify(v)}`;
  }
  return s + '}';
}

export class JsonlSink implements Sink {
  private readonly quotes = new QuoteCache();

  /** The fast path for large json-file logs (see JsonlRawLogs). */
  rawLogs(): RawLogFormat {
    return new JsonlRawLogs();
  }

  /** A line made by that fast path goes out as its bytes: nothing is held back. */
  writeRaw(): string | null {
    return null;
  }

  header(): string {
    return '';
  }

  write(e: TimelineEvent): string {
    return jsonlLine(e, this.quotes) + '\n';
  }

  end(): string {
    return '';
  }
}
