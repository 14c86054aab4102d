import { Decompress } from 'fzstd';

const ZSTD_MAGIC = 0xfd2fb528;
/** Compressed bytes fed per step: a zstd block can expand ~1000-fold, so a step yields a few MB at most. */
const STEP = 256;

/**
 * The bytes of a stream, decompressed when it is zstd (by magic; OCI layers may be zstd). Pure
 * JavaScript (fzstd): Node 20's zlib has no zstd. Output is handed on step by step, so a zstd bomb
 * cannot fill memory. A broken stream ends through `onError`, with what was decompressed kept.
 */
export async function* maybeUnzstd(chunks: AsyncIterable<Buffer>, onError: (err: Error) => void): AsyncGenerator<Buffer> {
  const it = chunks[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) return;
  if (!(first.value.length >= 4 && first.value.readUInt32LE(0) === ZSTD_MAGIC)) {
    yield first.value;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
    return;
  }
  const out: Buffer[] = [];
  const z = new Decompress((data) => { out.push(Buffer.from(data)); });
  try {
    for (let r: IteratorResult<Buffer> = first; !r.done; r = await it.next()) {
      for (let i = 0; i < r.value.length; i += STEP) {
        z.push(r.value.subarray(i, i + STEP));
        for (const b of out.splice(0)) yield b;
      }
    }
    z.push(new Uint8Array(0), true);
    for (const b of out.splice(0)) yield b;
  } catch (e) {
    onError(e as Error);
    for (let r = await it.next(); !r.done; r = await it.next()) { /* drain the archive member */ }
  }
}
