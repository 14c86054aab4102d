import type { FieldValue } from '../../events/event.js';
import { NS_PER_SECOND } from '../../time/nanotime.js';
import { CsvRecords } from '../csv.js';
import { chomp, mergedEvent, type Reader } from '../reader.js';
import { localToUtc, naiveSeconds, offsetText, validWall } from '../times.js';
import { MACB, entryMessage, numOrText, splitEntryName } from './file-entry.js';

const KIND = 'host.mactime';
export const MACTIME_HEADER = 'Date,Size,Type,Mode,UID,GID,Meta,File Name';
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const ISO = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)Z$/;
/** mactime's default date (`Sat Jan 16 2021 11:54:28`), or with `-m` the month as a number. */
const LOCAL = /^(?:Sun|Mon|Tue|Wed|Thu|Fri|Sat) ([A-Z][a-z]{2}|\d\d) (\d\d) (\d{4}) (\d\d):(\d\d):(\d\d)$/;

/**
 * Sleuth Kit `mactime -d` CSV (`Date,Size,Type,Mode,UID,GID,Meta,File Name`): each letter of the
 * `macb` column is one event. `-y` dates (`2021-01-16T11:54:28Z`) are UTC; the default form
 * (`Sat Jan 16 2021 11:54:28`) is in the zone mactime ran with (`-z`/TZ), so it is read in
 * `--input-timezone` (UTC when not given, with a warning). Zero dates (`0000-00-00T00:00:00Z`,
 * `Xxx Xxx 00 0000 00:00:00`: a bodyfile column that was 0) are no events. Names are kept as mactime
 * printed them (it already decoded `%XX`).
 */
export const mactimeReader: Reader = {
  format: 'mactime',
  kind: KIND,
  artifact: 'mactime CSV',
  detect(lines) {
    return lines.length > 0 && chomp(lines[0]!).trim() === MACTIME_HEADER;
  },
  open(ctx) {
    let header = true;
    let zoneWarned = false;
    const rows = new CsvRecords('"', (row, offset) => {
      if (header) {
        header = false;
        if (row.join(',') === MACTIME_HEADER) return;
      }
      if (row.length !== 8) {
        ctx.warn('malformed', offset, `mactime row has ${row.length} columns, 8 expected; skipped`);
        return;
      }
      const [date, size, type, mode, uid, gid, meta, name] = row as [string, string, string, string, string, string, string, string];
      if (date.startsWith('0000-00-00') || date.startsWith('Xxx Xxx 00 0000')) {
        ctx.untimed();
        return;
      }
      let seconds: bigint | null = null;
      let note: string | null = null;
      const iso = ISO.exec(date);
      const loc = iso ? null : LOCAL.exec(date);
      if (iso) {
        const [y, mo, d, h, mi, s] = iso.slice(1).map(Number) as [number, number, number, number, number, number];
        if (validWall(y, mo, d, h, mi, s)) seconds = naiveSeconds(y, mo, d, h, mi, s);
      } else if (loc) {
        const mo = /^\d/.test(loc[1]!) ? Number(loc[1]) : MONTHS.indexOf(loc[1]!) + 1;
        const [d, y, h, mi, s] = loc.slice(2).map(Number) as [number, number, number, number, number];
        if (validWall(y, mo, d, h, mi, s)) {
          const r = localToUtc(naiveSeconds(y, mo, d, h, mi, s), ctx.zone);
          if (r) {
            seconds = r.seconds;
            note = `mactime local date read as ${ctx.zone.name} (UTC${offsetText(r.offsetMinutes)})${r.ambiguous ? '; the wall time occurs twice there, the earlier instant was taken' : ''}`;
          }
          if (!ctx.zoneGiven && !zoneWarned) {
            zoneWarned = true;
            ctx.warn('zone-assumed', offset, 'mactime dates without -y are in the zone mactime ran in; read as UTC (give --input-timezone, or run mactime with -y)');
          }
        }
      }
      if (seconds === null) {
        ctx.warn('bad-time', offset, `mactime date ${JSON.stringify(date.slice(0, 40))} is not a date it writes (or not a valid time in ${ctx.zone.name}); row skipped`);
        return;
      }
      if (!/^[m.][a.][c.][b.]$/.test(type)) {
        ctx.warn('malformed', offset, `mactime type ${JSON.stringify(type.slice(0, 10))} is not a macb column; row skipped`);
        return;
      }
      const entry = splitEntryName(name, mode);
      const message = entryMessage(name, uid, gid, mode, null);
      let any = false;
      for (const t of MACB) {
        if (!type.includes(t.letter)) continue;
        any = true;
        const fields: Record<string, FieldValue> = { filename: entry.path };
        if (entry.linkTarget !== undefined) fields.symbolic_link_target = entry.linkTarget;
        if (entry.deleted) fields.deleted = entry.deleted;
        fields.mode = mode;
        if (uid !== '') fields.uid = numOrText(uid);
        if (gid !== '') fields.gid = numOrText(gid);
        if (size !== '') fields.size = size;
        fields.macb = type;
        fields.time_raw = date;
        if (note) fields.time_zone_note = note;
        ctx.emit(mergedEvent(ctx, KIND, offset, {
          timeNs: seconds * NS_PER_SECOND, timestampDesc: t.desc, message,
          source: 'FILE', sourcetype: 'mactime', dataType: 'fs:bodyfile:entry', parser: 'docker_timeline/merge_mactime',
          inode: meta || null, fields,
        }), entry.path.startsWith('[docker:') ? null : entry.path);
      }
      if (!any) ctx.untimed();
    }, (offset, message) => ctx.warn('malformed', offset, `${message}; row skipped`));
    return { line: (t, o) => rows.line(t, o), end: () => rows.end() };
  },
};
