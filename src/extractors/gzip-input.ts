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
 * decompressor (corrupt or truncated member) are returned through `onError` with the offset reached
 * in the decompressed stream; everything before is still yielded.
 */
export async function* maybeGunzip(input: Readable, onGzip: (info: GzipHeaderInfo) => void, onError: (err: Error, decompressedOffset: number) => void): AsyncGenerator<Buffer> {
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
  const gunzip = createGunzip();
  let failed: Error | null = null;
  let out = 0;
  gunzip.on('error', (e) => { failed = e; });
  const feed = (async () => {
    try {
      if (!gunzip.write(head)) await new Promise((r) => gunzip.once('drain', r));
      for (;;) {
        if (failed) break;
        const r = await it.next();
        if (r.done) break;
        if (!gunzip.write(r.value)) await new Promise((res) => { gunzip.once('drain', res); gunzip.once('error', res); });
      }
    } finally {
      gunzip.end();
      // drain the input so an archive reader can go on to its next member
      for (;;) { const r = await it.next(); if (r.done) break; }
    }
  })();
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      out += chunk.length;
      yield chunk;
    }
  } catch (e) {
    failed = failed ?? (e as Error);
  }
  await feed.catch((e: Error) => { failed = failed ?? e; });
  if (failed) onError(failed, out);
}
