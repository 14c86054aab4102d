import type { RawLogFormat, Sink, SinkInfo } from './sink.js';
import { TimesketchJsonlRawLogs } from './timesketch-raw.js';
import { TimesketchCsvRawLogs } from './timesketch-csv-raw.js';
import type { TimelineEvent } from '../events/event.js';
import { flatFields } from './sink.js';
import { displayName } from './l2tcsv.js';
import { formatUtcNs, nsToMicros, floorDiv, NS_PER_SECOND } from '../time/nanotime.js';
import { ZoneRenderer } from '../time/zone.js';
import { csvCell } from './csv-cell.js';

/** Timesketch's three required keys first, then plaso-like keys, then every event field. */
export const TIMESKETCH_FIXED = [
  'message', 'datetime', 'timestamp', 'timestamp_desc', 'time_ns', 'kind', 'source_short', 'source_long', 'data_type',
  'parser', 'display_name', 'evidence_source', 'evidence', 'offset', 'container_id', 'container_name', 'image_id', 'stream', 'inode',
] as const;

const UTC = new ZoneRenderer('UTC');

export type TimesketchValue = string | number | bigint | boolean | null;

/**
 * The Timesketch view of an event: `datetime` ISO 8601 with the offset of the output zone and 6 fraction
 * digits (Timesketch keeps microseconds), `timestamp` in microseconds (truncated, as plaso does), and the
 * full nanosecond time in `time_ns` so nothing is lost. `timestamp` is a bigint: microseconds of a time
 * more than 285 years from 1970 do not fit a double exactly (9999-12-31T23:59:59.999999 would round up
 * to the year 10000), so they are written as exact integer text.
 */
export function timesketchObject(e: TimelineEvent, zone: ZoneRenderer): Record<string, TimesketchValue> {
  const o: Record<string, TimesketchValue> = Object.assign(Object.create(null) as Record<string, TimesketchValue>, {
    message: e.message,
    datetime: timesketchDatetime(e.timeNs, zone),
    timestamp: nsToMicros(e.timeNs),
    timestamp_desc: e.timestampDesc,
    time_ns: formatUtcNs(e.timeNs),
    kind: e.kind,
    source_short: e.source,
    source_long: e.sourcetype,
    data_type: e.dataType,
    parser: e.parser,
    display_name: displayName(e),
    evidence_source: e.evidenceSource,
    evidence: e.evidence,
    offset: e.offset,
  });
  for (const [k, v] of Object.entries(flatFields(e))) if (!Object.hasOwn(o, k)) o[k] = v;
  return o;
}

/** `datetime`: ISO 8601 in the output zone with 6 fraction digits (see timesketchObject). */
export function timesketchDatetime(ns: bigint, zone: ZoneRenderer): string {
  let r = zone.render(ns);
  // ISO 8601 offsets are whole minutes: a local mean time (Berlin +00:53:28 before 1893, Monrovia -00:44:30
  // until 1972) would be written as +00:53 and read back 28 s off; a local date beyond 9999 (or before 0000)
  // would need an expanded year. Such instants are written in UTC instead: the instant stays exact.
  if (!Number.isInteger(r.offsetMinutes) || !/^\d{4}-/.test(r.iso)) r = UTC.render(ns);
  const micros = Number(floorDiv(ns - floorDiv(ns, NS_PER_SECOND) * NS_PER_SECOND, 1000n));
  return r.iso.replace(/([+-]\d\d:\d\d|Z)$/, `.${String(micros).padStart(6, '0')}$1`);
}

/** JSON text of a Timesketch object, `timestamp` (third key) written as exact integer digits. */
export function timesketchJson(o: Record<string, TimesketchValue>): string {
  const { message, datetime, timestamp, ...rest } = o;
  const tail = JSON.stringify(rest);
  return `{"message":${JSON.stringify(message)},"datetime":${JSON.stringify(datetime)},"timestamp":${String(timestamp)}${tail === '{}' ? '}' : `,${tail.slice(1)}`}`;
}

export class TimesketchJsonlSink implements Sink {
  private readonly zone: ZoneRenderer;
  constructor(zone: string) {
    this.zone = new ZoneRenderer(zone);
  }
  /** The fast path for large json-file logs (see TimesketchJsonlRawLogs). */
  rawLogs(): RawLogFormat {
    return new TimesketchJsonlRawLogs(this.zone);
  }
  /** A line made by that fast path goes out as its bytes: nothing is held back. */
  writeRaw(): string | null {
    return null;
  }
  header(): string {
    return '';
  }
  write(e: TimelineEvent): string {
    return timesketchJson(timesketchObject(e, this.zone)) + '\n';
  }
  end(): string {
    return '';
  }
}

/** Timesketch CSV: a header row, then one quoted row per event; cells guarded against formula injection unless disabled. */
export class TimesketchCsvSink implements Sink {
  private columns: string[] = [];
  private readonly zone: ZoneRenderer;
  constructor(zone: string, private readonly guard: boolean) {
    this.zone = new ZoneRenderer(zone);
  }
  /** The fast path for large json-file logs (see TimesketchCsvRawLogs); the columns are known once the header is written. */
  rawLogs(): RawLogFormat {
    return new TimesketchCsvRawLogs(this.zone, this.guard, this.columns, (e) => this.write(e));
  }
  /** A line made by that fast path goes out as its bytes: nothing is held back. */
  writeRaw(): string | null {
    return null;
  }
  header(info: SinkInfo): string {
    const fixed = new Set<string>(TIMESKETCH_FIXED);
    this.columns = [...TIMESKETCH_FIXED, ...info.fieldNames.filter((f) => !fixed.has(f)).sort()];
    return this.columns.map((c) => csvCell(c, false)).join(',') + '\r\n';
  }
  write(e: TimelineEvent): string {
    const o = timesketchObject(e, this.zone);
    return this.columns.map((c) => {
      const v = o[c];
      return v === undefined || v === null ? '' : csvCell(String(v), this.guard && typeof v === 'string');
    }).join(',') + '\r\n';
  }
  end(): string {
    return '';
  }
}
