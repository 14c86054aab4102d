/** Longest line kept in memory; the rest of a longer line is skipped with a warning. */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;

export type LineHandler = (line: Buffer, offset: number) => void;
export type OverlongHandler = (offset: number, length: number) => void;
/** A line as `buf[start, end)` (no Buffer made per line): valid only during the call. */
export type RangeHandler = (buf: Buffer, start: number, end: number, offset: number) => void;

/**
 * Splits a byte stream at `\n` on Buffers (no string decoding, no per-line promise), reporting each
 * line's byte offset. A line longer than `maxLine` is not buffered: its start offset and length go to
 * `onOverlong`, so memory stays bounded on a 1 GB line with no newline.
 */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingLen = 0;
  private lineStart = 0;
  private consumed = 0;
  private skipping = false;

  private readonly onRange: RangeHandler;

  /** `onLine` gets each line as a Buffer of its own; or, with `ranges` set, a RangeHandler its place in the chunk. */
  constructor(onLine: LineHandler, onOverlong: OverlongHandler, maxLine?: number);
  constructor(onRange: RangeHandler, onOverlong: OverlongHandler, maxLine: number | undefined, ranges: true);
  constructor(onLine: LineHandler | RangeHandler, private readonly onOverlong: OverlongHandler, private readonly maxLine = MAX_LINE_BYTES, ranges = false) {
    this.onRange = ranges ? (onLine as RangeHandler) : (buf, start, end, offset) => (onLine as LineHandler)(buf.subarray(start, end), offset);
  }

  push(chunk: Buffer): void {
    let start = 0;
    const base = this.consumed;
    this.consumed += chunk.length;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) break;
      if (this.skipping) {
        this.onOverlong(this.lineStart, base + nl - this.lineStart);
        this.skipping = false;
      } else if (this.pendingLen > 0) {
        this.pending.push(chunk.subarray(start, nl));
        const line = Buffer.concat(this.pending, this.pendingLen + nl - start);
        this.pending = [];
        this.pendingLen = 0;
        this.onRange(line, 0, line.length, this.lineStart);
      } else {
        this.onRange(chunk, start, nl, base + start);
      }
      start = nl + 1;
      this.lineStart = base + start;
    }
    if (start < chunk.length && !this.skipping) {
      const rest = chunk.length - start;
      if (this.pendingLen + rest > this.maxLine) {
        this.skipping = true;
        this.pending = [];
        this.pendingLen = 0;
      } else {
        // copy: the chunk's memory may be reused by the stream
        this.pending.push(Buffer.from(chunk.subarray(start)));
        this.pendingLen += rest;
      }
    }
  }

  /** Flush an unterminated last line. */
  end(): void {
    if (this.skipping) {
      this.onOverlong(this.lineStart, this.consumed - this.lineStart);
    } else if (this.pendingLen > 0) {
      const line = Buffer.concat(this.pending, this.pendingLen);
      this.onRange(line, 0, line.length, this.lineStart);
    }
    this.pending = [];
    this.pendingLen = 0;
    this.skipping = false;
  }

  /** Bytes seen so far. */
  get bytes(): number {
    return this.consumed;
  }
}
