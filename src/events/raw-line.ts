/**
 * A timeline line already formatted for the output (by a sink's fast path for large ordered logs),
 * carrying just what the timeline order needs (see compareEvents). `buf[start, end)` holds the
 * line's bytes, its newline included.
 */
/**
 * What the lines formatted into one buffer share: once each of them is written (or dropped), the
 * buffer is given back to the worker that made it, for its next chunk.
 */
export class LineBuffer {
  constructor(private left: number, private readonly free: () => void) {}

  /** `n` of its lines are written: their bytes are no longer read. */
  done(n = 1): void {
    this.left -= n;
    if (this.left === 0) this.free();
  }
}

export class RawLine {
  private t: bigint | null = null;

  /**
   * The time is kept as its whole second (a bigint shared by the lines of that second) and the
   * nanoseconds: the bigint sum is made only when something asks (the merge, at a batch's edges).
   */
  constructor(
    readonly secondNs: bigint,
    readonly nanos: number,
    readonly evidenceSource: string,
    readonly evidence: string,
    readonly offset: number,
    readonly buf: Buffer,
    readonly start: number,
    readonly end: number,
    /** Set when `buf` is given back once the line is written: call `owner.done()` then, and read it no more. */
    readonly owner: LineBuffer | null = null,
  ) {}

  /** The same line in a buffer of its own (to be held after its owner's buffer is given back). */
  copy(): RawLine {
    return new RawLine(this.secondNs, this.nanos, this.evidenceSource, this.evidence, this.offset, Buffer.from(this.buf.subarray(this.start, this.end)), 0, this.end - this.start);
  }

  get timeNs(): bigint {
    return (this.t ??= this.secondNs + BigInt(this.nanos));
  }

  /** Raw lines are log lines. */
  get kind(): string {
    return 'container.log';
  }

  /** The line as text, without its newline. */
  text(): string {
    return this.buf.toString('utf8', this.start, this.end - 1);
  }
}

/** What flows out of the sorter: events, and lines a sink formatted in advance. */
export type TimelineItem = import('./event.js').TimelineEvent | RawLine;
