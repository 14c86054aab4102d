import type { Readable } from 'node:stream';

/** Largest JSON config read into memory; a bigger file is reported, not read. */
export const MAX_CONFIG_BYTES = 64 * 1024 * 1024;

/** Read a whole (small) artifact, or return null and drain the rest when it exceeds `max` bytes. */
export async function readBounded(stream: Readable, max = MAX_CONFIG_BYTES): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let total = 0;
  let over = false;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    if (over) continue;
    total += chunk.length;
    if (total > max) {
      over = true;
      chunks.length = 0;
      continue;
    }
    chunks.push(chunk);
  }
  return over ? null : Buffer.concat(chunks);
}

/**
 * Byte offset of `"key":<json value>` in a raw JSON document, so an examiner can find the value
 * that a time came from. Searches from `from`; returns -1 when the exact text is not there.
 */
export function locateValue(raw: Buffer, key: string, value: unknown, from = 0): number {
  const needle = `"${key}":${JSON.stringify(value)}`;
  const i = raw.indexOf(needle, from, 'utf8');
  return i < 0 ? -1 : i;
}

/** Parse JSON, returning the error message instead of throwing. */
export function tryParseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
