/**
 * Nanosecond time values. Every time in docker-timeline is a bigint count of
 * nanoseconds since 1970-01-01T00:00:00Z (UTC). Never a Date, never a float.
 */

export const NS_PER_SECOND = 1_000_000_000n;
export const NS_PER_MICRO = 1_000n;

/** Go's zero time.Time, which Docker writes for "never set". */
export const GO_ZERO_PREFIX = '0001-01-01T00:00:00';

export interface ParsedTime {
  /** UTC nanoseconds since the epoch. */
  ns: bigint;
  /** The zone offset the source wrote, in minutes east of UTC (0 for `Z`). */
  offsetMinutes: number;
  /** The source text, kept as it was. */
  raw: string;
  /** True when the source used a numeric offset rather than `Z` (a local-zone time). */
  local: boolean;
}

const RFC3339 = /^(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|z|[+-]\d\d:?\d\d)?$/;

/** True for Go's zero time (any zone, `T`, `t` or space between date and time) and for an empty value. */
export function isGoZero(text: unknown): boolean {
  return typeof text !== 'string' || text === '' || text.startsWith(GO_ZERO_PREFIX) || /^0001-01-01[t ]00:00:00/.test(text);
}

/** Days since 1970-01-01 for a proleptic Gregorian date (integer arithmetic, any year). */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const mp = (m + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Inverse of daysFromCivil. */
export function civilFromDays(days: number): [number, number, number] {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

/**
 * Parse RFC 3339 text with 0-9 fraction digits (Go's RFC3339Nano, trailing zeros trimmed).
 * Returns null when the text is not a valid time or is Go's zero time ("not set").
 * A missing zone is read as UTC (Docker always writes one; plaso's test data omits it once).
 */
export function parseRfc3339(text: unknown): ParsedTime | null {
  if (typeof text !== 'string' || isGoZero(text)) return null;
  const fast = parseUtcFast(text);
  if (fast !== null) return { ns: fast, offsetMinutes: 0, raw: text, local: false };
  const m = RFC3339.exec(text);
  if (!m) return null;
  const [, ys, mos, ds, hs, mis, ss, frac, tz] = m;
  const y = Number(ys), mo = Number(mos), d = Number(ds), h = Number(hs), mi = Number(mis), s = Number(ss);
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 60) return null;
  let offsetMinutes = 0;
  let local = false;
  if (tz && tz !== 'Z' && tz !== 'z') {
    const sign = tz[0] === '-' ? -1 : 1;
    const digits = tz.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2)), om = Number(digits.slice(2, 4));
    if (oh > 23 || om > 59) return null;
    offsetMinutes = sign * (oh * 60 + om);
    local = true;
  }
  const secs = BigInt(daysFromCivil(y, mo, d)) * 86400n + BigInt(h * 3600 + mi * 60 + s - offsetMinutes * 60);
  const fracNs = frac ? BigInt(frac.padEnd(9, '0')) : 0n;
  const ns = secs * NS_PER_SECOND + fracNs;
  // the zero instant written another way (0000-12-31T23:00:00-01:00) is "not set" too: its canonical
  // form is Go's zero time, so it must not become an event
  if (ns >= GO_ZERO_NS && ns < GO_ZERO_NS + NS_PER_SECOND) return null;
  return { ns, offsetMinutes, raw: text, local };
}

/** Go's zero time as ns since the epoch (0001-01-01T00:00:00Z). */
const GO_ZERO_NS = BigInt(daysFromCivil(1, 1, 1)) * 86400n * NS_PER_SECOND;

let cachedDate = '';
let cachedDaySeconds = 0;

const digit = (s: string, i: number): number => {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : NaN;
};

/**
 * The common case, fast: `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z` (what dockerd writes on every log line),
 * with the day's seconds cached. Anything else (or any doubt) returns null and takes the full parser.
 */
function parseUtcFast(t: string): bigint | null {
  const n = t.length;
  if (n < 20 || n > 30 || t.charCodeAt(n - 1) !== 90 /* Z */ || t.charCodeAt(10) !== 84 /* T */) return null;
  const date = t.slice(0, 10);
  if (date !== cachedDate) {
    const m = /^(\d{4})-(\d\d)-(\d\d)$/.exec(date);
    if (!m) return null;
    const y = Number(m[1]), mo = Number(m[2]), d = Number(m[3]);
    if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return null;
    cachedDate = date;
    cachedDaySeconds = daysFromCivil(y, mo, d) * 86400;
  }
  if (t.charCodeAt(13) !== 58 || t.charCodeAt(16) !== 58) return null;
  const h = digit(t, 11) * 10 + digit(t, 12), mi = digit(t, 14) * 10 + digit(t, 15), sec = digit(t, 17) * 10 + digit(t, 18);
  if (!(h <= 23 && mi <= 59 && sec <= 60)) return null; // NaN fails too
  let frac = 0;
  if (n > 20) {
    if (t.charCodeAt(19) !== 46 /* . */ || n === 21) return null;
    let scale = 100_000_000;
    for (let i = 20; i < n - 1; i++) {
      const dg = digit(t, i);
      if (Number.isNaN(dg)) return null;
      frac += dg * scale;
      scale /= 10;
    }
  } else if (t.charCodeAt(19) !== 90) return null;
  return BigInt(cachedDaySeconds + h * 3600 + mi * 60 + sec) * NS_PER_SECOND + BigInt(frac);
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(m) ? 30 : 31;
}

/**
 * The times every output writes faithfully: years 0000 to 9999, RFC 3339's four-digit years (L2T's
 * MM/DD/YYYY, the jsonl `time`, luxon for named zones). A time the evidence records outside them (a
 * forged pax mtime, a base-256 ustar field) is reported, never written as a garbled date.
 */
export const MIN_TIME_NS = BigInt(daysFromCivil(0, 1, 1)) * 86400n * NS_PER_SECOND;
export const MAX_TIME_NS = BigInt(daysFromCivil(10000, 1, 1)) * 86400n * NS_PER_SECOND - 1n;

export function inTimeRange(ns: bigint): boolean {
  return ns >= MIN_TIME_NS && ns <= MAX_TIME_NS;
}

/** Floor division for bigint (toward minus infinity). */
export function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return (a % b !== 0n) && ((a < 0n) !== (b < 0n)) ? q - 1n : q;
}

export interface UtcParts {
  year: number; month: number; day: number; hour: number; minute: number; second: number;
  /** 0..999_999_999 */
  nanos: number;
}

export function utcParts(ns: bigint): UtcParts {
  const secs = floorDiv(ns, NS_PER_SECOND);
  const nanos = Number(ns - secs * NS_PER_SECOND);
  const days = Number(floorDiv(secs, 86400n));
  const rem = Number(secs - BigInt(days) * 86400n);
  const [year, month, day] = civilFromDays(days);
  return { year, month, day, hour: Math.floor(rem / 3600), minute: Math.floor((rem % 3600) / 60), second: rem % 60, nanos };
}

const p2 = (n: number): string => (n < 10 ? '0' : '') + n;

export function pad(n: number, width: number): string {
  const s = String(Math.abs(n)).padStart(width, '0');
  return n < 0 ? '-' + s : s;
}

/** `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`: the canonical UTC form, always 9 fraction digits. */
export function formatUtcNs(ns: bigint): string {
  const t = utcParts(ns);
  return `${pad(t.year, 4)}-${p2(t.month)}-${p2(t.day)}T${p2(t.hour)}:${p2(t.minute)}:${p2(t.second)}.${pad(t.nanos, 9)}Z`;
}

/** Microseconds since the epoch, truncated toward minus infinity (as plaso truncates Docker times). */
export function nsToMicros(ns: bigint): bigint {
  return floorDiv(ns, NS_PER_MICRO);
}

/** Whole seconds since the epoch (floor). */
export function nsToSeconds(ns: bigint): bigint {
  return floorDiv(ns, NS_PER_SECOND);
}

/** Parse a user-supplied ISO 8601 bound (`--after`, `--before`). A date alone means midnight UTC. */
export function parseUserTime(text: string): bigint | null {
  const t = text.trim();
  const dateOnly = /^\d{4}-\d\d-\d\d$/.test(t) ? `${t}T00:00:00Z` : t;
  const withZone = /([Zz]|[+-]\d\d:?\d\d)$/.test(dateOnly) ? dateOnly : `${dateOnly}Z`;
  return parseRfc3339(withZone)?.ns ?? null;
}

/**
 * Seconds + nanoseconds (as from a stat or a pax record) to ns. More than 20 digits of whole seconds
 * (beyond any calendar) is not a time: null (and a hostile 4 MB number is never turned into a bigint).
 */
export function secondsFractionToNs(text: string): bigint | null {
  const m = /^(-?)(\d{1,20})(?:\.(\d+))?$/.exec(text.trim());
  if (!m) return null;
  const sign = m[1] === '-' ? -1n : 1n;
  const whole = BigInt(m[2]!);
  const frac = BigInt((m[3] ?? '').slice(0, 9).padEnd(9, '0'));
  return sign * (whole * NS_PER_SECOND + frac);
}
