import { createWriteStream } from 'node:fs';
import { OUTPUT_FLAGS, OUTPUT_STREAM_FLAGS } from './output-file.js';
import { DirectWriteStream } from './direct-output.js';
import type { Writable } from 'node:stream';

const CHUNK = 1 << 20;
/** Bytes the file stream may hold before the writer waits: formatting goes on while earlier bytes are written. */
const WRITE_AHEAD = 4 << 20;
/** Chunk buffers kept for reuse once written. */
const SPARE = 12;
/**
 * Bytes from this many up, formatted elsewhere (a worker's lines), are written from where they are
 * instead of being copied into a chunk first: measured, the copy was a third of the main thread's work.
 */
export const LEND_MIN_BYTES = 64 << 10;

/**
 * Buffered writer to a file or stdout. Text is encoded piece by piece into a Buffer as it comes
 * (no batch string, no join, no Buffer.from of a large string: measured 40 % of the run time before);
 * full buffers are handed to the stream, and the caller awaits back-pressure between batches.
 * Chunk buffers come back for reuse once the stream has written them: a fresh buffer per megabyte
 * costs page faults and garbage collections (V8 collects when outside memory grows).
 */
export class OutputWriter {
  private buf: Buffer = Buffer.allocUnsafe(CHUNK);
  private len = 0;
  private readonly full: Buffer[] = [];
  /** What to call once a lent buffer of `full` is written (its bytes may then be reused). */
  private readonly lent = new Map<Buffer, () => void>();
  private readonly spare: Buffer[] = [];
  private readonly stream: Writable;

  private error: Error | null = null;

  constructor(file: string | null, direct = true) {
    // a file is written with O_DIRECT where its file system takes it (see DirectWriteStream)
    this.stream = file
      ? (direct ? DirectWriteStream.open(file, OUTPUT_FLAGS) : null) ?? createWriteStream(file, { flags: OUTPUT_STREAM_FLAGS, highWaterMark: WRITE_AHEAD })
      : process.stdout;
    this.stream.on('error', (e: Error) => { this.error = e; });
  }

  /** The current chunk is full: queue it and start another that can hold `need` bytes. */
  private next(need: number): void {
    if (this.len) this.full.push(this.buf.subarray(0, this.len));
    else this.recycle(this.buf);
    this.buf = need <= CHUNK ? this.spare.pop() ?? Buffer.allocUnsafe(CHUNK) : Buffer.allocUnsafe(need);
    this.len = 0;
  }

  private recycle(b: Buffer): void {
    if (b.byteOffset === 0 && b.buffer.byteLength === CHUNK && this.spare.length < SPARE) this.spare.push(Buffer.from(b.buffer, 0, CHUNK));
  }

  /** Encode a piece of text now. */
  piece(text: string): void {
    if (!text) return;
    // UTF-8 needs at most 3 bytes per UTF-16 unit
    if (this.len + text.length * 3 > this.buf.length) this.next(text.length * 3);
    this.len += this.buf.write(text, this.len);
  }

  /** Bytes formatted in advance, copied now (the caller may reuse `src` at once). */
  bytes(src: Buffer, start: number, end: number): void {
    let a = start;
    while (a < end) {
      if (this.len === this.buf.length) this.next(CHUNK);
      const n = Math.min(end - a, this.buf.length - this.len);
      this.buf.set(src.subarray(a, a + n), this.len);
      this.len += n;
      a += n;
    }
  }

  /**
   * Bytes formatted in advance whose buffer stays untouched until `release` is called: large runs are
   * written from where they are (release once written), small ones are copied (release at once).
   */
  lend(src: Buffer, start: number, end: number, release: () => void): void {
    if (end - start < LEND_MIN_BYTES) {
      this.bytes(src, start, end);
      release();
      return;
    }
    if (this.len) this.next(CHUNK);
    const view = src.subarray(start, end);
    this.full.push(view);
    this.lent.set(view, release);
  }

  /** A buffer of `full` is written: a lent one goes back to its owner, a chunk to the spares. */
  private written(b: Buffer): void {
    const release = this.lent.get(b);
    if (release) {
      this.lent.delete(b);
      release();
    } else {
      this.recycle(b);
    }
  }

  /** Hand what is buffered to the stream once a chunk is full, waiting while the stream is behind. */
  async drain(force = false): Promise<void> {
    if (this.error) throw this.error;
    if (force || this.len >= CHUNK) this.next(CHUNK);
    let ok = true;
    for (const b of this.full.splice(0)) ok = this.stream.write(b, () => this.written(b)) && ok;
    if (!ok) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.stream.off('drain', done);
          this.stream.off('error', done);
          this.stream.off('close', done);
          resolve();
        };
        this.stream.on('drain', done);
        this.stream.on('error', done);
        // (a stream destroyed without an error would otherwise leave this waiting for ever)
        this.stream.on('close', done);
      });
    }
    if (this.error) throw this.error;
  }

  async write(text: string): Promise<void> {
    this.piece(text);
    await this.drain();
  }

  async close(): Promise<void> {
    await this.drain(true);
    if (this.stream === process.stdout) return;
    await new Promise<void>((resolve, reject) => this.stream.end((err?: Error | null) => (err ?? this.error ? reject(err ?? this.error) : resolve())));
  }
}
