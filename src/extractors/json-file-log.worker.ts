/**
 * Worker thread: formats chunks of json-file logs (see json-file-log.chunk.ts) for the main thread,
 * which merges them into the timeline. It reads the evidence only through the file descriptors the
 * main thread opened (read-only, no atime update, never through a symlink).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { formatChunk, type ChunkBuffers, type ChunkResult, type ChunkTask } from './json-file-log.chunk.js';
import { L2tCsvSink } from '../sinks/l2tcsv.js';
import type { RawLogSpec } from '../sinks/sink.js';

const spec = workerData as RawLogSpec;
const fmt = new L2tCsvSink(spec.zone, spec.hostname).rawLogs();

/** Result buffers the main thread handed back. */
const spares: ChunkBuffers[] = [];

parentPort!.on('message', (m: ChunkTask | { recycle: ChunkBuffers }) => {
  if ('recycle' in m) {
    if (spares.length < 8) spares.push(m.recycle);
    return;
  }
  const task = m;
  let r: ChunkResult;
  try {
    r = formatChunk(task, fmt, spares.pop());
  } catch (e) {
    r = { id: task.id, out: new Uint8Array(0), ends: new Uint32Array(0), seconds: new Float64Array(0), nanos: new Uint32Array(0), offsets: new Float64Array(0), flags: new Uint8Array(0), count: 0, error: (e as Error).message };
  }
  parentPort!.postMessage(r, [r.out.buffer as ArrayBuffer, r.ends.buffer as ArrayBuffer, r.seconds.buffer as ArrayBuffer, r.nanos.buffer as ArrayBuffer, r.offsets.buffer as ArrayBuffer, r.flags.buffer as ArrayBuffer]);
});
