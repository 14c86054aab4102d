import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';

/** Buffered text writer with back-pressure, to a file or stdout. */
export class OutputWriter {
  private buf: string[] = [];
  private len = 0;
  private readonly stream: Writable;

  constructor(file: string | null) {
    this.stream = file ? createWriteStream(file, { flags: 'w' }) : process.stdout;
  }

  async write(text: string): Promise<void> {
    if (!text) return;
    this.buf.push(text);
    this.len += text.length;
    if (this.len >= 1 << 20) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.len === 0) return;
    const chunk = this.buf.join('');
    this.buf = [];
    this.len = 0;
    if (!this.stream.write(chunk)) await new Promise((r) => this.stream.once('drain', r));
  }

  async close(): Promise<void> {
    await this.flush();
    if (this.stream === process.stdout) return;
    await new Promise<void>((resolve, reject) => this.stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
}
