import type { RawLogFormat, Sink } from './sink.js';
import { BodyfileRawLogs } from './bodyfile-raw.js';
import { macbOf, type TimelineEvent } from '../events/event.js';
import { NS_PER_SECOND } from '../time/nanotime.js';
import { displayName } from './l2tcsv.js';

/**
 * Escape a bodyfile name so Debian's mactime keeps it: mactime splits on every `|` and then
 * %XX-decodes each field, so `%`, `|` and control characters are written as `%25`, `%7C`, `%09`...
 * (`\|`, which newer fls and plaso use, makes mactime drop the line: Sleuth Kit issue 2124).
 * A line feed cannot survive mactime at all: it matches its sort keys with `/^(\d+),([\d-]+),(.*)$/`,
 * whose `.` stops at a newline, so `%0A` makes it drop the event. A line feed is written as the two
 * characters `\n` instead (visible, and the event stays in the timeline; `merge` reads it back as a
 * line feed), and any other backslash as `%5C` (see BODY_ESCAPE).
 */
export function escapeBodyName(name: string): string {
  return name.replace(BODY_ESCAPE, (c) =>
    c === '\n' ? '\\n' : `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/**
 * What escapeBodyName writes as `%XX`: `%`, `|`, control characters, and a backslash that does not
 * start one of this tool's `\xNN` escapes (names are text by the rule of bytes-text.ts, where every
 * other `\xHH` was made `\x5cxHH`). So the only backslashes left are `\xNN` escapes (which `merge`,
 * like plaso, reads as bytes) and `\n`, and this tool's bodyfile reads back to the exact names.
 */
// eslint-disable-next-line no-control-regex
const BODY_ESCAPE = /[%|\x00-\x1f\x7f]|\\(?!x[0-9A-Fa-f]{2})/g;

/**
 * `seconds.nnnnnnnnn` as a signed decimal (plaso reads it with `float()`; mactime truncates to the
 * second). Before 1970 the sign covers the fraction too: -1.5 s is `-1.500000000`, not `-2.500000000`.
 */
export function bodyTime(ns: bigint): string {
  const neg = ns < 0n;
  const abs = neg ? -ns : ns;
  const s = abs / NS_PER_SECOND;
  return `${neg ? '-' : ''}${s}.${(abs % NS_PER_SECOND).toString().padStart(9, '0')}`;
}

/**
 * Which of the four columns (atime, mtime, ctime, crtime) an event's time goes in: the plaso MACB
 * letter of its description (M → mtime, A → atime, C → ctime, B → crtime); a description with no
 * letter (`End Time`, `Health Check Start Time`) goes in ctime, the "state changed" column.
 */
export function bodyColumn(desc: string): 0 | 1 | 2 | 3 {
  const m = macbOf(desc);
  if (m[0] === 'M') return 1;
  if (m[1] === 'A') return 0;
  if (m[3] === 'B') return 3;
  return 2;
}

/**
 * Sleuth Kit 3.x bodyfile: `MD5|name|inode|mode|UID|GID|size|atime|mtime|ctime|crtime`, one line per
 * event, the event's time in one column and 0 in the others. File events carry the file's path, mode,
 * owner and size; other events a descriptive name `[docker:<kind>] <message> (<evidence>@<offset>)`,
 * and a row merged from a host bodyfile that name with the row's own inode, mode, owner and size.
 */
export class BodyfileSink implements Sink {
  header(): string {
    return '';
  }

  write(e: TimelineEvent): string {
    const times = ['0', '0', '0', '0'];
    times[bodyColumn(e.timestampDesc)] = bodyTime(e.timeNs);
    const s = e.stat;
    if (s && !s.foreign) {
      const name = escapeBodyName(displayName(e) + (e.fields.link_target ? ` -> ${String(e.fields.link_target)}` : ''));
      return `0|${name}|${s.inode}|${s.mode}|${s.uid ?? 0}|${s.gid ?? 0}|${s.size}|${times.join('|')}\n`;
    }
    const name = escapeBodyName(`[docker:${e.kind}] ${e.message} (${displayName(e)}@${e.offset})`);
    // a row merged from a bodyfile keeps its columns (escaped again: the line stays 11 fields; an empty inode or size is 0)
    if (s) return `0|${name}|${escapeBodyName(s.inode) || 0}|${escapeBodyName(s.mode)}|${s.uid ?? 0}|${s.gid ?? 0}|${escapeBodyName(s.size) || 0}|${times.join('|')}\n`;
    return `0|${name}|0|----------|0|0|0|${times.join('|')}\n`;
  }

  end(): string {
    return '';
  }

  rawLogs(): RawLogFormat {
    return new BodyfileRawLogs(this);
  }

  /** A fast line is written as its bytes (nothing is held back). */
  writeRaw(): string | null {
    return null;
  }
}
