import { readSync } from 'node:fs';
import type { RawLogFormat } from '../sinks/sink.js';
import { newShape, readShape } from './json-file-line.js';

let inputBuf = Buffer.alloc(0);

/** A run of whole lines of a json-file log to format: `[start, end)` of the open file `fd`. */
export interface ChunkTask {
  id: number;
  fd: number;
  start: number;
  end: number;
  /** The sink's templates for stdout and stderr (see RawLogFormat.template). */
  templates: [unknown, unknown];
}

/** The lines of a chunk, in order: line i is `out[ends[i-1], ends[i])` (ends[-1] = 0). */
export interface ChunkResult {
  id: number;
  out: Uint8Array;
  ends: Uint32Array;
  /** The line's time, UTC: whole seconds and nanoseconds (for a formatted line). */
  seconds: Float64Array;
  nanos: Uint32Array;
  /** The line's byte offset in the file. */
  offsets: Float64Array;
  /** 0: formatted by the sink; 1: the line's own bytes (without `\n`), for the JSON path. */
  flags: Uint8Array;
  count: number;
  /** Set when the chunk could not be read; the caller reads it itself. */
  error?: string;
  /** Which worker made it (set by the main thread, to give its buffers back). */
  worker?: number;
}

/**
 * Format the lines of one chunk (in a worker thread): each line of Docker's exact shape through the
 * sink's fast path; any other line is passed back as it is for the JSON path. Nothing here can lose a
 * line: every line of the chunk is in the result, in order.
 */
/** Result buffers given back by the main thread once their lines are written, for the next tasks. */
export interface ChunkBuffers {
  out: ArrayBuffer;
  ends: ArrayBuffer;
  seconds: ArrayBuffer;
  nanos: ArrayBuffer;
  offsets: ArrayBuffer;
  flags: ArrayBuffer;
}

/** The buffers of a result, to be handed back (transferred) for reuse. */
export function chunkBuffers(r: ChunkResult): ChunkBuffers {
  return { out: r.out.buffer as ArrayBuffer, ends: r.ends.buffer as ArrayBuffer, seconds: r.seconds.buffer as ArrayBuffer, nanos: r.nanos.buffer as ArrayBuffer, offsets: r.offsets.buffer as ArrayBuffer, flags: r.flags.buffer as ArrayBuffer };
}

export function formatChunk(task: ChunkTask, fmt: RawLogFormat, spare?: ChunkBuffers): ChunkResult {
  const len = task.end - task.start;
  // one input buffer for every task of this thread: a buffer a task would drop is freed only by a
  // GC, which this thread, making few objects, seldom runs (measured: ~90 MB held per worker)
  if (inputBuf.length < len) inputBuf = Buffer.allocUnsafeSlow(len);
  const input = inputBuf.subarray(0, len);
  let got = 0;
  while (got < len) {
    const n = readSync(task.fd, input, got, len - got, task.start + got);
    if (n === 0) throw new Error(`file ended at offset ${task.start + got}, before ${task.end}`);
    got += n;
  }
  // buffers handed back by the main thread are reused (fresh ones cost page faults and GCs there)
  let cap = spare ? spare.flags.byteLength : 64 + ((len / 64) | 0);
  let ends = spare ? new Uint32Array(spare.ends) : new Uint32Array(cap);
  let seconds = spare ? new Float64Array(spare.seconds) : new Float64Array(cap);
  let nanos = spare ? new Uint32Array(spare.nanos) : new Uint32Array(cap);
  let offsets = spare ? new Float64Array(spare.offsets) : new Float64Array(cap);
  let flags = spare ? new Uint8Array(spare.flags) : new Uint8Array(cap);
  // never from Buffer's shared pool: the result's memory is handed over to the main thread
  let out: Buffer = spare && spare.out.byteLength >= len * 4 + 4096 ? Buffer.from(spare.out) : Buffer.allocUnsafeSlow(len * 4 + 4096);
  let pos = 0;
  let count = 0;
  const shape = newShape();
  for (let a = 0; a < len;) {
    let nl = input.indexOf(10, a);
    if (nl < 0) nl = len;
    if (count === cap) {
      cap *= 2;
      ends = grow(ends, new Uint32Array(cap));
      seconds = grow(seconds, new Float64Array(cap));
      nanos = grow(nanos, new Uint32Array(cap));
      offsets = grow(offsets, new Float64Array(cap));
      flags = grow(flags, new Uint8Array(cap));
    }
    if (nl > a) {
      let end = -1;
      if (readShape(input, shape, a, nl)) {
        const t = task.templates[shape.stderr ? 1 : 0];
        if (t) {
          const need = fmt.maxBytes(t, shape.textEnd - shape.textStart);
          if (pos + need > out.length) out = growBytes(out, pos, pos + need);
          end = fmt.format(input, shape, task.start + a, t, out, pos);
        }
      }
      if (end >= 0) {
        flags[count] = 0;
        seconds[count] = shape.seconds;
        nanos[count] = shape.nanos;
        pos = end;
      } else {
        const line = input.subarray(a, nl);
        if (pos + line.length > out.length) out = growBytes(out, pos, pos + line.length);
        out.set(line, pos);
        pos += line.length;
        flags[count] = 1;
      }
      ends[count] = pos;
      offsets[count] = task.start + a;
      count++;
    }
    a = nl + 1;
  }
  return { id: task.id, out: out.subarray(0, pos), ends, seconds, nanos, offsets, flags, count };
}

function grow<T extends Uint32Array | Float64Array | Uint8Array>(old: T, next: T): T {
  next.set(old as never);
  return next;
}

function growBytes(old: Buffer, used: number, need: number): Buffer {
  const next = Buffer.allocUnsafeSlow(Math.max(need, old.length * 2));
  old.copy(next, 0, 0, used);
  return next;
}
