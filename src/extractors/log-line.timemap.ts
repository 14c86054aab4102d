import type { LogLineRecord } from './json-file-log.js';
import type { Context } from './context.js';
import type { TimelineEvent } from '../events/event.js';
import { makeEvent } from '../events/build.js';

/**
 * Time map of a log message (json-file and local driver alike):
 *   time / time_nano -> container.log `Content Modification Time` (plaso docker:container:log:entry):
 *   the moment dockerd read the bytes from the container's pipe (not when the program wrote them).
 */
export function* logLineEvents(r: LogLineRecord, ctx: Context): Iterable<TimelineEvent> {
  const fields: Record<string, string | number | boolean | undefined> = {
    log_driver: r.driver,
  };
  if (r.timeRaw !== null) fields.time_raw = r.timeRaw;
  if (r.chunks > 1) fields.partial_chunks = r.chunks;
  if (r.unterminated) fields.unterminated = true;
  if (r.compressed) fields.offset_in = 'decompressed stream';
  if (r.rotation) fields.rotation = r.rotation;
  if (r.attrs) for (const [k, v] of Object.entries(r.attrs)) fields[`attr_${k}`] = v;
  yield makeEvent(ctx, {
    timeNs: r.timeNs, timestampDesc: 'Content Modification Time', kind: 'container.log',
    message: `[${ctx.label(r.containerId)}] ${r.stream}: ${r.text}`,
    source: 'DOCKER', sourcetype: 'Docker Container Log', dataType: 'docker:container:log:entry',
    parser: r.driver === 'local' ? 'docker_timeline/local_log' : 'docker_timeline/json_file_log',
    evidence: r.evidence, offset: r.offset, containerId: r.containerId, stream: r.stream, fields,
  });
}
