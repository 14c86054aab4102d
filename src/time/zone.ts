import { DateTime, IANAZone } from 'luxon';
import { nsToSeconds, pad, utcParts } from './nanotime.js';

export interface RenderedSecond {
  /** `MM/DD/YYYY` */
  date: string;
  /** `HH:MM:SS` */
  time: string;
  /** `UTC`, or the zone's abbreviation at that instant (`CET`, `CEST`); `GMT+9` where Intl knows none. */
  zone: string;
  /** ISO 8601 with the offset, whole seconds: `2026-11-29T06:46:55+01:00`. */
  iso: string;
  /** Offset from UTC in minutes at that instant. */
  offsetMinutes: number;
}

const p2 = (n: number): string => (n < 10 ? '0' : '') + n;

/**
 * Locales asked for a zone abbreviation, in order. ICU only has an abbreviation where a locale
 * "commonly uses" it: en-US knows the North American ones (`EST`, `PDT`), en-GB the European ones
 * (`CET`, `CEST`, `BST`), en-ZA the African ones (`SAST`, `EAT`, `WAT`); elsewhere ICU answers `GMT+9`.
 */
export const ABBREVIATION_LOCALES = ['en-US', 'en-GB', 'en-ZA'] as const;

/** ICU's abbreviation-less form: `GMT+1`, `GMT-3`, `GMT+5:30` (`GMT` alone is the real abbreviation). */
const GMT_OFFSET_FORM = /^(GMT|UTC)[+\-\u2212]/;

/**
 * The zone abbreviation at an instant as pytz/tzdata would write it (`CET`, `CEST`, `EST`, `EDT`):
 * the first of ABBREVIATION_LOCALES that gives something other than a `GMT±h` form, else that form
 * (ASCII minus). Independent of the process locale (`LANG=de_DE` would give `MEZ` otherwise).
 */
export function zoneAbbreviation(formatters: readonly Intl.DateTimeFormat[], ms: number): string {
  let fallback = '';
  for (const f of formatters) {
    const name = (f.formatToParts(ms).find((p) => p.type === 'timeZoneName')?.value ?? '').replace(/\u2212/g, '-');
    if (name && !GMT_OFFSET_FORM.test(name)) return name;
    if (!fallback) fallback = name;
  }
  return fallback;
}

/** Renders instants in one output zone (luxon for named zones; a fast path for UTC), cached per second. */
export class ZoneRenderer {
  private lastSecond: bigint | null = null;
  private last: RenderedSecond | null = null;
  private readonly abbreviators: Intl.DateTimeFormat[] = [];
  readonly utc: boolean;

  constructor(readonly zoneName: string) {
    this.utc = /^(utc|z|etc\/utc|gmt)$/i.test(zoneName);
    if (!this.utc && !IANAZone.isValidZone(zoneName)) throw new Error(`unknown time zone: ${zoneName}`);
    if (!this.utc) {
      for (const l of ABBREVIATION_LOCALES) this.abbreviators.push(new Intl.DateTimeFormat(l, { timeZone: zoneName, timeZoneName: 'short' }));
    }
  }

  render(ns: bigint): RenderedSecond {
    const sec = nsToSeconds(ns);
    if (sec === this.lastSecond && this.last) return this.last;
    let r: RenderedSecond;
    if (this.utc) {
      const t = utcParts(ns);
      const y = pad(t.year, 4);
      r = {
        date: `${p2(t.month)}/${p2(t.day)}/${y}`, time: `${p2(t.hour)}:${p2(t.minute)}:${p2(t.second)}`, zone: 'UTC',
        iso: `${y}-${p2(t.month)}-${p2(t.day)}T${p2(t.hour)}:${p2(t.minute)}:${p2(t.second)}+00:00`, offsetMinutes: 0,
      };
    } else {
      // A fixed locale, digits and calendar: luxon would otherwise follow the process locale
      // (LANG=ar_EG gives Arabic-Indic digits, an Islamic calendar locale other years).
      const ms = Number(sec) * 1000;
      const dt = DateTime.fromMillis(ms, { zone: this.zoneName, locale: 'en-US', numberingSystem: 'latn', outputCalendar: 'gregory' });
      r = {
        date: dt.toFormat('MM/dd/yyyy'), time: dt.toFormat('HH:mm:ss'), zone: zoneAbbreviation(this.abbreviators, ms) || dt.toFormat('ZZ'),
        iso: dt.toISO({ suppressMilliseconds: true, includeOffset: true }) ?? '', offsetMinutes: dt.offset,
      };
    }
    this.lastSecond = sec;
    this.last = r;
    return r;
  }
}
