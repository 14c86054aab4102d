import test from 'ava';
import { Settings } from 'luxon';
import { ZoneRenderer } from '../../src/time/zone.js';

const ns = (iso: string): bigint => BigInt(Date.parse(iso)) * 1_000_000n;
const render = (zone: string, iso: string) => new ZoneRenderer(zone).render(ns(iso));
const line = (zone: string, iso: string): string => { const r = render(zone, iso); return `${r.date} ${r.time} ${r.zone}`; };

test('UTC and its aliases: fast path, zone UTC, +00:00', (t) => {
  for (const z of ['UTC', 'utc', 'Etc/UTC', 'Z', 'GMT']) {
    const r = render(z, '2026-11-29T05:46:55.999Z');
    t.deepEqual(r, { date: '11/29/2026', time: '05:46:55', zone: 'UTC', iso: '2026-11-29T05:46:55+00:00', offsetMinutes: 0 }, z);
  }
});

test('unknown zones are refused', (t) => {
  t.throws(() => new ZoneRenderer('Mars/Olympus_Mons'), { message: /unknown time zone/ });
  t.throws(() => new ZoneRenderer('CEST+99'));
});

test('Europe/Berlin: CET / CEST like pytz, not GMT+1', (t) => {
  t.is(line('Europe/Berlin', '2026-01-15T12:00:00Z'), '01/15/2026 13:00:00 CET');
  t.is(line('Europe/Berlin', '2026-07-15T12:00:00Z'), '07/15/2026 14:00:00 CEST');
  t.is(line('Europe/Berlin', '2026-03-29T00:59:59Z'), '03/29/2026 01:59:59 CET');
  t.is(line('Europe/Berlin', '2026-03-29T01:00:00Z'), '03/29/2026 03:00:00 CEST');
  t.is(line('Europe/Berlin', '2026-10-25T00:59:59Z'), '10/25/2026 02:59:59 CEST');
  t.is(line('Europe/Berlin', '2026-10-25T01:00:00Z'), '10/25/2026 02:00:00 CET');
  const w = render('Europe/Berlin', '2026-01-15T12:00:00Z');
  t.is(w.iso, '2026-01-15T13:00:00+01:00');
  t.is(w.offsetMinutes, 60);
  const s = render('Europe/Berlin', '2026-07-15T12:00:00Z');
  t.is(s.iso, '2026-07-15T14:00:00+02:00');
  t.is(s.offsetMinutes, 120);
});

test('America/New_York: EST / EDT', (t) => {
  t.is(line('America/New_York', '2026-01-15T12:00:00Z'), '01/15/2026 07:00:00 EST');
  t.is(line('America/New_York', '2026-07-15T12:00:00Z'), '07/15/2026 08:00:00 EDT');
  t.is(render('America/New_York', '2026-07-15T12:00:00Z').iso, '2026-07-15T08:00:00-04:00');
});

test('other zones with an abbreviation in en-US / en-GB / en-ZA', (t) => {
  t.is(render('America/Los_Angeles', '2026-07-15T12:00:00Z').zone, 'PDT');
  t.is(render('Europe/London', '2026-01-15T12:00:00Z').zone, 'GMT');
  t.is(render('Europe/London', '2026-07-15T12:00:00Z').zone, 'BST');
  t.is(render('Europe/Helsinki', '2026-07-15T12:00:00Z').zone, 'EEST');
  t.is(render('Europe/Lisbon', '2026-01-15T12:00:00Z').zone, 'WET');
  t.is(render('Africa/Johannesburg', '2026-01-15T12:00:00Z').zone, 'SAST');
  t.is(render('Africa/Nairobi', '2026-01-15T12:00:00Z').zone, 'EAT');
});

test('zones Intl has no abbreviation for fall back to the GMT form (ASCII minus)', (t) => {
  t.is(render('Asia/Tokyo', '2026-01-15T12:00:00Z').zone, 'GMT+9');
  t.is(render('Asia/Kolkata', '2026-01-15T12:00:00Z').zone, 'GMT+5:30');
  t.is(render('America/Sao_Paulo', '2026-01-15T12:00:00Z').zone, 'GMT-3');
  t.is(render('Asia/Kolkata', '2026-01-15T12:00:00Z').iso, '2026-01-15T17:30:00+05:30');
});

test.serial('the process locale does not change digits, calendar or abbreviations', (t) => {
  const saved = { l: Settings.defaultLocale, n: Settings.defaultNumberingSystem, c: Settings.defaultOutputCalendar };
  try {
    Settings.defaultLocale = 'ar-EG';
    Settings.defaultNumberingSystem = 'arab';
    Settings.defaultOutputCalendar = 'islamic';
    t.is(line('Europe/Berlin', '2026-07-15T12:00:00Z'), '07/15/2026 14:00:00 CEST');
    Settings.defaultLocale = 'de-DE';
    Settings.defaultNumberingSystem = 'latn';
    Settings.defaultOutputCalendar = 'gregory';
    // de-DE would call it MEZ
    t.is(line('Europe/Berlin', '2026-01-15T12:00:00Z'), '01/15/2026 13:00:00 CET');
  } finally {
    Settings.defaultLocale = saved.l;
    Settings.defaultNumberingSystem = saved.n;
    Settings.defaultOutputCalendar = saved.c;
  }
});

test('cached per second: the same second gives the same rendering, the next one a new one', (t) => {
  const z = new ZoneRenderer('Europe/Berlin');
  const a = z.render(ns('2026-03-29T00:59:59Z'));
  t.is(z.render(ns('2026-03-29T00:59:59Z') + 999_999_999n), a);
  const b = z.render(ns('2026-03-29T01:00:00Z'));
  t.not(b, a);
  t.is(`${b.time} ${b.zone}`, '03:00:00 CEST');
  // negative times floor to the previous second
  const u = new ZoneRenderer('UTC');
  t.is(u.render(-1n).time, '23:59:59');
  t.is(new ZoneRenderer('Europe/Berlin').render(-1n).time, '00:59:59');
});
