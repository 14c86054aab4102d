import type { FileHandle } from 'node:fs/promises';
import { createGunzip, type Gunzip } from 'node:zlib';

/**
 * Output chunk of the gunzip stream of a `.tar.gz` evidence archive. zlib's default (16 KiB) costs a
 * thread-pool round trip per 16 KiB: measured here on a 200 MB tar.gz, 895 ms at 16 KiB, 400 at 64 KiB,
 * 254 at 256 KiB, 225 at 1 MiB.
 *
 * The cost: when the archive's gzip stream is damaged, the bytes decompressed into the chunk being
 * filled (at most this many) are not given out (zlib drops them with the error), so up to 256 KiB
 * before the damage are not read; the bad-archive warning gives the offset reached. Compressed log
 * rotations, layer tar-split files and merge inputs keep zlib's default, so at most 16 KiB there.
 */
export const ARCHIVE_GUNZIP_CHUNK_BYTES = 256 << 10;

/** The gunzip stream of a `.tar.gz` evidence archive (see ARCHIVE_GUNZIP_CHUNK_BYTES). */
export function archiveGunzip(): Gunzip {
  return createGunzip({ chunkSize: ARCHIVE_GUNZIP_CHUNK_BYTES });
}

/** The open file starts with gzip's magic bytes. */
export async function isGzip(fh: FileHandle): Promise<boolean> {
  const buf = Buffer.alloc(2);
  await fh.read(buf, 0, 2, 0);
  return buf[0] === 0x1f && buf[1] === 0x8b;
}
