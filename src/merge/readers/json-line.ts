import { NS_PER_MICRO, NS_PER_SECOND, daysFromCivil, floorDiv } from '../../time/nanotime.js';
import { addRest, mergedEvent, ourOwn, type Reader } from '../reader.js';
import { pathOfDisplayName } from './l2tcsv.js';
import { firstObject, parseObjectLine, str } from './json-object.js';

const KIND = 'plaso.json_line';
/** Keys of the line that become the event itself (the rest are kept as fields). */
const USED = new Set(['timestamp', 'timestamp_desc', 'message', 'data_type', 'parser', 'source_short', 'source_long', '__container_type__', '__type__']);

/**
 * The exact time of plaso's serialized `date_time` (dfDateTime), read from the line's text so that
 * nanosecond values beyond 2^53 are not rounded by JSON.parse. Only zone-less classes plaso writes.
 */
export function dateTimeNs(line: string): bigint | null {
  const m = /"date_time"\s*:\s*(\{[^{}]*\})/.exec(line);
  if (!m) return null;
  const body = m[1]!;
  if (/"(time_zone_offset|is_local_time)"\s*:\s*(true|-?[1-9])/.test(body)) return null;
  const cls = /"__class_name__"\s*:\s*"([A-Za-z]+)"/.exec(body)?.[1];
  const ts = /"timestamp"\s*:\s*(-?\d+)\s*[,}]/.exec(body)?.[1];
  const tuple = /"time_elements_tuple"\s*:\s*\[([\d,\s-]+)\]/.exec(body)?.[1]?.split(',').map((x) => Number(x.trim()));
  switch (cls) {
    case 'PosixTimeInNanoseconds': return ts ? BigInt(ts) : null;
    case 'PosixTimeInMicroseconds': return ts ? BigInt(ts) * NS_PER_MICRO : null;
    case 'PosixTimeInMilliseconds': case 'JavaTime': return ts ? BigInt(ts) * 1_000_000n : null;
    case 'PosixTime': return ts ? BigInt(ts) * NS_PER_SECOND : null;
    case 'Filetime': return ts ? (BigInt(ts) - 116_444_736_000_000_000n) * 100n : null;
    case 'TimeElements': case 'TimeElementsInMilliseconds': case 'TimeElementsInMicroseconds': case 'TimeElementsInNanoseconds': {
      if (!tuple || tuple.length < 6 || tuple.some((n) => !Number.isInteger(n))) return null;
      const [y, mo, d, h, mi, s, frac = 0] = tuple as [number, number, number, number, number, number, number?];
      const scale = cls === 'TimeElementsInMilliseconds' ? 1_000_000n : cls === 'TimeElementsInMicroseconds' ? 1000n : 1n;
      const secs = BigInt(daysFromCivil(y, mo, d)) * 86400n + BigInt(h * 3600 + mi * 60 + s);
      return secs * NS_PER_SECOND + (cls === 'TimeElements' ? 0n : BigInt(frac) * scale);
    }
    default: return null;
  }
}

/**
 * plaso's `json_line` output (psort -o json_line): `timestamp` in microseconds (UTC), `timestamp_desc`,
 * `message`, `display_name`, `filename`, `inode`, the event data attributes and the serialized
 * `pathspec`/`date_time`. Where `date_time` holds a finer time that agrees with `timestamp` (e.g. a
 * bodyfile's nanoseconds), the finer time is used. Timestamp 0 is plaso's "Not a time": no event.
 */
export const jsonLineReader: Reader = {
  format: 'json_line',
  kind: KIND,
  artifact: 'plaso json_line',
  detect(lines) {
    const o = firstObject(lines);
    if (!o) return false;
    return o.__container_type__ === 'event' || (typeof o.timestamp === 'number' && 'timestamp_desc' in o && !('datetime' in o) && !('time' in o));
  },
  open(ctx) {
    return {
      line(raw, offset) {
        const o = parseObjectLine(raw);
        if (o === undefined) return;
        if (o === null) {
          ctx.warn('bad-json', offset, 'json_line line is not a JSON object; skipped');
          return;
        }
        const ts = o.timestamp;
        if (typeof ts !== 'number' || !Number.isInteger(ts)) {
          ctx.warn('bad-time', offset, `json_line timestamp ${JSON.stringify(ts)?.slice(0, 40)} is not integer microseconds; skipped`);
          return;
        }
        if (ts === 0 || o.timestamp_desc === 'Not a time') {
          ctx.untimed();
          return;
        }
        let ns = BigInt(ts) * NS_PER_MICRO;
        const fine = dateTimeNs(raw);
        if (fine !== null && floorDiv(fine, NS_PER_MICRO) === BigInt(ts)) ns = fine;
        const e = mergedEvent(ctx, KIND, offset, {
          timeNs: ns, timestampDesc: str(o.timestamp_desc) ?? 'Unknown Time', message: str(o.message) ?? '',
          source: str(o.source_short) ?? '', sourcetype: str(o.source_long) ?? '', dataType: str(o.data_type) ?? '',
          parser: str(o.parser) ?? '', fields: {},
        });
        addRest(e, o, USED);
        const display = str(o.display_name);
        ctx.emit(e, ourOwn(str(o.parser)) ? null : str(o.filename) ?? (display ? pathOfDisplayName(display) : null));
      },
      end() {},
    };
  },
};
