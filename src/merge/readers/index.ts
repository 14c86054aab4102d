import type { InputFormat, Reader } from '../reader.js';
import { bodyfileReader } from './bodyfile.js';
import { mactimeReader } from './mactime.js';
import { l2tCsvReader } from './l2tcsv.js';
import { jsonLineReader } from './json-line.js';
import { timesketchCsvReader } from './timesketch-csv.js';
import { dynamicReader } from './dynamic.js';
import { timesketchJsonlReader } from './timesketch-jsonl.js';
import { jsonlReader } from './jsonl.js';

/** Every reader, in the order formats are tried (the most specific first). */
export const READERS: readonly Reader[] = [
  l2tCsvReader, mactimeReader, jsonlReader, jsonLineReader, timesketchJsonlReader, dynamicReader, timesketchCsvReader, bodyfileReader,
];

export function readerFor(format: InputFormat): Reader {
  return READERS.find((r) => r.format === format)!;
}

/** The reader whose format the first non-blank lines of an input have, or null. */
export function detectReader(lines: readonly string[]): Reader | null {
  return READERS.find((r) => r.detect(lines)) ?? null;
}
