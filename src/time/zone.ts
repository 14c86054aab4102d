import { DateTime, IANAZone } from 'luxon';
import { nsToSeconds, utcParts } from './nanotime.js';

export interface RenderedSecond {
  /** `MM/DD/YYYY` */
  date: string;
  /** `HH:MM:SS` */
  time: string;
  /** `UTC`, or the zone's abbreviation at that instant (`CET`, `CEST`). */
  zone: string;
  /** ISO 8601 with the offset, whole seconds: `2026-11-29T06:46:55+01:00`. */
  iso: string;
  /** Offset from UTC in minutes at that instant. */
  offsetMinutes: number;
}

const p2 = (n: number): string => (n < 10 ? '0' : '') + n;

/** Renders instants in one output zone (luxon for named zones; a fast path for UTC), cached per second. */
export class ZoneRenderer {
  private lastSecond: bigint | null = null;
  private last: RenderedSecond | null = null;
  readonly utc: boolean;

  constructor(readonly zoneName: string) {
    this.utc = /^(utc|z|etc\/utc|gmt)$/i.test(zoneName);
    if (!this.utc && !IANAZone.isValidZone(zoneName)) throw new Error(`unknown time zone: ${zoneName}`);
  }

  render(ns: bigint): RenderedSecond {
    const sec = nsToSeconds(ns);
    if (sec === this.lastSecond && this.last) return this.last;
    let r: RenderedSecond;
    if (this.utc) {
      const t = utcParts(ns);
      const y = String(t.year).padStart(4, '0');
      r = {
        date: `${p2(t.month)}/${p2(t.day)}/${y}`, time: `${p2(t.hour)}:${p2(t.minute)}:${p2(t.second)}`, zone: 'UTC',
        iso: `${y}-${p2(t.month)}-${p2(t.day)}T${p2(t.hour)}:${p2(t.minute)}:${p2(t.second)}+00:00`, offsetMinutes: 0,
      };
    } else {
      const dt = DateTime.fromMillis(Number(sec) * 1000, { zone: this.zoneName });
      r = {
        date: dt.toFormat('MM/dd/yyyy'), time: dt.toFormat('HH:mm:ss'), zone: dt.offsetNameShort ?? dt.toFormat('ZZ'),
        iso: dt.toISO({ suppressMilliseconds: true, includeOffset: true }) ?? '', offsetMinutes: dt.offset,
      };
    }
    this.lastSecond = sec;
    this.last = r;
    return r;
  }
}
