import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { LineSplitter } from '../extractors/line-splitter.js';
import type { TimelineEvent } from '../events/event.js';
import type { Warnings } from '../warnings.js';
import type { InputFormat, LineConsumer, Reader, ReaderContext, RowSink } from './reader.js';
import type { InputZone } from './times.js';
import { READERS, detectReader, readerFor } from './readers/index.js';

/** Non-blank lines looked at to tell an input's format. */
const DETECT_LINES = 8;

export interface InputOptions {
  /** `--input-format`: skip detection. */
  format?: InputFormat;
  zone: InputZone;
  zoneGiven: boolean;
  warnings: Warnings;
  /** Where bodyfile rows go (merge: see ReaderContext.rows); without it every row is made into events at once. */
  rows?: RowSink;
}

export interface InputResult {
  file: string;
  /** The format read, or null when it could not be told (or the file could not be read). */
  format: InputFormat | null;
  lines: number;
  events: number;
  untimed: number;
}

/**
 * Read one merge input: lines with their byte offsets (a gzip file is read through gunzip; offsets
 * are then in the decompressed stream), the format told from its first non-blank lines (unless
 * given), each line handed to the reader. Problems are warnings; this never throws for bad content.
 */
export async function readInput(file: string, o: InputOptions, emit: (e: TimelineEvent, hostPath: string | null) => void): Promise<InputResult> {
  const result: InputResult = { file, format: null, lines: 0, events: 0, untimed: 0 };
  const name = path.basename(file);
  const dir = path.dirname(path.resolve(file));
  const warn = (kind: string, offset: number, message: string, artifact = 'merge input'): void =>
    o.warnings.add({ kind, artifact, evidence: name, offset, message, evidenceSource: dir });

  let input: Readable;
  try {
    input = await openMaybeGzip(file);
  } catch (e) {
    warn('unreadable', 0, (e as Error).message);
    return result;
  }

  let reader: Reader | null = o.format ? readerFor(o.format) : null;
  let consumer: LineConsumer | null = null;
  const held: [string, number][] = [];
  let nonBlank = 0;
  let first = true;

  const start = (): void => {
    if (!reader) {
      reader = detectReader(held.map(([t]) => t).filter((t) => t.trim() !== ''));
      if (!reader) {
        warn('unknown-format', 0, `not a format merge reads (${READERS.map((r) => r.format).join(', ')}); use --input-format to say which`);
        return;
      }
    }
    result.format = reader.format;
    const r = reader;
    const ctx: ReaderContext = {
      file, dir, name, zone: o.zone, zoneGiven: o.zoneGiven,
      warn: (kind, offset, message) => warn(kind, offset, message, r.artifact),
      emit: (e, hostPath) => { result.events++; emit(e, hostPath ?? null); },
      untimed: () => { result.untimed++; },
    };
    const rows = o.rows;
    if (rows) {
      ctx.rows = {
        row: (text, offset, line, secs, nanos, events) => {
          result.events += events;
          rows.row(text, offset, line, secs, nanos, events);
        },
      };
    }
    consumer = r.open(ctx);
    for (const [t, off] of held) consumer.line(t, off);
    held.length = 0;
  };
  let decided = o.format !== undefined;
  if (decided) start();

  const onLine = (buf: Buffer, offset: number): void => {
    result.lines++;
    let text = buf.toString('utf8');
    if (first) {
      first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (decided) {
      consumer?.line(text, offset);
      return;
    }
    held.push([text, offset]);
    if (text.trim() !== '' && ++nonBlank >= DETECT_LINES) {
      decided = true;
      start();
    }
  };
  const splitter = new LineSplitter(onLine, (offset, length) =>
    warn('overlong-line', offset, `line of ${length} bytes is longer than the 16 MiB limit; skipped`));
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) splitter.push(chunk);
  } catch (e) {
    warn('unreadable', splitter.bytes, `${(e as Error).message}; lines before this point are kept`);
  }
  splitter.end();
  if (!decided) {
    decided = true;
    if (held.some(([t]) => t.trim() !== '')) start();
    else warn('empty', 0, 'no lines to read');
  }
  (consumer as LineConsumer | null)?.end();
  return result;
}

/** A read stream of the file, through gunzip when it starts with the gzip magic. */
async function openMaybeGzip(file: string): Promise<Readable> {
  const fh = await open(file, 'r');
  let gz = false;
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new Error(`${file}: not a regular file`);
    const head = Buffer.alloc(2);
    const { bytesRead } = await fh.read(head, 0, 2, 0);
    gz = bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await fh.close();
  }
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  if (!gz) return raw;
  const gunzip = createGunzip();
  raw.on('error', (e) => gunzip.destroy(e));
  return raw.pipe(gunzip);
}
