/** A progress line on stderr, only when stderr is a terminal. */
export class Progress {
  private n = 0;
  private last = 0;
  constructor(private readonly tty: NodeJS.WriteStream | null) {
    if (tty && !tty.isTTY) this.tty = null;
  }

  tick(): void {
    this.n++;
    if (!this.tty || (this.n & 0x3fff) !== 0) return;
    const now = Date.now();
    if (now - this.last < 500) return;
    this.last = now;
    this.tty.write(`\rdocker-timeline: ${this.n} events extracted...`);
  }

  /**
   * While the timeline is written (a large log merged at output time is read only then): items
   * written or dropped so far, of about `total` (a log's lines, counted before: a split line is one
   * event, a bad one none).
   */
  writing(done: number, total: number): void {
    if (!this.tty) return;
    const now = Date.now();
    if (now - this.last < 500) return;
    this.last = now;
    const pct = total > 0 ? Math.min(99, Math.floor((done / total) * 100)) : 0;
    this.tty.write(`\r\x1b[Kdocker-timeline: writing, ${done} of about ${total} events (${pct} %)...`);
  }

  done(): void {
    if (this.tty && this.last) this.tty.write('\r\x1b[K');
  }
}
