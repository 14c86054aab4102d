import { NS_PER_MICRO, floorDiv, parseRfc3339 } from '../../time/nanotime.js';
import { addRest, mergedEvent, ourOwn, type ReaderContext } from '../reader.js';
import { parseIsoInZone } from '../times.js';
import { pathOfDisplayName } from './l2tcsv.js';
import { str } from './json-object.js';

/** Keys that become the event itself; `datetime`, `timestamp`, `time_ns` stay as `original_*` fields (the raw time). */
const USED = new Set(['message', 'timestamp_desc', 'source_short', 'source_long', 'data_type', 'parser']);
const NANO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/;

/**
 * One Timesketch row (CSV or JSONL; Timesketch's mandatory `message`, `datetime`, `timestamp_desc`,
 * and `timestamp` in microseconds). The time: `time_ns` where this tool wrote it (nanoseconds), else
 * `datetime` (any fraction; no offset = `--input-timezone`), else `timestamp`. A `timestamp` that
 * disagrees with `datetime` by more than a microsecond is a warning (`datetime` wins, as in Timesketch's
 * CSV import).
 */
export function timesketchRow(ctx: ReaderContext, kind: string, offset: number, rec: Record<string, unknown>): void {
  const message = rec.message;
  const desc = str(rec.timestamp_desc);
  if (message === undefined || message === null || !desc) {
    ctx.warn('malformed', offset, `Timesketch row without ${message === undefined || message === null ? 'message' : 'timestamp_desc'}; skipped`);
    return;
  }
  const dtText = rec.datetime === undefined || rec.datetime === null ? '' : String(rec.datetime).trim();
  const tsText = rec.timestamp === undefined || rec.timestamp === null ? '' : String(rec.timestamp).trim();
  const nsText = str(rec.time_ns)?.trim() ?? '';
  let ns: bigint | null = null;
  if (NANO.test(nsText)) ns = parseRfc3339(nsText)?.ns ?? null;
  const fromDt = dtText ? parseIsoInZone(dtText, ctx.zone) : null;
  const fromTs = /^-?\d+$/.test(tsText) ? BigInt(tsText) : null;
  if (dtText && fromDt === null && fromTs === null && ns === null) {
    ctx.warn('bad-time', offset, `datetime ${JSON.stringify(dtText.slice(0, 40))} is not ISO 8601 and there is no timestamp; skipped`);
    return;
  }
  ns ??= fromDt ?? (fromTs !== null ? fromTs * NS_PER_MICRO : null);
  if (ns === null) {
    ctx.warn('bad-time', offset, 'Timesketch row without datetime or timestamp; skipped');
    return;
  }
  if (fromTs !== null && fromDt !== null) {
    const diff = floorDiv(fromDt, NS_PER_MICRO) - fromTs;
    if (diff > 1n || diff < -1n) ctx.warn('time-mismatch', offset, `timestamp ${tsText} µs and datetime ${dtText} differ by ${diff} µs; datetime used`);
  }
  const e = mergedEvent(ctx, kind, offset, {
    timeNs: ns, timestampDesc: desc, message: String(message),
    source: str(rec.source_short) ?? '', sourcetype: str(rec.source_long) ?? '', dataType: str(rec.data_type) ?? '',
    parser: str(rec.parser) ?? '', fields: {},
  });
  addRest(e, rec, USED);
  const file = str(rec.filename) ?? str(rec.display_name);
  ctx.emit(e, file && !ourOwn(str(rec.parser)) ? pathOfDisplayName(file) : null);
}
