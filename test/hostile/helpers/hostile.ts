/**
 * Helpers of the hostile-evidence tests: raw tar blocks written by hand (so a test controls every
 * byte of a header), snapshots of folders (to show nothing was written), memory sampling, timeouts,
 * and a CLI run in a chosen working directory with a hard time limit.
 */
import { spawn } from 'node:child_process';
import { lstatSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { crc32, deflateRawSync, constants as zc } from 'node:zlib';
import { parseString } from 'fast-csv';
import { ROOT } from '../../helpers/run.ts';
import { extractSource } from '../../../src/pipeline.ts';
import { openEvidence } from '../../../src/cli/open-evidence.ts';
import { Warnings } from '../../../src/warnings.ts';
import type { TimelineEvent } from '../../../src/events/event.ts';

export const tmp = (prefix: string): string => mkdtempSync(path.join(tmpdir(), `dt-hostile-${prefix}-`));

export interface TarMember {
  /** The name as written in the header (raw bytes allowed). Longer than 100 bytes: a pax `path` record is added. */
  name: string | Buffer;
  /** Typeflag: `0` file, `1` hard link, `2` symlink, `3` char, `4` block, `5` dir, `6` FIFO. */
  type?: string;
  data?: string | Buffer;
  linkname?: string;
  mode?: number;
  /** Whole seconds (ustar). */
  mtime?: number;
  /** Raw 12-byte size field (overrides the size of `data`; the data is still written). */
  sizeField?: Buffer;
  /** Raw 12-byte mtime field. */
  mtimeField?: Buffer;
  /** pax records written in an `x` header before the member. */
  pax?: Record<string, string | Buffer>;
}

const octal = (n: number, width: number): string => n.toString(8).padStart(width - 1, '0') + '\0';

/** One 512-byte ustar header, checksum computed over the final bytes. */
export function tarHeader(m: TarMember, size: number): Buffer {
  const h = Buffer.alloc(512);
  const name = Buffer.isBuffer(m.name) ? m.name : Buffer.from(m.name);
  name.copy(h, 0, 0, Math.min(100, name.length));
  h.write(octal(m.mode ?? (m.type === '5' ? 0o755 : 0o644), 8), 100, 'latin1');
  h.write(octal(0, 8), 108, 'latin1');
  h.write(octal(0, 8), 116, 'latin1');
  if (m.sizeField) m.sizeField.copy(h, 124);
  else h.write(octal(size, 12), 124, 'latin1');
  if (m.mtimeField) m.mtimeField.copy(h, 136);
  else h.write(octal(m.mtime ?? 1767323045, 12), 136, 'latin1');
  h.write(m.type ?? '0', 156, 'latin1');
  if (m.linkname) h.write(m.linkname, 157, 100, 'utf8');
  h.write('ustar\0', 257, 'latin1');
  h.write('00', 263, 'latin1');
  h.write('root', 265, 'latin1');
  h.write('root', 297, 'latin1');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  return h;
}

const pad512 = (b: Buffer): Buffer => Buffer.concat([b, Buffer.alloc((512 - (b.length % 512)) % 512)]);

function paxBody(records: Record<string, string | Buffer>): Buffer {
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(records)) {
    const body = Buffer.concat([Buffer.from(` ${k}=`), Buffer.isBuffer(v) ? v : Buffer.from(v), Buffer.from('\n')]);
    let len = body.length + 1;
    while (String(len).length + body.length !== len) len = String(len).length + body.length;
    parts.push(Buffer.from(String(len)), body);
  }
  return Buffer.concat(parts);
}

/** A whole tar archive: each member's header (and pax header), its data padded to 512, two zero blocks. */
export function tarArchive(members: TarMember[], end = true): Buffer {
  const out: Buffer[] = [];
  for (const m of members) {
    const name = Buffer.isBuffer(m.name) ? m.name : Buffer.from(m.name);
    const pax: Record<string, string | Buffer> = { ...(m.pax ?? {}) };
    // the name's own bytes (a pax path is UTF-8 by the standard; GNU tar's hdrcharset=BINARY, or a forger, writes any bytes)
    if (name.length > 100) pax.path = name;
    if (Object.keys(pax).length) {
      const body = paxBody(pax);
      out.push(tarHeader({ name: 'PaxHeader', type: 'x' }, body.length), pad512(body));
    }
    const data = m.data === undefined ? Buffer.alloc(0) : Buffer.isBuffer(m.data) ? m.data : Buffer.from(m.data);
    out.push(tarHeader(m, data.length), pad512(data));
  }
  if (end) out.push(Buffer.alloc(1024));
  return Buffer.concat(out);
}

/** A tar base-256 numeric field of `width` bytes (two's complement for negatives, as GNU tar writes it). */
export function base256(value: bigint, width = 12): Buffer {
  const b = Buffer.alloc(width);
  let v = BigInt.asUintN(8 * width, value);
  for (let i = width - 1; i >= 0; i--) {
    b[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  b[0] = value < 0n ? 0xff : 0x80 | (b[0]! & 0x7f);
  return b;
}

/**
 * A gzip member of `count` copies of `block` for each `[block, count]` part, made without compressing
 * them all: each block is deflated once as a full-flushed segment (it references nothing before it),
 * so the segment can be repeated. 1 GiB of zeros comes out at about 1 MB in a fraction of a second.
 * Docker's FEXTRA `{"lastTime":...}` is added when given.
 */
export function repeatedGzip(parts: [Buffer, number][], lastTime?: string): Buffer {
  const head = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 3]);
  const out: Buffer[] = [head];
  if (lastTime !== undefined) {
    head[3] = 4;
    const extra = Buffer.from(JSON.stringify({ lastTime }));
    const xlen = Buffer.alloc(2);
    xlen.writeUInt16LE(extra.length);
    out.push(xlen, extra);
  }
  let crc = 0;
  let size = 0;
  for (const [block, count] of parts) {
    const seg = deflateRawSync(block, { level: 9, finishFlush: zc.Z_FULL_FLUSH });
    for (let i = 0; i < count; i++) {
      out.push(seg);
      crc = crc32(block, crc);
      size += block.length;
    }
  }
  out.push(deflateRawSync(Buffer.alloc(0), { finishFlush: zc.Z_FINISH }));
  const tail = Buffer.alloc(8);
  tail.writeUInt32LE(crc >>> 0, 0);
  tail.writeUInt32LE(size % 2 ** 32, 4);
  out.push(tail);
  return Buffer.concat(out);
}

/** Every entry below `dir` (not following symlinks) with its type, size and mtime: to show nothing was written. */
export function snapshot(dir: string, skip: (rel: string) => boolean = () => false): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const name of readdirSync(path.join(dir, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      if (skip(r)) continue;
      const st = lstatSync(path.join(dir, r), { bigint: true });
      out.push(`${r} ${st.mode.toString(8)} ${st.size} ${st.mtimeNs} ${st.nlink}`);
      if (st.isDirectory()) walk(r);
    }
  };
  walk('');
  return out;
}

export interface MemoryPeak {
  /** Largest growth over the baseline seen while `fn` ran (bytes). */
  rss: number;
  heapUsed: number;
}

/** Run `fn` while sampling process.memoryUsage() every 20 ms; the peak growth over the start. */
export async function measureMemory<T>(fn: () => Promise<T>): Promise<{ result: T; peak: MemoryPeak }> {
  global.gc?.();
  const base = process.memoryUsage();
  const peak: MemoryPeak = { rss: 0, heapUsed: 0 };
  const sample = (): void => {
    const m = process.memoryUsage();
    peak.rss = Math.max(peak.rss, m.rss - base.rss);
    peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed - base.heapUsed);
  };
  const timer = setInterval(sample, 20);
  try {
    const result = await fn();
    sample();
    return { result, peak };
  } finally {
    clearInterval(timer);
  }
}

/** Reject when `p` does not settle within `ms` (the run would otherwise hang the test). */
export async function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: still running after ${ms} ms`)), ms); })]);
  } finally {
    clearTimeout(timer);
  }
}

export interface Streamed {
  count: number;
  warnings: Warnings;
}

/** Extract one evidence in-process, handing each (unsorted) event to `onEvent` instead of keeping it. */
export async function streamEvents(evidence: string, onEvent: (e: TimelineEvent) => void): Promise<Streamed> {
  const warnings = new Warnings();
  let count = 0;
  await extractSource(openEvidence(evidence, warnings), { hostname: null }, warnings, (e) => { count++; onEvent(e); });
  return { count, warnings };
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Run the CLI in `cwd` (TMPDIR pointed at `tmpDir` when given), killed after `timeoutMs`; does not block the event loop. */
export function cliIn(args: string[], opts: { cwd?: string; tmpDir?: string; timeoutMs?: number } = {}): Promise<CliRun> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/docker-timeline.js'), ...args], {
      cwd: opts.cwd ?? ROOT, stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...(opts.tmpDir ? { TMPDIR: opts.tmpDir } : {}) },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), ms: Date.now() - start });
    });
  });
}

/** Parse CSV text (RFC 4180) into rows of cells, headers included, with fast-csv. */
export async function csvRows(text: string): Promise<string[][]> {
  const rows: string[][] = [];
  await new Promise<void>((resolve, reject) => {
    parseString<string[], string[]>(text, { headers: false })
      .on('error', reject).on('data', (r: string[]) => rows.push(r)).on('end', () => resolve());
  });
  return rows;
}
