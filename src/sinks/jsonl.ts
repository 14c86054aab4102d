import type { Sink } from './sink.js';
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

export class JsonlSink implements Sink {
  header(): string {
    return '';
  }

  write(e: TimelineEvent): string {
    return JSON.stringify(jsonlObject(e)) + '\n';
  }

  end(): string {
    return '';
  }
}
