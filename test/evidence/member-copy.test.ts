/** Review: copyMember's replay gives exactly the member's bytes, whatever the copy's writes did. */
import test from 'ava';
import { mkdtempSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { copyMember } from '../../src/evidence/member-copy.ts';

test('a write that stores only part of a chunk (the disk filling up), then fails: the replay still gives every byte', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dt-review-copy-'));
  const probe = await open(path.join(dir, 'probe'), 'w');
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const proto = Object.getPrototypeOf(probe) as { write: (...a: any[]) => Promise<{ bytesWritten: number; buffer: Buffer }> };
  await probe.close();
  const real = proto.write;
  let calls = 0;
  proto.write = async function (this: unknown, buf: Buffer, off: number, len: number, pos: number) {
    calls++;
    if (calls === 2) return real.call(this, buf, off, 10, pos); // short write: 10 bytes of the chunk
    if (calls > 2) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    return real.call(this, buf, off, len, pos);
  };
  const chunks = [Buffer.alloc(100, 'a'), Buffer.alloc(100, 'b'), Buffer.alloc(100, 'c'), Buffer.alloc(100, 'd')];
  let replayed: Buffer;
  try {
    const { replay } = await copyMember(Readable.from(chunks, { objectMode: false }), path.join(dir, 'copy'));
    t.truthy(replay, 'the copy could not be finished: the member is replayed');
    const parts: Buffer[] = [];
    for await (const c of replay!) parts.push(c as Buffer);
    replayed = Buffer.concat(parts);
  } finally {
    proto.write = real;
  }
  t.is(replayed.toString('latin1'), Buffer.concat(chunks).toString('latin1'));
});
