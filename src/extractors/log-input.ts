import type { Readable } from 'node:stream';
import { maybeGunzip } from './gzip-input.js';
import { isObject } from './read-bounded.js';

/** What the gzip header of a rotated log said. */
export interface LogInputInfo {
  compressed: boolean;
  /** The `{"lastTime":...}` Docker writes into the gzip header of a rotated log. */
  lastTime: string | null;
}

/** The `lastTime` of Docker's gzip FEXTRA JSON, if any. */
export function gzipLastTime(extra: string | null): string | null {
  if (!extra) return null;
  try {
    const o = JSON.parse(extra) as unknown;
    return isObject(o) && typeof o.lastTime === 'string' ? o.lastTime : null;
  } catch {
    return null;
  }
}

/** A log file's bytes (decompressed when gzip), with what its gzip header says; a broken gzip is a warning. */
export function logChunks(input: Readable, warn: (w: { kind: string; offset: number; message: string }) => void, unit: string): { chunks: AsyncGenerator<Buffer>; info: LogInputInfo } {
  const info: LogInputInfo = { compressed: false, lastTime: null };
  const chunks = maybeGunzip(
    input,
    (h) => {
      info.compressed = true;
      info.lastTime = gzipLastTime(h.extra);
    },
    (err, at) => warn({ kind: 'bad-gzip', offset: at, message: `gzip stream broken at decompressed offset ${at}: ${err.message}; ${unit} before it are kept` }),
  );
  return { chunks, info };
}
