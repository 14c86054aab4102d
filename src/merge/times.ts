import { IANAZone } from 'luxon';
import { daysFromCivil, NS_PER_SECOND, parseRfc3339 } from '../time/nanotime.js';

/**
 * The zone that merged inputs without a zone of their own are read in (`--input-timezone`): bodyfile
 * epoch values, mactime dates without `-y`, L2T date/time columns, Timesketch datetimes with no offset.
 */
export interface InputZone {
  name: string;
  utc: boolean;
  zone: IANAZone | null;
}

const UTC_NAMES = /^(utc|z|etc\/utc|gmt|etc\/gmt|uct|zulu)$/i;

/** Validate `--input-timezone`; throws on an unknown zone. */
export function inputZone(name: string | undefined): InputZone {
  if (!name || UTC_NAMES.test(name)) return { name: 'UTC', utc: true, zone: null };
  if (!IANAZone.isValidZone(name)) throw new Error(`unknown time zone: ${name}`);
  return { name, utc: false, zone: IANAZone.create(name) };
}

export interface LocalResult {
  /** UTC seconds since the epoch. */
  seconds: bigint;
  /** The zone's offset at that instant, minutes east of UTC. */
  offsetMinutes: number;
  /** The wall time occurs twice in the zone (the end of summer time); `seconds` is the one chosen. */
  ambiguous: boolean;
}

/** Seconds since the epoch of a wall-clock time read as if it were UTC (any year, integer arithmetic). */
export function naiveSeconds(year: number, month: number, day: number, hour: number, minute: number, second: number): bigint {
  return BigInt(daysFromCivil(year, month, day)) * 86400n + BigInt(hour * 3600 + minute * 60 + second);
}

/**
 * A wall-clock time (given as its naive epoch seconds) in `zone` → UTC seconds. Every offset the zone
 * has around that time is tried; a time in a summer-time gap has none (null), a time in the repeated
 * hour has two: `wantOffset` (from an L2T zone abbreviation) picks one, else the earlier instant.
 */
export function localToUtc(naive: bigint, zone: InputZone, wantOffset?: number): LocalResult | null {
  if (zone.utc || !zone.zone) return { seconds: naive, offsetMinutes: 0, ambiguous: false };
  const z = zone.zone;
  const ms = Number(naive) * 1000;
  const offsets = new Set<number>([z.offset(ms - 86_400_000), z.offset(ms), z.offset(ms + 86_400_000)]);
  const found: LocalResult[] = [];
  for (const o of offsets) {
    const utcMs = ms - o * 60_000;
    if (z.offset(utcMs) === o) found.push({ seconds: naive - BigInt(o * 60), offsetMinutes: o, ambiguous: false });
  }
  if (found.length === 0) return null;
  found.sort((a, b) => (a.seconds < b.seconds ? -1 : 1));
  const ambiguous = found.length > 1;
  const pick = (wantOffset !== undefined ? found.find((f) => f.offsetMinutes === wantOffset) : undefined) ?? found[0]!;
  return { ...pick, ambiguous };
}

/** `+04`, `-0330`, `+05:30`, `GMT+4`, `UTC-3`, `GMT+5:30` → minutes east of UTC (what pytz and ICU print where a zone has no abbreviation). */
export function numericOffset(tz: string): number | null {
  const m = /^(?:GMT|UTC)?([+-\u2212])(\d{1,2})(?::?(\d\d))?$/.exec(tz.trim());
  if (!m) return null;
  const h = Number(m[2]), mi = Number(m[3] ?? 0);
  if (h > 23 || mi > 59) return null;
  return (m[1] === '+' ? 1 : -1) * (h * 60 + mi);
}

/**
 * Zone abbreviations (as tzdata/pytz and ICU print them) that name one offset. Ambiguous ones
 * (`CST`: US Central or China; `IST`: India, Ireland or Israel; `AST`) are left out on purpose:
 * an L2T file that uses them needs `--input-timezone`.
 */
export const ABBREVIATIONS: Readonly<Record<string, number>> = {
  UTC: 0, UCT: 0, GMT: 0, Z: 0, WET: 0, WEST: 60, BST: 60, CET: 60, CEST: 120, MET: 60, MEST: 120,
  EET: 120, EEST: 180, MSK: 180, EST: -300, EDT: -240, CDT: -300, MST: -420, MDT: -360, PST: -480, PDT: -420,
  AKST: -540, AKDT: -480, HST: -600, HDT: -540, NST: -210, NDT: -150, ADT: -180, JST: 540, KST: 540, HKT: 480,
  AEST: 600, AEDT: 660, ACST: 570, ACDT: 630, AWST: 480, NZST: 720, NZDT: 780, SAST: 120, EAT: 180, WAT: 60,
  CAT: 120, WIB: 420, WITA: 480, WIT: 540, PKT: 300, IDT: 180, ChST: 600, SST: -660,
};

/** The offset an L2T `timezone` column names by itself (UTC, a numeric form, or a known abbreviation), else null. */
export function offsetOfZoneColumn(tz: string): number | null {
  const t = tz.trim();
  if (Object.hasOwn(ABBREVIATIONS, t)) return ABBREVIATIONS[t]!;
  return numericOffset(t);
}

/**
 * An ISO 8601 / RFC 3339 date-time as Timesketch and plaso write it (`T` or space, 0-9 fraction
 * digits, `Z`, `+00:00`, `+0000`, or no zone). A time with no zone is read in `zone`.
 * Returns UTC ns, or null when it is not such a time.
 */
export function parseIsoInZone(text: string, zone: InputZone): bigint | null {
  const t = text.trim();
  const m = /^(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:[.,](\d{1,9})\d*)?(Z|z|[+-]\d\d(?::?\d\d)?)?$/.exec(t);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  if (tz) {
    const norm = `${y}-${mo}-${d}T${h}:${mi}:${s}${frac ? `.${frac}` : ''}${tz.length === 3 ? `${tz}:00` : tz}`;
    return parseRfc3339(norm)?.ns ?? null;
  }
  const check = parseRfc3339(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
  if (!check) return null;
  const local = localToUtc(naiveSeconds(Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s)), zone);
  if (!local) return null;
  return local.seconds * NS_PER_SECOND + BigInt((frac ?? '').padEnd(9, '0') || '0');
}

/** `+01:00` for an offset in minutes. */
export function offsetText(minutes: number): string {
  const a = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

/**
 * An epoch value that was written as local time (a bodyfile from a tool that used the machine's zone,
 * as plaso assumes bodyfiles are): its UTC-rendered wall clock read in `zone`. The fraction is kept.
 * Returns null for a wall time the zone skips (summer-time gap).
 */
export function epochInZone(ns: bigint, zone: InputZone): { ns: bigint; note: string | null } | null {
  if (zone.utc) return { ns, note: null };
  const sec = ns >= 0n ? ns / NS_PER_SECOND : -((-ns + NS_PER_SECOND - 1n) / NS_PER_SECOND);
  const frac = ns - sec * NS_PER_SECOND;
  const r = localToUtc(sec, zone);
  if (!r) return null;
  const note = `read as ${zone.name} local time (UTC${offsetText(r.offsetMinutes)})${r.ambiguous ? '; the wall time occurs twice there, the earlier instant was taken' : ''}`;
  return { ns: r.seconds * NS_PER_SECOND + frac, note };
}

/** A calendar date and time of day that exists (leap years; second 60 allowed). */
export function validWall(y: number, mo: number, d: number, h: number, mi: number, s: number): boolean {
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 60) return false;
  const dim = mo === 2 ? ((y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28) : [4, 6, 9, 11].includes(mo) ? 30 : 31;
  return d <= dim;
}
