import test from 'ava';
import fc from 'fast-check';
import { closeSync, constants, mkdtempSync, openSync, readFileSync, renameSync, rmSync, write, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { DirectWriteStream } from '../../src/cli/direct-output.ts';
import { OUTPUT_FLAGS } from '../../src/cli/output-file.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'dt-direct-out-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const newFile = (): string => {
  const f = path.join(dir, `out-${n++}`);
  writeFileSync(f, '');
  return f;
};

/** This folder's file system takes O_DIRECT (then the stream must use it). */
const directHere = ((): boolean => {
  try {
    closeSync(openSync(newFile(), constants.O_WRONLY | constants.O_DIRECT));
    return true;
  } catch {
    return false;
  }
})();

async function writeChunks(s: DirectWriteStream, chunks: Buffer[]): Promise<void> {
  await pipeline(Readable.from(chunks), s);
}

/** Bytes that differ from position to position (a misplaced block shows). */
function bytes(len: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(len);
  for (let i = 0; i < len; i++) b[i] = (i * 31 + seed + (i >> 12)) & 0xff;
  return b;
}

test('the file holds exactly the bytes written, whatever the chunk sizes and the total (block and staging edges)', async (t) => {
  const sizes = [0, 1, 4095, 4096, 4097, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 3.5 * (1 << 20) + 123, 9 * (1 << 20)];
  for (const total of sizes) {
    const file = newFile();
    const s = DirectWriteStream.open(file, OUTPUT_FLAGS)!;
    t.truthy(s);
    const data = bytes(total, total);
    const chunks: Buffer[] = [];
    for (let a = 0, k = 0; a < total; k++) {
      const len = Math.min(total - a, [1, 7, 4096, 65_536, 1_500_000, 333][k % 6]!);
      chunks.push(data.subarray(a, a + len));
      a += len;
    }
    await writeChunks(s, chunks);
    t.true(readFileSync(file).equals(data), `${total} bytes`);
    if (directHere) t.is(s.mode, 'direct', 'written directly where the file system takes it');
  }
  await fc.assert(fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 300_000 }), { maxLength: 30 }), async (lens) => {
    const file = newFile();
    const s = DirectWriteStream.open(file, OUTPUT_FLAGS)!;
    const chunks = lens.map((l, i) => bytes(l, i));
    await writeChunks(s, chunks);
    return readFileSync(file).equals(Buffer.concat(chunks));
  }), { numRuns: 40 });
});

test('a direct write the file system refuses (EINVAL) or stores in part goes through the page cache: the same bytes', async (t) => {
  const data = bytes(5 * (1 << 20) + 999, 3);
  const chunks = [data.subarray(0, 2_000_000), data.subarray(2_000_000)];
  for (const fault of ['EINVAL', 'short'] as const) {
    const file = newFile();
    let directFd = -1;
    let faults = 0;
    const s = DirectWriteStream.open(file, OUTPUT_FLAGS, (fd, buf, off, len, pos, cb) => {
      if (directFd < 0) directFd = fd; // the first write goes to the direct descriptor
      if (fd === directFd && faults++ < 2) {
        if (fault === 'EINVAL') return cb(Object.assign(new Error('EINVAL: invalid argument'), { code: 'EINVAL' }), 0);
        return write(fd, buf, off, len >> 1, pos, cb);
      }
      write(fd, buf, off, len, pos, cb);
    })!;
    await writeChunks(s, chunks);
    t.true(readFileSync(file).equals(data), fault);
    t.is(s.mode, 'buffered', fault);
  }
});

test('a write that fails for another reason (a full disk) is an error of the stream, not a silently shorter file', async (t) => {
  const file = newFile();
  const s = DirectWriteStream.open(file, OUTPUT_FLAGS, (_fd, _buf, _off, _len, _pos, cb) => cb(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }), 0))!;
  await t.throwsAsync(writeChunks(s, [bytes(3 << 20, 1)]), { message: /ENOSPC/ });
});

test('only an empty regular file is written directly (a device, a file with bytes in it: the ordinary way)', (t) => {
  t.is(DirectWriteStream.open('/dev/null', OUTPUT_FLAGS), null);
  const full = path.join(dir, 'full');
  writeFileSync(full, 'x');
  t.is(DirectWriteStream.open(full, OUTPUT_FLAGS), null);
});

test('a failed write cuts the file where it was to go: never a run of zero bytes with later bytes after it', async (t) => {
  const file = newFile();
  let directFd = -1;
  const s = DirectWriteStream.open(file, OUTPUT_FLAGS, (fd, buf, off, len, pos, cb) => {
    if (directFd < 0) directFd = fd;
    // the second staging buffer (at 1 MiB) finds the disk full, late: the ones after it land first
    if (pos === 1 << 20) return void setTimeout(() => cb(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }), 0), 50);
    write(fd, buf, off, len, pos, cb);
  })!;
  const data = bytes(4 << 20, 9);
  await t.throwsAsync(writeChunks(s, [data.subarray(0, 1 << 20), data.subarray(1 << 20, 2 << 20), data.subarray(2 << 20)]), { message: /ENOSPC/ });
  const got = readFileSync(file);
  t.is(got.length, 1 << 20);
  t.true(got.equals(data.subarray(0, 1 << 20)));
});

test('the last partial block goes into the file that was opened, even if its name is another file\'s by then', async (t) => {
  const file = newFile();
  const s = DirectWriteStream.open(file, OUTPUT_FLAGS)!;
  const data = bytes((1 << 20) + 5000, 4);
  const moved = file + '.moved';
  renameSync(file, moved);
  writeFileSync(file, 'someone else');
  await writeChunks(s, [data]);
  t.true(readFileSync(moved).equals(data));
  t.is(readFileSync(file, 'utf8'), 'someone else');
});

test('destroyed while a write waits for a staging buffer: that write is answered with an error, nothing hangs', async (t) => {
  const file = newFile();
  const held: (() => void)[] = [];
  const s = DirectWriteStream.open(file, OUTPUT_FLAGS, (fd, buf, off, len, pos, cb) => {
    held.push(() => write(fd, buf, off, len, pos, cb));
  })!;
  s.on('error', () => {});
  let answered: Error | null | undefined;
  // four staging buffers fill and are sent (held); the fifth MiB waits for one of them
  s.write(bytes(5 << 20, 2), (err) => { answered = err; });
  await new Promise((r) => setTimeout(r, 50));
  t.is(answered, undefined);
  const closed = new Promise((r) => s.on('close', r));
  s.destroy();
  for (const h of held) h();
  await closed;
  t.true(answered instanceof Error, String(answered));
});

test.serial('a close that fails at the end is the stream\'s error (as the ordinary stream\'s), not dropped', async (t) => {
  const file = newFile();
  const s = DirectWriteStream.open(file, OUTPUT_FLAGS)!;
  // the ordinary descriptor closed behind the stream's back: its close at the end fails (EBADF)
  closeSync((s as unknown as { plainFd: number }).plainFd);
  await t.throwsAsync(writeChunks(s, [bytes(1 << 20, 5)]), { code: 'EBADF' });
});
