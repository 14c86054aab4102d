import type { LogLineRecord } from './json-file-log.js';
import type { Context } from './context.js';
import type { FieldValue, TimelineEvent } from '../events/event.js';

/**
 * Time map of a log message (json-file and local driver alike):
 *   time / time_nano -> container.log `Content Modification Time` (plaso docker:container:log:entry):
 *   the moment dockerd read the bytes from the container's pipe (not when the program wrote them).
 *
 * This runs once per log line, so the event is built directly (no generator, no spread).
 */
export function logLineEvents(r: LogLineRecord, ctx: Context): TimelineEvent[] {
  const fields: Record<string, FieldValue> = { log_driver: r.driver };
  if (r.timeRaw !== null) fields.time_raw = r.timeRaw;
  if (r.chunks > 1) fields.partial_chunks = r.chunks;
  if (r.unterminated) fields.unterminated = true;
  if (r.compressed) fields.offset_in = 'decompressed stream';
  if (r.rotation) fields.rotation = r.rotation;
  if (r.attrs) for (const k in r.attrs) fields[`attr_${k}`] = r.attrs[k]!;
  const c = ctx.containers.get(r.containerId);
  const e: TimelineEvent = {
    timeNs: r.timeNs,
    timestampDesc: 'Content Modification Time',
    kind: 'container.log',
    message: logMessagePrefix(c?.name ?? r.containerId.slice(0, 12), r.stream) + r.text,
    source: 'DOCKER',
    sourcetype: 'Docker Container Log',
    dataType: 'docker:container:log:entry',
    parser: r.driver === 'local' ? 'docker_timeline/local_log' : 'docker_timeline/json_file_log',
    evidenceSource: ctx.evidenceSource,
    evidenceKind: ctx.evidenceKind,
    evidence: r.evidence,
    offset: r.offset,
    containerId: r.containerId,
    fields,
  };
  if (c?.name) e.containerName = c.name;
  if (c?.imageId) e.imageId = c.imageId;
  if (r.stream) e.stream = r.stream;
  return [e];
}

/** A log event's message is this, then the text. */
export function logMessagePrefix(label: string, stream: string): string {
  return `[${label}] ${stream}: `;
}
