import { ParserOptions } from '@fast-csv/parse';
// fast-csv's row parser (the one its CsvParserStream runs), used directly so that every record keeps
// the byte offset of its first line and a malformed record is a warning instead of the end of the stream.
import { Parser } from '@fast-csv/parse/build/src/parser/index.js';

/** Longest CSV record (a quoted value may span lines) before it is given up as malformed. */
export const MAX_RECORD_CHARS = 16 * 1024 * 1024;
/** Records up to this size are parsed on every line even while their quotes do not balance. */
const TRY_PARSE_CHARS = 64 * 1024;

/**
 * Assembles CSV records from lines and parses them with fast-csv: RFC 4180 quoting (`quote: '"'`),
 * values spanning lines, CRLF; or no quoting at all (`quote: null`, plaso's L2T and dynamic CSV, which
 * replace commas instead of quoting). A record is parsed only once its quotes balance, so an
 * unterminated quote costs linear time until it is given up at MAX_RECORD_CHARS.
 */
export class CsvRecords {
  private readonly parser: Parser;
  private pending = '';
  private pendingOffset = 0;
  private quotes = 0;

  constructor(
    private readonly quote: '"' | null,
    private readonly onRow: (row: string[], offset: number) => void,
    private readonly onError: (offset: number, message: string) => void,
  ) {
    this.parser = new Parser(new ParserOptions({ headers: false, quote, ignoreEmpty: false }));
  }

  line(text: string, offset: number): void {
    if (this.pending === '') {
      if (/^\s*$/.test(text)) return; // blank lines between records
      this.pendingOffset = offset;
    }
    this.pending += text + '\n';
    if (this.quote) {
      for (let i = text.indexOf('"'); i >= 0; i = text.indexOf('"', i + 1)) this.quotes++;
      // Odd quotes: most likely a quoted value going on in the next line. A short record is parsed
      // anyway (fast-csv reads a quote inside an unquoted value as a character); a long one waits
      // for its quotes to balance, so an unterminated quote is not re-parsed on every line.
      if (this.quotes % 2 === 1 && this.pending.length > TRY_PARSE_CHARS) {
        if (this.pending.length > MAX_RECORD_CHARS) this.fail(`record longer than ${MAX_RECORD_CHARS} characters (an unterminated quote?); skipped`);
        return;
      }
    }
    this.parse(true);
  }

  end(): void {
    if (this.pending !== '') {
      if (this.quote && this.quotes % 2 === 1) this.fail('unterminated quoted value at the end of the file');
      else this.parse(false);
    }
  }

  private parse(more: boolean): void {
    let rows: string[][];
    let rest: string;
    try {
      const r = this.parser.parse(this.pending, more);
      rows = r.rows;
      rest = r.line;
    } catch (e) {
      this.fail((e as Error).message.replace(/\s+/g, ' ').slice(0, 300));
      return;
    }
    if (rows.length === 0 && more) return; // not complete yet: wait for the next line
    const offset = this.pendingOffset;
    this.pending = '';
    this.quotes = 0;
    for (const row of rows) this.onRow(row, offset);
    // whole lines are fed one at a time, so nothing should be left; never drop text silently
    if (rest !== '') this.onError(offset, 'text after the last complete record; skipped');
  }

  private fail(message: string): void {
    const offset = this.pendingOffset;
    this.pending = '';
    this.quotes = 0;
    this.onError(offset, message);
  }
}
