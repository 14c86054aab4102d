import tar, { type Header } from 'tar-stream';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';

/**
 * A tar held as entries (header + bytes), to rebuild a real data root's archive into another
 * driver's layout without losing what the lab's GNU tar recorded: the pax `mtime`/`atime`/`ctime`
 * (nanoseconds) and `SCHILY.xattr.*` records ride along in `header.pax` and are written back as pax
 * records, so a rebuilt entry keeps the times the engine's files had.
 */
export type TarHeader = Omit<Partial<Header>, 'pax'> & { name: string; pax?: Record<string, string> | null };

export interface TarEntry {
  header: TarHeader;
  data: Buffer;
}

/** Every entry of a tar (gzip is detected by its magic). */
export async function readTar(bytes: Buffer): Promise<TarEntry[]> {
  const raw = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
  const out: TarEntry[] = [];
  const ex = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (header, stream, next) => {
      const parts: Buffer[] = [];
      stream.on('data', (c: unknown) => parts.push(c as Buffer));
      stream.on('end', () => {
        out.push({ header: { ...header, pax: (header.pax ?? null) as Record<string, string> | null }, data: Buffer.concat(parts) });
        next();
      });
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  ex.end(raw);
  await done;
  return out;
}

/** pax records of a header worth keeping (times, xattrs); `path`, `linkpath` and `size` are written anew. */
export function keptPax(h: TarHeader, drop: (key: string) => boolean = () => false): Record<string, string> {
  const pax: Record<string, string> = {};
  for (const [k, v] of Object.entries(h.pax ?? {})) if (!['path', 'linkpath', 'size'].includes(k) && !drop(k)) pax[k] = v;
  return pax;
}

/** The entries as a pax tar. */
export async function writeTar(entries: TarEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on('data', (c: unknown) => chunks.push(c as Buffer));
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  for (const { header, data } of entries) {
    const h = { ...header, size: data.length, pax: keptPax(header) };
    await new Promise<void>((resolve, reject) => pack.entry(h, data, (err) => (err ? reject(err) : resolve())));
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** The rebuilt root as `<name>.tar.gz` in `dir`, and unpacked by GNU tar (as root: devices, xattrs) into `dir/unpacked`. */
export function saveRebuilt(tarBytes: Buffer, name: string): { archive: string; unpacked: string } {
  const dir = mkdtempSync(path.join(tmpdir(), `dt-rebuilt-${name}-`));
  const archive = path.join(dir, `${name}.tar.gz`);
  writeFileSync(archive, gzipSync(tarBytes, { level: 1 }));
  const unpacked = path.join(dir, 'unpacked');
  execFileSync('mkdir', [unpacked]);
  execFileSync('tar', ['-xf', '-', '-C', unpacked, '--xattrs', '--xattrs-include=*', '--numeric-owner'], { input: tarBytes, maxBuffer: 1 << 26 });
  return { archive, unpacked };
}
