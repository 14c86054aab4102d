/**
 * A timeline line already formatted for the output (by a sink's fast path for large ordered logs),
 * carrying just what the timeline order needs (see compareEvents). `buf[start, end)` holds the
 * line's bytes, its newline included.
 */
export class RawLine {
  constructor(
    readonly timeNs: bigint,
    readonly evidenceSource: string,
    readonly evidence: string,
    readonly offset: number,
    readonly buf: Buffer,
    readonly start: number,
    readonly end: number,
  ) {}

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
