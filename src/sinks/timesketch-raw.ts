import type { TimelineEvent } from '../events/event.js';
import type { LineShape } from '../extractors/json-file-line.js';
import type { ZoneRenderer } from '../time/zone.js';
import type { RawLogFormat, RawLogSpec } from './sink.js';
import { jsonlText, MARK_NS, MARK_OFFSET, MARK_RAW, MARK_TEXT, TEMPLATE_FIELDS } from './jsonl-raw.js';
import { canonicalTime, putDigits } from './json-text.js';
import { timesketchDatetime, timesketchJson, timesketchObject } from './timesketch.js';

/** `datetime` of the last second written: its text up to the fraction, and its zone offset. */
export interface DatetimeCache {
  second: number;
  dateHead: Buffer;
  dateZone: Buffer;
}

/** The line's `datetime` as timesketchDatetime writes it, rendered once per second. */
export function putDatetime(c: DatetimeCache, zone: ZoneRenderer, s: LineShape, dst: Buffer, p: number): number {
  if (s.seconds !== c.second) {
    const dt = timesketchDatetime(BigInt(s.seconds) * 1_000_000_000n, zone);
    const dot = dt.indexOf('.', 19);
    c.dateHead = Buffer.from(dt.slice(0, dot + 1));
    c.dateZone = Buffer.from(dt.slice(dot + 7));
    c.second = s.seconds;
  }
  dst.set(c.dateHead, p);
  p += c.dateHead.length;
  const micros = String(Math.floor(s.nanos / 1000));
  for (let z = micros.length; z < 6; z++) dst[p++] = 0x30;
  p = putDigits(dst, p, micros);
  dst.set(c.dateZone, p);
  return p + c.dateZone.length;
}

/** The constant pieces of a log line's Timesketch JSON text, between the parts that change from line to line. */
interface TimesketchTemplate extends DatetimeCache {
  /** `{"message":"[web] stdout: ` */
  head: Buffer;
  /** `","datetime":"` */
  toDatetime: Buffer;
  /** `","timestamp":` */
  toTimestamp: Buffer;
  /** `,"timestamp_desc":...,"time_ns":"` */
  toTimeNs: Buffer;
  /** `",...,"offset":` */
  toOffset: Buffer;
  /** `,...,"time_raw":"` */
  toRaw: Buffer;
  /** `"}` and the line feed */
  tail: Buffer;
  fixed: number;
}

const MARK_TIME_NS = '1970-01-01T00:00:00.000000001Z';

/**
 * The timesketch-jsonl fast path for a json-file log line of Docker's exact shape, as JsonlRawLogs
 * does for jsonl: everything but the text, `datetime` (rendered once per second in the output zone,
 * by the sink's own rule), `timestamp`, `time_ns`, the offset and the raw time comes from a
 * template line; a test holds every byte to the JSON path's.
 */
export class TimesketchJsonlRawLogs implements RawLogFormat {
  constructor(private readonly zone: ZoneRenderer) {}

  template(sample: TimelineEvent, prefix: string): TimesketchTemplate | null {
    if (sample.kind !== 'container.log' || !sample.message.startsWith(prefix) || typeof sample.fields.time_raw !== 'string') return null;
    for (const k in sample.fields) if (!TEMPLATE_FIELDS.has(k)) return null;
    const e: TimelineEvent = { ...sample, timeNs: MARK_NS, offset: MARK_OFFSET, message: prefix + MARK_TEXT, fields: { ...sample.fields, time_raw: MARK_RAW } };
    const line = timesketchJson(timesketchObject(e, this.zone));
    const text = JSON.stringify(MARK_TEXT).slice(1, -1);
    const find = (m: string): number => {
      const k = line.indexOf(m);
      return k < 0 || line.indexOf(m, k + 1) >= 0 ? -1 : k;
    };
    const iText = find(`${text}","datetime":"`);
    const iTimeNs = find(`"time_ns":"${MARK_TIME_NS}"`);
    const iOffset = find(`"offset":${MARK_OFFSET},`);
    const iRaw = find(`${JSON.stringify(MARK_RAW).slice(1, -1)}"`);
    if (iText < 0 || iTimeNs < 0 || iOffset < 0 || iRaw < 0) return null;
    const dtStart = iText + text.length + 14;
    const dtEnd = line.indexOf('"', dtStart);
    const tsStart = dtEnd + 14;
    let tsEnd = tsStart;
    while (tsEnd < line.length && /[-0-9]/.test(line[tsEnd]!)) tsEnd++;
    if (!(tsEnd < iTimeNs && iTimeNs < iOffset && iOffset < iRaw) || line.slice(dtEnd, tsStart) !== '","timestamp":') return null;
    const b = (x: string): Buffer => Buffer.from(x);
    const t: TimesketchTemplate = {
      head: b(line.slice(0, iText)),
      toDatetime: b(line.slice(iText + text.length, dtStart)),
      toTimestamp: b(line.slice(dtEnd, tsStart)),
      toTimeNs: b(line.slice(tsEnd, iTimeNs + 11)),
      toOffset: b(line.slice(iTimeNs + 11 + MARK_TIME_NS.length, iOffset + 9)),
      toRaw: b(line.slice(iOffset + 9 + String(MARK_OFFSET).length, iRaw)),
      tail: b(line.slice(iRaw + 6) + '\n'),
      fixed: 0, second: NaN, dateHead: Buffer.alloc(0), dateZone: Buffer.alloc(0),
    };
    t.fixed = t.head.length + t.toDatetime.length + t.toTimestamp.length + t.toTimeNs.length + t.toOffset.length + t.toRaw.length + t.tail.length;
    return t;
  }

  workerSpec(): RawLogSpec {
    return { sink: 'timesketch-jsonl', zone: this.zone.zoneName };
  }

  maxBytes(template: unknown, textBytes: number): number {
    // datetime (at most 40), timestamp (21), time_ns (30), offset (16), raw time (35), the text (never grows)
    return (template as TimesketchTemplate).fixed + textBytes + 160;
  }

  format(line: Buffer, s: LineShape, offset: number, template: unknown, dst: Buffer, pos: number): number {
    const t = template as TimesketchTemplate;
    dst.set(t.head, pos);
    let p = jsonlText(line, s.textStart, s.textEnd, dst, pos + t.head.length);
    if (p < 0) return -1;
    dst.set(t.toDatetime, p);
    p = putDatetime(t, this.zone, s, dst, p + t.toDatetime.length);
    const micros = Math.floor(s.nanos / 1000);
    dst.set(t.toTimestamp, p);
    // microseconds since 1970, exact (a double holds them exactly within 285 years of 1970)
    p = putDigits(dst, p + t.toTimestamp.length, Math.abs(s.seconds) < 9e9 ? s.seconds * 1_000_000 + micros : BigInt(s.seconds) * 1_000_000n + BigInt(micros));
    dst.set(t.toTimeNs, p);
    p = canonicalTime(line, s, dst, p + t.toTimeNs.length);
    dst.set(t.toOffset, p);
    p = putDigits(dst, p + t.toOffset.length, offset);
    dst.set(t.toRaw, p);
    p += t.toRaw.length;
    for (let i = s.timeStart; i < s.timeEnd; i++) dst[p++] = line[i]!;
    dst.set(t.tail, p);
    return p + t.tail.length;
  }
}
