import { closeSync, openSync, writeSync } from 'node:fs';

/**
 * Format of a spill run: records one after the other, each a 4-byte little-endian byte length and
 * that many bytes, then an end mark (the length END) and the number of records (8 bytes, little
 * endian): a run cut short anywhere, even between two records, is told from a complete one. The
 * records of a run are written in the order they are to be read back (sorted); what their bytes
 * mean, and their order, is the user's.
 */
export const PREFIX_BYTES = 4;
export const END = 0xffffffff;
export const TRAILER_BYTES = PREFIX_BYTES + 8;
/** Largest record (the prefix is a u32, END excluded). */
export const MAX_RECORD_BYTES = END - 1;
const DEFAULT_BUFFER = 1 << 20;

/**
 * Writes records to a new run file, synchronously, through a buffer (1 MiB unless one is given; a
 * record longer than the buffer goes straight to the file). `finish()` completes the run; `close()`
 * alone (in a `finally`, after a failure) leaves it incomplete, and a reader says so.
 */
export class RunWriter {
  private fd: number | null;
  private used = 0;
  private records = 0;
  /** Bytes written to the file so far (all of them once finished: the run's size). */
  bytes = 0;

  /** `buffer`: a scratch buffer to write through, for a user that writes many runs (no new one each time). */
  constructor(readonly file: string, private readonly buf: Buffer = Buffer.allocUnsafeSlow(DEFAULT_BUFFER)) {
    if (buf.length < TRAILER_BYTES) throw new Error(`run writer buffer of ${buf.length} bytes: at least ${TRAILER_BYTES}`);
    this.fd = openSync(file, 'w');
  }

  /** One record: bytes `[start, end)` of `src`. */
  write(src: Buffer, start = 0, end = src.length): void {
    this.writeWithHead(null, src, start, end);
  }

  /** One record: `head` then bytes `[start, end)` of `body` (a fixed key before variable bytes, without joining them first). */
  writeWithHead(head: Buffer | null, body: Buffer, start = 0, end = body.length): void {
    const headLen = head?.length ?? 0;
    const len = headLen + end - start;
    if (len > MAX_RECORD_BYTES) throw new Error(`spill record of ${len} bytes is too long`);
    this.records++;
    if (!this.room(PREFIX_BYTES + len)) {
      this.prefix(len);
      this.flush();
      if (head) this.put(head, 0, headLen);
      this.put(body, start, end);
      return;
    }
    this.prefix(len);
    if (head) head.copy(this.buf, this.used);
    body.copy(this.buf, this.used + headLen, start, end);
    this.used += len;
  }

  /** One record: the UTF-8 bytes of `text`. */
  writeString(text: string): void {
    // room for the longest encoding first: no byte count to make
    if (this.room(PREFIX_BYTES + text.length * 3)) {
      const n = this.buf.write(text, this.used + PREFIX_BYTES, 'utf8');
      this.records++;
      this.prefix(n);
      this.used += n;
      return;
    }
    this.write(Buffer.from(text, 'utf8'));
  }

  /** The run is complete: its end mark, and the file closed. */
  finish(): void {
    this.room(TRAILER_BYTES);
    this.prefix(END);
    this.buf.writeBigUInt64LE(BigInt(this.records), this.used);
    this.used += 8;
    this.flush();
    this.close();
  }

  /** Close the file (a run not finished first stays incomplete). */
  close(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    closeSync(fd);
  }

  private prefix(len: number): void {
    this.buf.writeUInt32LE(len, this.used);
    this.used += PREFIX_BYTES;
  }

  /** Room for `n` more bytes in the buffer (flushing it); false when `n` is more than the buffer holds. */
  private room(n: number): boolean {
    if (this.used + n <= this.buf.length) return true;
    this.flush();
    return n <= this.buf.length;
  }

  private put(src: Buffer, start: number, end: number): void {
    if (this.fd === null) throw new Error(`spill run ${this.file} is closed`);
    this.bytes += end - start;
    while (start < end) start += writeSync(this.fd, src, start, end - start);
  }

  private flush(): void {
    this.put(this.buf, 0, this.used);
    this.used = 0;
  }
}
