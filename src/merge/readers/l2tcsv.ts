import type { FieldValue } from '../../events/event.js';
import { L2T_HEADER } from '../../sinks/l2tcsv.js';
import { NS_PER_SECOND, parseRfc3339 } from '../../time/nanotime.js';
import { CsvRecords } from '../csv.js';
import { chomp, mergedEvent, ourOwn, type Reader } from '../reader.js';
import { localToUtc, naiveSeconds, offsetOfZoneColumn, offsetText, validWall } from '../times.js';

const KIND = 'plaso.l2tcsv';
const COLUMNS = L2T_HEADER.split(',');
/** Descriptions plaso's output engine merges into one MACB line (and the old fs:stat names). */
const STAT_DESCS = new Set(['Content Modification Time', 'Last Access Time', 'Metadata Modification Time', 'Creation Time', 'mtime', 'atime', 'ctime', 'crtime']);
/** `time_ns` in `extra`: this tool's own L2T output keeps the full nanosecond time there. */
const TIME_NS = /(?:^|; )time_ns: (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z)(?:;|$)/;

/** The path a display name (`OS:/var/log/syslog`, `TSK:/var/lib/docker/...`) stands for. */
export function pathOfDisplayName(name: string): string {
  const m = /^[A-Z][A-Z0-9_]*:(\/.*)$/.exec(name);
  return m ? m[1]! : name;
}

/**
 * plaso's L2T CSV (17 columns, no quoting: plaso replaces commas in values). `date` + `time` are
 * whole seconds in the zone of the `timezone` column: `UTC`, a numeric offset (`+04`, `GMT+4`) or a
 * known abbreviation (`CET`, `EST`, ...) say it alone; `--input-timezone` gives the zone (and the
 * column is checked against it, which also picks the right hour when summer time ends); a line in an
 * unknown zone without `--input-timezone` is skipped with a warning, never given a guessed time.
 * A `time_ns` in `extra` (this tool's own L2T output) restores the nanoseconds. A MACB line of several
 * file-stat descriptions (`M.C.`) becomes one event per description. Every column is kept as a field.
 */
export const l2tCsvReader: Reader = {
  format: 'l2tcsv',
  kind: KIND,
  artifact: 'L2T CSV',
  detect(lines) {
    return lines.length > 0 && chomp(lines[0]!).startsWith('date,time,timezone,MACB,source,sourcetype,type,user,host,short,desc');
  },
  open(ctx) {
    let header = true;
    const unknownZones = new Map<string, { offset: number; count: number }>();
    const rows = new CsvRecords(null, (row, offset) => {
      if (header) {
        header = false;
        if (row[0] === 'date' && row[1] === 'time') {
          if (row.join(',') !== L2T_HEADER) ctx.warn('unexpected-header', offset, 'L2T header differs from plaso\'s 17 columns; read by position');
          return;
        }
      }
      if (row.length !== 17) {
        ctx.warn('malformed', offset, `L2T line has ${row.length} columns, 17 expected (plaso never writes a comma inside a value); skipped`);
        return;
      }
      const c = Object.fromEntries(COLUMNS.map((k, i) => [k, row[i]!])) as Record<string, string>;
      const { date, time, timezone } = c as { date: string; time: string; timezone: string };
      if (date === '00/00/0000' || time === '--:--:--') {
        ctx.untimed();
        return;
      }
      const dm = /^(\d\d)\/(\d\d)\/(\d{4})$/.exec(date);
      const tm = /^(\d\d):(\d\d):(\d\d)$/.exec(time);
      const [mo, d, y] = dm ? dm.slice(1).map(Number) as [number, number, number] : [0, 0, 0];
      const [h, mi, s] = tm ? tm.slice(1).map(Number) as [number, number, number] : [0, 0, 0];
      if (!dm || !tm || !validWall(y, mo, d, h, mi, s)) {
        ctx.warn('bad-time', offset, `L2T date/time ${JSON.stringify(`${date} ${time}`.slice(0, 40))} is not MM/DD/YYYY HH:MM:SS; skipped`);
        return;
      }
      const naive = naiveSeconds(y, mo, d, h, mi, s);
      const named = offsetOfZoneColumn(timezone);
      let seconds: bigint;
      let note: string | null = null;
      if (ctx.zoneGiven) {
        const r = localToUtc(naive, ctx.zone, named ?? undefined);
        if (!r) {
          ctx.warn('bad-time', offset, `${date} ${time} does not exist in ${ctx.zone.name} (summer-time gap); skipped`);
          return;
        }
        if (named !== null && r.offsetMinutes !== named) {
          ctx.warn('zone-mismatch', offset, `timezone column ${timezone} is UTC${offsetText(named)}, but ${ctx.zone.name} is UTC${offsetText(r.offsetMinutes)} at ${date} ${time}; skipped (check --input-timezone)`);
          return;
        }
        seconds = r.seconds;
        if (!ctx.zone.utc) note = `read as ${ctx.zone.name} (UTC${offsetText(r.offsetMinutes)})${r.ambiguous && named === null ? '; the wall time occurs twice there, the earlier instant was taken' : ''}`;
      } else if (named !== null) {
        seconds = naive - BigInt(named * 60);
      } else {
        const u = unknownZones.get(timezone);
        if (u) u.count++;
        else unknownZones.set(timezone, { offset, count: 1 });
        return;
      }
      let ns = seconds * NS_PER_SECOND;
      const fine = c.extra ? TIME_NS.exec(c.extra) : null;
      if (fine) {
        const p = parseRfc3339(fine[1]);
        if (p && p.ns >= ns && p.ns < ns + NS_PER_SECOND) ns = p.ns;
      }
      const parts = c.type!.split('; ');
      const descs = parts.length > 1 && parts.every((p) => STAT_DESCS.has(p)) ? parts : [c.type!];
      for (const desc of descs) {
        const fields: Record<string, FieldValue> = {};
        const put = (k: string, v: string | undefined): void => { if (v !== undefined && v !== '-' && v !== '') fields[k] = v; };
        put('macb', c.MACB);
        put('user', c.user);
        put('hostname', c.host);
        put('filename', c.filename);
        put('notes', c.notes);
        put('format', c.format);
        put('extra', c.extra);
        if (descs.length > 1) put('l2t_type', c.type);
        fields.time_raw = `${date} ${time} ${timezone}`;
        if (note) fields.time_zone_note = note;
        ctx.emit(mergedEvent(ctx, KIND, offset, {
          timeNs: ns, timestampDesc: desc, message: c.desc!,
          source: c.source!, sourcetype: c.sourcetype!, dataType: 'l2tcsv:entry', parser: c.format === '-' ? '' : c.format!,
          inode: c.inode && c.inode !== '-' ? c.inode : null, fields,
        }), c.filename && c.filename !== '-' && !ourOwn(c.format) ? pathOfDisplayName(c.filename) : null);
      }
    }, (offset, message) => ctx.warn('malformed', offset, `${message}; skipped`));
    return {
      line: (t, o) => rows.line(chomp(t), o),
      end() {
        rows.end();
        for (const [tz, u] of unknownZones) {
          ctx.warn('unknown-zone', u.offset, `timezone column ${JSON.stringify(tz)} does not name one offset: ${u.count} line(s) skipped (give --input-timezone with the zone plaso wrote, e.g. psort's --output-time-zone)`);
        }
      },
    };
  },
};
