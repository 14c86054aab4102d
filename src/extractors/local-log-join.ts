import type { LogLineRecord } from './json-file-log.js';
import { BYTES_ESCAPED, decodeBytes } from './bytes-text.js';

interface Pending {
  record: Omit<LogLineRecord, 'text'>;
  parts: Uint8Array[];
  bytes: number;
}

/**
 * Joins the local driver's partial records of each stream as bytes, then makes each whole message
 * text once. Docker cuts a long line every 16 KiB of bytes, inside a UTF-8 sequence too: joined
 * first, a character cut in two comes back whole instead of as two escapes. And a line is escaped
 * (and flagged) as a whole or not at all, so its text reads back to its bytes exactly.
 */
export class LocalPartialJoiner {
  private pending = new Map<string, Pending>();
  constructor(private readonly emit: (r: LogLineRecord) => void, private readonly maxJoined = 64 * 1024 * 1024) {}

  /** One record: its fields (text aside), its bytes, and whether it ends the line. */
  add(r: Omit<LogLineRecord, 'text'>, line: Uint8Array, complete: boolean): void {
    let p = this.pending.get(r.stream);
    if (p) {
      p.parts.push(line);
      p.bytes += line.length;
      p.record.chunks += 1;
    } else {
      p = { record: r, parts: [line], bytes: line.length };
    }
    if (complete || p.bytes > this.maxJoined) {
      this.pending.delete(r.stream);
      this.out(p, !complete);
    } else {
      // held past this record: a copy, so the chunk it was read from is not kept alive
      p.parts[p.parts.length - 1] = Buffer.from(line);
      this.pending.set(r.stream, p);
    }
  }

  /** End of file: what is still open was never terminated; it is kept, marked so. */
  flush(): void {
    for (const p of this.pending.values()) this.out(p, true);
    this.pending.clear();
  }

  private out(p: Pending, unterminated: boolean): void {
    const { text, escaped } = decodeBytes(p.parts.length === 1 ? p.parts[0]! : Buffer.concat(p.parts), 'invalid');
    const attrs = escaped ? { ...(p.record.attrs ?? {}), bytes_escaped: BYTES_ESCAPED } : p.record.attrs;
    this.emit({ ...p.record, text, attrs, unterminated });
  }
}
