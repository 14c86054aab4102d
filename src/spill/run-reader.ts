import { closeSync, openSync, readSync } from 'node:fs';
import { END, PREFIX_BYTES, TRAILER_BYTES } from './run-writer.js';

const DEFAULT_BUFFER = 1 << 16;

/**
 * Reads the records of a run file (run-writer.ts) back one at a time, synchronously, through a
 * buffer of `bufferBytes` (grown for a record longer than it, and shrunk back after). The current
 * record is `buf[start, end)`, valid until the next `next()`: no Buffer is made per record.
 * A run is our own file: one that ends before its end mark (cut short: the disk filled up, the
 * writer failed, or the file was altered while the tool ran) is an error, never a shorter run.
 */
export class RunReader {
  private fd: number | null;
  private done = false;
  private records = 0;
  /** Bytes of the file read so far. */
  private pos = 0;
  /** Unread bytes in `buf`: `[end, filled)`. */
  private filled = 0;
  buf: Buffer;
  start = 0;
  end = 0;

  /** Size of the buffer (at least an end mark and a byte more). */
  private readonly size: number;

  constructor(readonly file: string, bufferBytes = DEFAULT_BUFFER) {
    this.size = Math.max(bufferBytes, TRAILER_BYTES + 1);
    this.buf = Buffer.allocUnsafeSlow(this.size);
    this.fd = openSync(file, 'r');
  }

  /** Move to the next record; false at the end of the run (the file is closed then). */
  next(): boolean {
    if (this.done) return false;
    if (!this.fill(PREFIX_BYTES)) this.fail(`cut short at byte ${this.at()} (no end mark)`);
    const len = this.buf.readUInt32LE(this.end);
    if (len === END) return this.last();
    if (!this.fill(PREFIX_BYTES + len)) this.fail(`cut short at byte ${this.at()}: ${this.filled - this.end - PREFIX_BYTES} of the ${len} bytes of record ${this.records + 1}`);
    this.records++;
    this.start = this.end + PREFIX_BYTES;
    this.end = this.start + len;
    return true;
  }

  /** The current record as UTF-8 text. */
  text(): string {
    return this.buf.toString('utf8', this.start, this.end);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  /** At the end mark: the count of records it holds must be those read, and nothing may follow. */
  private last(): false {
    if (!this.fill(TRAILER_BYTES)) this.fail(`cut short at byte ${this.at()} (in the end mark)`);
    const count = this.buf.readBigUInt64LE(this.end + PREFIX_BYTES);
    if (count !== BigInt(this.records)) this.fail(`${this.records} records read, the end mark says ${count}`);
    if (this.fill(TRAILER_BYTES + 1)) this.fail(`bytes after the end mark at byte ${this.at() + TRAILER_BYTES}`);
    this.done = true;
    this.start = this.end = this.filled = 0;
    this.close();
    return false;
  }

  /** At least `n` unread bytes in the buffer from `end` (false: the file ends before). */
  private fill(n: number): boolean {
    if (this.filled - this.end >= n) return true;
    const rest = this.filled - this.end;
    // the unread bytes to the front; a buffer grown for a long record back to its size when that will do
    const size = n > this.size ? Math.max(n, this.buf.length) : this.size;
    if (size !== this.buf.length) {
      const b = Buffer.allocUnsafeSlow(size);
      this.buf.copy(b, 0, this.end, this.filled);
      this.buf = b;
    } else if (this.end > 0) {
      this.buf.copy(this.buf, 0, this.end, this.filled);
    }
    this.start = this.end = 0;
    this.filled = rest;
    while (this.filled < n && this.fd !== null) {
      const got = readSync(this.fd, this.buf, this.filled, this.buf.length - this.filled, this.pos);
      if (got === 0) break;
      this.pos += got;
      this.filled += got;
    }
    return this.filled >= n;
  }

  /** Place in the file of the first unread byte. */
  private at(): number {
    return this.pos - (this.filled - this.end);
  }

  private fail(what: string): never {
    this.close();
    this.done = true;
    throw new Error(`spill run ${this.file} is damaged: ${what}`);
  }
}
