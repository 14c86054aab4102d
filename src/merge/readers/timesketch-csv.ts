import { CsvRecords } from '../csv.js';
import { chomp, type Reader } from '../reader.js';
import { timesketchRow } from './timesketch-row.js';

const KIND = 'timesketch.csv';
const GUARDED = /^'[=+\-@\t\r]/;

/** Column names of a CSV header line (names are never expected to need quoting, but quotes are removed). */
function headerNames(line: string): string[] {
  return chomp(line).split(',').map((s) => s.trim().replace(/^"(.*)"$/, '$1'));
}

/**
 * Timesketch CSV (a header row; `message`, `datetime`, `timestamp_desc` mandatory; RFC 4180 quoting),
 * and this tool's `timesketch-csv`, whose formula guard (a `'` before `=`, `+`, `-`, `@`, tab, CR) is
 * taken off again when the header shows the file is ours (`time_ns`, `evidence_source`). Every other
 * column is kept as a field.
 */
export const timesketchCsvReader: Reader = {
  format: 'timesketch-csv',
  kind: KIND,
  artifact: 'Timesketch CSV',
  detect(lines) {
    if (lines.length === 0) return false;
    const h = new Set(headerNames(lines[0]!));
    return h.has('message') && h.has('timestamp_desc') && (h.has('datetime') || h.has('timestamp'));
  },
  open(ctx) {
    let columns: string[] | null = null;
    let ours = false;
    const rows = new CsvRecords('"', (row, offset) => {
      if (!columns) {
        columns = row.map((c) => c.trim());
        ours = columns.includes('time_ns') && columns.includes('evidence_source');
        if (!columns.includes('message') || !columns.includes('timestamp_desc')) ctx.warn('malformed', offset, 'Timesketch CSV header without message or timestamp_desc');
        return;
      }
      if (row.length !== columns.length) {
        ctx.warn('malformed', offset, `Timesketch CSV row has ${row.length} cells, the header ${columns.length}; skipped`);
        return;
      }
      const rec: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
      columns.forEach((c, i) => {
        const v = row[i]!;
        rec[c] = ours && GUARDED.test(v) ? v.slice(1) : v;
      });
      timesketchRow(ctx, KIND, offset, rec);
    }, (offset, message) => ctx.warn('malformed', offset, `${message}; skipped`));
    return { line: (t, o) => rows.line(t, o), end: () => rows.end() };
  },
};
