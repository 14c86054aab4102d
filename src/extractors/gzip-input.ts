import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';

export interface GzipHeaderInfo {
  /** The JSON `{"lastTime":...}` Docker puts in FEXTRA of rotated logs, if any. */
  extra: string | null;
}

/** Parse the fixed gzip header and FEXTRA (RFC 1952) from the first bytes of a member. */
export function gzipHeaderExtra(head: Buffer): GzipHeaderInfo {
  if (head.length < 12 || head[0] !== 0x1f || head[1] !== 0x8b) return { extra: null };
  const flags = head[3]!;
  if (!(flags & 4)) return { extra: null };
  const xlen = head.readUInt16LE(10);
  if (head.length < 12 + xlen) return { extra: null };
  return { extra: head.subarray(12, 12 + xlen).toString('utf8') };
}

/**
 * Yield the artifact's bytes, decompressed when it is gzip (by magic, not by name). Errors of the
 * decompressor (corrupt or truncated member) and of the input are returned through `onError` with the
 * offset reached in the decompressed stream; everything before is still yielded. Every wait (for the
 * decompressor to drain, for the input) ends on an error or a close too: a member corrupt in its first
 * chunk must not leave a promise that never settles (Node then just exits, the output cut short).
 */
export async function* maybeGunzip(input: Readable, onGzip: (info: GzipHeaderInfo) => void, onError: (err: Error, decompressedOffset: number) => void, chunkSize?: number): AsyncGenerator<Buffer> {
  const it = (input as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) return;
  const head: Buffer = first.value;
  if (!(head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b)) {
    yield head;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }
  onGzip(gzipHeaderExtra(head));
  const gunzip = createGunzip(chunkSize ? { chunkSize } : {});
  let failed: Error | null = null;
  let out = 0;
  gunzip.on('error', (e) => { failed ??= e; });
  const stopped = (): boolean => failed !== null || gunzip.destroyed;
  /** Until the decompressor wants more, fails or is closed. */
  const writable = (): Promise<void> => new Promise((resolve) => {
    const done = (): void => {
      gunzip.off('drain', done);
      gunzip.off('error', done);
      gunzip.off('close', done);
      resolve();
    };
    gunzip.on('drain', done);
    gunzip.on('error', done);
    gunzip.on('close', done);
  });
  const feed = (async () => {
    try {
      let chunk: Buffer | null = head;
      while (chunk !== null && !stopped()) {
        if (!gunzip.write(chunk)) await writable();
        if (stopped()) break;
        const r = await it.next();
        chunk = r.done ? null : r.value;
      }
    } catch (e) {
      failed ??= e as Error; // the input itself broke (a truncated archive member, an I/O error)
    } finally {
      if (!gunzip.destroyed) gunzip.end();
      // drain the input so an archive reader can go on to its next member
      try {
        for (;;) { const r = await it.next(); if (r.done) break; }
      } catch { /* already reported */ }
    }
  })();
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      out += chunk.length;
      yield chunk;
    }
  } catch (e) {
    failed ??= e as Error;
  } finally {
    if (!gunzip.destroyed && failed === null && !gunzip.readableEnded) gunzip.destroy();
    await feed;
  }
  if (failed) onError(failed, out);
}
