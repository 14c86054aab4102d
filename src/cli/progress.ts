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

  done(): void {
    if (this.tty && this.last) this.tty.write('\r\x1b[K');
  }
}
