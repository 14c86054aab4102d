import { parseRfc3339 } from '../../time/nanotime.js';
import { addRest, mergedEvent, type Reader } from '../reader.js';
import { firstObject, parseObjectLine, str } from './json-object.js';

const KIND = 'docker_timeline.jsonl';
const USED = new Set(['time', 'timestamp_desc', 'message', 'source', 'sourcetype', 'data_type', 'parser']);
const NANO = /^-?\d{4,}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/;

/**
 * This tool's own `jsonl` (`extract`/`merge --format jsonl`): `time` with 9 fraction digits is kept to
 * the nanosecond; `kind`, `evidence_source`, `evidence` and `offset` of the original event are kept as
 * `original_kind`, `original_evidence_source`, ... (the event's own evidence is now the jsonl file and
 * line); container, image, stream and inode stay what they were.
 */
export const jsonlReader: Reader = {
  format: 'jsonl',
  kind: KIND,
  artifact: 'docker-timeline jsonl',
  detect(lines) {
    const o = firstObject(lines);
    return o !== null && typeof o.time === 'string' && NANO.test(o.time) && 'kind' in o && 'evidence_source' in o;
  },
  open(ctx) {
    return {
      line(raw, offset) {
        const o = parseObjectLine(raw);
        if (o === undefined) return;
        if (o === null) {
          ctx.warn('bad-json', offset, 'jsonl line is not a JSON object; skipped');
          return;
        }
        const time = str(o.time);
        const t = time && NANO.test(time) ? parseRfc3339(time) : null;
        if (!t) {
          ctx.warn('bad-time', offset, `jsonl time ${JSON.stringify(o.time)?.slice(0, 40)} is not RFC 3339 with 9 fraction digits; skipped`);
          return;
        }
        const desc = str(o.timestamp_desc);
        if (!desc) {
          ctx.warn('malformed', offset, 'jsonl line without timestamp_desc; skipped');
          return;
        }
        const e = mergedEvent(ctx, KIND, offset, {
          timeNs: t.ns, timestampDesc: desc, message: str(o.message) ?? '',
          source: str(o.source) ?? '', sourcetype: str(o.sourcetype) ?? '', dataType: str(o.data_type) ?? '',
          parser: str(o.parser) ?? '', fields: {},
        });
        addRest(e, o, USED);
        ctx.emit(e, null);
      },
      end() {},
    };
  },
};
