import { Transform } from 'node:stream';

/**
 * Counts bytes that pass, so a corrupt archive can be reported with an offset, and keeps the last few
 * MiB, so a member's raw header block can be looked at again (tar-stream turns a base-256 field it does
 * not know into 0: a time it would invent).
 */
export class RecentBytes extends Transform {
  bytes = 0;
  private readonly recent: { at: number; chunk: Buffer }[] = [];
  private held = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.recent.push({ at: this.bytes, chunk });
    this.held += chunk.length;
    while (this.held - this.recent[0]!.chunk.length >= RECENT_BYTES) this.held -= this.recent.shift()!.chunk.length;
    this.bytes += chunk.length;
    this.push(chunk);
    cb();
  }

  /** `length` bytes from stream offset `at`, if they are still held (searched from the newest chunk: headers are near it). */
  bytesAt(at: number, length: number): Buffer | null {
    let i = this.recent.length - 1;
    while (i >= 0 && this.recent[i]!.at > at) i--;
    if (i < 0) return null;
    const parts: Buffer[] = [];
    let need = length;
    let pos = at;
    for (; i < this.recent.length && need > 0; i++) {
      const { at: start, chunk } = this.recent[i]!;
      if (pos >= start + chunk.length) continue;
      const piece = chunk.subarray(pos - start, Math.min(chunk.length, pos - start + need));
      parts.push(piece);
      need -= piece.length;
      pos += piece.length;
    }
    return need === 0 ? (parts.length === 1 ? parts[0]! : Buffer.concat(parts)) : null;
  }
}

/** How much of the stream the counter keeps (tar-stream reads at most a few chunks ahead of the member it gives out). */
const RECENT_BYTES = 8 << 20;
