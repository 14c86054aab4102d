import { closeSync, constants, fstatSync, ftruncateSync, openSync, write } from 'node:fs';
import { Writable } from 'node:stream';

/** File offsets and lengths of direct writes are multiples of this (a logical block of any disk here). */
const BLOCK = 4096;
/** Bytes per direct write: staging buffers of this size, in memory aligned to a page. */
const STAGE = 1 << 20;
/** Staging buffers: one being filled while the others are written. */
const STAGES = 4;
/** WebAssembly memory comes in pages of 64 KiB, page-aligned: direct I/O needs aligned buffers. */
const WASM_PAGE = 64 << 10;

type Write = (fd: number, buf: Uint8Array, offset: number, length: number, position: number, cb: (err: NodeJS.ErrnoException | null, written: number) => void) => void;

/**
 * The output file written with O_DIRECT: the bytes go from the tool's memory to the disk without
 * passing through the page cache. Measured on this VM: 7.6 GB written in 4.5 s with 1.1 s of system
 * time, against 17.6 s and 28 s through the page cache (whose cost here grows once gigabytes of it
 * are dirty), and 750 MB in 0.42 s against 0.48 s (0.12 s of system time against 0.76).
 *
 * Bytes are copied into page-aligned staging buffers of 1 MiB (WebAssembly memory: the one aligned
 * memory JavaScript can have) and written at block-aligned offsets; the last, partial block is
 * written at the end through a second, ordinary descriptor. A direct write the file system refuses
 * (EINVAL) is written through that ordinary descriptor instead, and so is everything after it.
 * The bytes in the file are the same either way.
 */
export class DirectWriteStream extends Writable {
  private readonly free: Uint8Array[] = [];
  private cur: Uint8Array | null = null;
  private len = 0;
  /** File position of `cur[0]`. */
  private pos = 0;
  private inFlight = 0;
  /** Who waits for a write to end (a free staging buffer, or none in flight). */
  private waiters: (() => void)[] = [];
  private failure: Error | null = null;
  /** Where the first failed write was to go: the file is cut there, so it never holds a gap. */
  private failedAt = Infinity;
  /** 'direct' while every write so far went directly; 'buffered' once one went through the page cache. */
  mode: 'direct' | 'buffered' = 'direct';

  private constructor(private readonly file: string, private readonly fd: number, private readonly plainFd: number, private readonly pwrite: Write) {
    super({ highWaterMark: STAGE });
    const mem = new WebAssembly.Memory({ initial: (STAGE * STAGES) / WASM_PAGE, maximum: (STAGE * STAGES) / WASM_PAGE });
    for (let i = 0; i < STAGES; i++) this.free.push(new Uint8Array(mem.buffer, i * STAGE, STAGE));
  }

  /**
   * A direct-write stream for an output file made ready by makeOutputFile (empty), or null where
   * O_DIRECT cannot be used (not a regular file, a file system that refuses it): write it the
   * ordinary way then. `pwrite` is replaceable for tests.
   */
  static open(file: string, flags: number, pwrite: Write = write): DirectWriteStream | null {
    if (!constants.O_DIRECT) return null;
    let fd = -1;
    let plainFd = -1;
    try {
      fd = openSync(file, flags | constants.O_DIRECT, 0o666);
      // the ordinary descriptor is opened now, not by name at the end (the name may then be another file's)
      plainFd = openSync(file, constants.O_WRONLY);
      const st = fstatSync(fd, { bigint: true });
      const plain = fstatSync(plainFd, { bigint: true });
      if (st.isFile() && st.size === 0n && plain.dev === st.dev && plain.ino === st.ino) return new DirectWriteStream(file, fd, plainFd, pwrite);
    } catch {
      // O_DIRECT refused, or the file cannot be opened twice: the ordinary stream
    }
    for (const d of [fd, plainFd]) if (d >= 0) closeSync(d);
    return null;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.put(chunk).then(() => cb(this.failure), cb);
  }

  private async put(chunk: Buffer): Promise<void> {
    let a = 0;
    while (a < chunk.length) {
      if (this.failure) throw this.failure;
      if (!this.cur) this.cur = await this.take();
      if (this.failure) throw this.failure;
      const n = Math.min(chunk.length - a, STAGE - this.len);
      this.cur.set(chunk.subarray(a, a + n), this.len);
      this.len += n;
      a += n;
      if (this.len === STAGE) this.send();
    }
  }

  /** A free staging buffer, once one is. */
  private async take(): Promise<Uint8Array> {
    while (this.free.length === 0) {
      if (this.destroyed) throw new Error(`writing ${this.file}: the output was closed`);
      await new Promise<void>((r) => { this.waiters.push(r); });
    }
    return this.free.pop()!;
  }

  private wakeAll(): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }

  /** Write the full staging buffer at its place in the file; it is free again once written. */
  private send(): void {
    const buf = this.cur!;
    const at = this.pos;
    this.cur = null;
    this.len = 0;
    this.pos += STAGE;
    this.inFlight++;
    this.writeAll(buf, 0, STAGE, at).then(
      () => undefined,
      (e: Error) => { this.failure ??= e; },
    ).finally(() => {
      this.inFlight--;
      this.free.push(buf);
      this.wakeAll();
    });
  }

  /** `buf[from, to)` at file position `at`, directly while the file system takes it, else through the page cache. */
  private async writeAll(buf: Uint8Array, from: number, to: number, at: number): Promise<void> {
    while (from < to) {
      let fd = this.mode === 'direct' ? this.fd : this.plain();
      let n: number;
      try {
        try {
          n = await this.pwriteP(fd, buf, from, to - from, at);
        } catch (e) {
          if (fd !== this.fd || (e as NodeJS.ErrnoException).code !== 'EINVAL') throw e;
          // the file system does not take direct writes after all: the page cache from here on
          this.mode = 'buffered';
          fd = this.plain();
          n = await this.pwriteP(fd, buf, from, to - from, at);
        }
        if (n <= 0) throw new Error(`writing ${this.file} stored nothing at offset ${at}`);
      } catch (e) {
        this.failedAt = Math.min(this.failedAt, at);
        throw e;
      }
      // a direct write that stored part of the bytes: the rest is no longer aligned
      if (n < to - from && fd === this.fd) this.mode = 'buffered';
      from += n;
      at += n;
    }
  }

  private pwriteP(fd: number, buf: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    return new Promise((resolve, reject) => this.pwrite(fd, buf, offset, length, position, (err, n) => (err ? reject(err) : resolve(n))));
  }

  /** The ordinary descriptor (the partial last block; everything, once a direct write is refused). */
  private plain(): number {
    return this.plainFd;
  }

  /** Every staging buffer written. */
  private async settle(): Promise<void> {
    while (this.inFlight > 0) await new Promise<void>((r) => { this.waiters.push(r); });
  }

  /**
   * After a failed write, the file is cut where that write was to go: writes after it that did land
   * would otherwise leave a run of zero bytes in the middle (the ordinary stream leaves a clean prefix).
   */
  private cutAtFailure(): void {
    if (this.failedAt === Infinity) return;
    try { ftruncateSync(this.plainFd, this.failedAt); } catch { /* the error already stands */ }
  }

  override _final(cb: (err?: Error | null) => void): void {
    (async () => {
      await this.settle();
      if (this.failure) {
        this.cutAtFailure();
        throw this.failure;
      }
      if (this.cur && this.len > 0) {
        const whole = this.len - (this.len % BLOCK);
        if (whole > 0) await this.writeAll(this.cur, 0, whole, this.pos);
        // the partial last block: a direct write's length must be a multiple of the block
        const saved = this.mode;
        this.mode = 'buffered';
        if (this.len > whole) await this.writeAll(this.cur, whole, this.len, this.pos + whole);
        this.mode = saved;
      }
      // a close that fails (EIO, a network file system's late ENOSPC) is the run's error, as the ordinary stream's is
      this.closeFds(true);
    })().then(() => cb(), (e: Error) => {
      this.cutAtFailure();
      this.closeFds();
      cb(e);
    });
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    // a writer waiting for a staging buffer gives up; writes still out hold the descriptor: it is
    // closed once they are done
    this.wakeAll();
    this.settle().finally(() => {
      this.cutAtFailure();
      this.closeFds();
      cb(err);
    });
  }

  private fdsClosed = false;

  /** `strict`: the first close error is thrown (both descriptors are closed first). */
  private closeFds(strict = false): void {
    if (this.fdsClosed) return;
    this.fdsClosed = true;
    let first: unknown = null;
    for (const fd of [this.fd, this.plainFd]) {
      try {
        closeSync(fd);
      } catch (e) {
        first ??= e;
      }
    }
    if (strict && first) throw first;
  }
}
