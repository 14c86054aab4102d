import { chomp, type Reader } from '../reader.js';
import { timesketchRow } from './timesketch-row.js';

const KIND = 'plaso.dynamic';
/** psort's default `dynamic` fields (plaso/output/dynamic.py `_DEFAULT_NAMES`); `--additional_fields` come after them. */
export const DYNAMIC_HEADER = 'datetime,timestamp_desc,source,source_long,message,parser,display_name,tag';
/** Longest record made of lines joined back (a value with a line feed), before it is given up. */
const MAX_RECORD_CHARS = 1024 * 1024;
/** plaso's time columns when an event has no time (timestamp 0) or `--dynamic_time` has none to print. */
const NO_TIME = /^(?:0000-00-00T00:00:00(?:\.0+)?\+00:00|Not set|Not a time|Invalid)$/;
/** Columns whose `-` is plaso's "no value" (message and description are kept as written). */
const KEEP_DASH = new Set(['message', 'timestamp_desc', 'datetime']);

/**
 * plaso's `dynamic` output (psort's default, `-o dynamic`): a header of field names, then one line per
 * event with the values joined by `,`. plaso does not quote (shared_dsv.py: a `,` in a value becomes a
 * space, and a `"` is an ordinary character), so lines are split at every comma and a `"` is kept as
 * it is. A value holding a line feed (an `--additional_fields` attribute; messages have none) breaks
 * the record over lines: lines are joined back (with the line feed) until they hold the header's number
 * of columns, and lines without a comma after a complete record go on its last value. `-` is plaso's "no value". The time is `datetime` (ISO 8601 with offset, any fraction);
 * `0000-00-00T00:00:00…` and `--dynamic_time`'s `Not set`/`Invalid` are rows without a time. Rows are
 * then read as Timesketch rows (`source` is plaso's short source).
 */
export const dynamicReader: Reader = {
  format: 'dynamic',
  kind: KIND,
  artifact: 'plaso dynamic CSV',
  detect(lines) {
    return lines.length > 0 && (chomp(lines[0]!) === DYNAMIC_HEADER || chomp(lines[0]!).startsWith(DYNAMIC_HEADER + ','));
  },
  open(ctx) {
    let columns: string[] | null = null;
    let pending: { text: string; offset: number } | null = null;
    const record = (text: string, offset: number): void => {
      const cells = text.split(',');
      const rec: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
      columns!.forEach((c, i) => {
        const v = cells[i]!;
        if (v === '-' && !KEEP_DASH.has(c)) return;
        const key = c === 'source' ? 'source_short' : c === 'sourcetype' && !columns!.includes('source_long') ? 'source_long' : c;
        rec[key] = v;
      });
      if (typeof rec.datetime === 'string' && NO_TIME.test(rec.datetime.trim())) {
        ctx.untimed();
        return;
      }
      timesketchRow(ctx, KIND, offset, rec);
    };
    const malformed = (offset: number, n: number): void =>
      ctx.warn('malformed', offset, `dynamic CSV line has ${n} columns, the header ${columns!.length} (plaso never writes a comma inside a value); skipped`);
    const count = (text: string): number => {
      let n = 1;
      for (let i = text.indexOf(','); i >= 0; i = text.indexOf(',', i + 1)) n++;
      return n;
    };
    // a complete record is held until the next line: a line feed in its last value goes on in lines
    // without a comma (plaso turns commas in values into spaces); an incomplete one waits for the rest
    let held: { text: string; offset: number } | null = null;
    let blanks = 0;
    const flush = (): void => {
      if (held) record(held.text, held.offset);
      held = null;
    };
    return {
      line(raw, offset) {
        const text = chomp(raw);
        if (!columns) {
          if (text.trim() === '') return;
          columns = text.split(',').map((c) => c.trim());
          if (!columns.includes('datetime') || !columns.includes('message') || !columns.includes('timestamp_desc')) {
            ctx.warn('malformed', offset, 'dynamic CSV header without datetime, message or timestamp_desc');
          }
          return;
        }
        if (text.trim() === '') {
          if (held || pending) blanks++; // inside a value if more of it follows
          return;
        }
        const want = columns.length;
        const feeds = '\n'.repeat(blanks + 1);
        if (pending) {
          const joined = pending.text + feeds + text;
          blanks = 0;
          const n = count(joined);
          if (n === want) {
            held = { text: joined, offset: pending.offset };
            pending = null;
            return;
          }
          if (n < want && joined.length <= MAX_RECORD_CHARS) {
            pending.text = joined;
            return;
          }
          // the held line does not go on in this one: it was cut short
          malformed(pending.offset, count(pending.text));
          pending = null;
        }
        const n = count(text);
        if (held && n === 1 && want > 1 && held.text.length + text.length <= MAX_RECORD_CHARS) {
          held.text += feeds + text;
          blanks = 0;
          return;
        }
        blanks = 0;
        flush();
        if (n === want) held = { text, offset };
        else if (n < want) pending = { text, offset };
        else malformed(offset, n);
      },
      end() {
        flush();
        if (pending) malformed(pending.offset, count(pending.text));
        pending = null;
        blanks = 0;
      },
    };
  },
};
