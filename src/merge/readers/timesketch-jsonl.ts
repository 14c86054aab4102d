import type { Reader } from '../reader.js';
import { firstObject, parseObjectLine } from './json-object.js';
import { timesketchRow } from './timesketch-row.js';

const KIND = 'timesketch.jsonl';

/** Timesketch JSONL (and this tool's `timesketch-jsonl`): one object per line with `message`, `datetime`/`timestamp`, `timestamp_desc`. */
export const timesketchJsonlReader: Reader = {
  format: 'timesketch-jsonl',
  kind: KIND,
  artifact: 'Timesketch JSONL',
  detect(lines) {
    const o = firstObject(lines);
    return o !== null && 'message' in o && 'timestamp_desc' in o && ('datetime' in o || 'timestamp' in o);
  },
  open(ctx) {
    return {
      line(raw, offset) {
        const o = parseObjectLine(raw);
        if (o === undefined) return;
        if (o === null) ctx.warn('bad-json', offset, 'Timesketch JSONL line is not a JSON object; skipped');
        else timesketchRow(ctx, KIND, offset, o);
      },
      end() {},
    };
  },
};
