import { open, rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { maybeGunzip } from './gzip-input.js';
import { gzipLastTime } from './log-input.js';

/** What a compressed artifact's decompressed copy holds (see gunzipCopy). */
export interface Decompressed {
  /** The copy: the artifact's decompressed bytes, in a file of the tool's own. */
  file: string;
  /** The `{"lastTime":...}` Docker wrote into the gzip header of a rotated log. */
  lastTime: string | null;
}

/**
 * Output chunk of the copy's gunzip: zlib's default (16 KiB) costs a thread-pool round trip each
 * (200 MB: 895 ms against 254 ms). Bytes lost with an error do not matter here: a damaged stream
 * gives no copy.
 */
const CHUNK = 256 << 10;

/**
 * A gzip artifact (a compressed log rotation) decompressed once into `file` (made new, mode 0600, under
 * --tmp-dir: never in the evidence), so that worker threads can check and format it in parts as they do
 * a plain log. Only a gzip stream read whole without error gives a copy: an artifact that is not gzip,
 * a damaged stream or a copy that cannot be written give null (the file is removed), and the artifact
 * is then read the ordinary way, which keeps what decompressed before a damage and warns about it.
 */
export async function gunzipCopy(input: Readable, file: string): Promise<Decompressed | null> {
  let gzip = false;
  let lastTime: string | null = null;
  let failed = false;
  const fh = await open(file, 'wx', 0o600).catch(() => null);
  if (!fh) {
    input.destroy();
    return null;
  }
  let at = 0;
  try {
    const chunks = maybeGunzip(input, (h) => { gzip = true; lastTime = gzipLastTime(h.extra); }, () => { failed = true; }, CHUNK);
    for await (const chunk of chunks) {
      if (!gzip) break;
      let done = 0;
      while (done < chunk.length) {
        const { bytesWritten } = await fh.write(chunk, done, chunk.length - done, at + done);
        if (bytesWritten <= 0) throw new Error('nothing written');
        done += bytesWritten;
      }
      at += done;
    }
  } catch {
    failed = true;
  } finally {
    await fh.close();
    input.destroy();
  }
  if (!gzip || failed) {
    await rm(file, { force: true });
    return null;
  }
  return { file, lastTime };
}
