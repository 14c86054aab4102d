import type { Sink } from './sink.js';
import { JsonlSink } from './jsonl.js';
import { L2tCsvSink } from './l2tcsv.js';
import { BodyfileSink } from './bodyfile.js';
import { TimesketchCsvSink, TimesketchJsonlSink } from './timesketch.js';

export const FORMATS = ['l2tcsv', 'bodyfile', 'timesketch-csv', 'timesketch-jsonl', 'jsonl'] as const;
export type Format = (typeof FORMATS)[number];

export interface SinkOptions {
  timezone: string;
  hostname: string | null;
  /** Neutralise spreadsheet formulas in timesketch-csv cells. */
  csvGuard: boolean;
}

export function makeSink(format: Format, o: SinkOptions): Sink {
  switch (format) {
    case 'l2tcsv': return new L2tCsvSink(o.timezone, o.hostname);
    case 'bodyfile': return new BodyfileSink();
    case 'timesketch-csv': return new TimesketchCsvSink(o.timezone, o.csvGuard);
    case 'timesketch-jsonl': return new TimesketchJsonlSink(o.timezone);
    case 'jsonl': return new JsonlSink();
  }
}

/**
 * The format an output file name implies, where that is unambiguous: `.body`/`.bodyfile` → bodyfile,
 * `.jsonl` → jsonl. `.csv` could be L2T or Timesketch CSV, so it needs --format.
 */
export function formatFromName(file: string): Format | null {
  if (/\.(body|bodyfile)$/i.test(file)) return 'bodyfile';
  if (/\.jsonl$/i.test(file)) return 'jsonl';
  return null;
}
