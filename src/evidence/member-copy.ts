import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';

/**
 * Copies an archive member's bytes, as they are, to a new file of the tool's own (never in the
 * evidence), so that it can be read again and with random access, as a directory's file is: the
 * member's bytes pass once through the archive's stream and cannot be read twice.
 *
 * If the copy cannot be finished (a damaged archive ends the member's stream with an error, or the
 * copy cannot be written), `replay` gives the member's bytes again, the copied ones followed by the
 * rest of the stream (and its error, if it had one), for the ordinary one-pass reading: nothing is lost.
 */
export async function copyMember(content: Readable, file: string): Promise<{ replay: Readable | null }> {
  const it = content[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let copied = 0;
  let pending: Buffer | null = null;
  let readError: unknown = null;
  const fh = await open(file, 'wx', 0o600).catch(() => null);
  if (fh) {
    try {
      for (;;) {
        let r: IteratorResult<Buffer>;
        try {
          r = await it.next();
        } catch (e) {
          readError = e;
          break;
        }
        if (r.done) return { replay: null };
        // a write may store part of the chunk (the disk filling up): what it did not store is written
        // again, or, if that fails, given by the replay after the bytes that are in the copy
        let done = 0;
        try {
          while (done < r.value.length) {
            const { bytesWritten } = await fh.write(r.value, done, r.value.length - done, copied + done);
            if (bytesWritten <= 0) throw new Error('nothing written');
            done += bytesWritten;
          }
        } catch {
          pending = r.value.subarray(done);
        }
        copied += done;
        if (pending) break;
      }
    } finally {
      await fh.close();
    }
  }
  return { replay: Readable.from(replay(file, copied, pending, it, readError), { objectMode: false }) };
}

async function* replay(file: string, copied: number, pending: Buffer | null, rest: AsyncIterator<Buffer>, readError: unknown): AsyncGenerator<Buffer> {
  if (copied > 0) yield* createReadStream(file, { start: 0, end: copied - 1 }) as AsyncIterable<Buffer>;
  if (readError !== null) throw readError;
  if (pending) yield pending;
  for (;;) {
    const r = await rest.next();
    if (r.done) return;
    yield r.value;
  }
}
