/**
 * Worker thread for large json-file logs (see log-workers.ts): checks parts of a log for order
 * (json-file-log.check.ts) and formats chunks of it (json-file-log.chunk.ts). It reads the evidence
 * only through the file descriptors the main thread opened (read-only, no atime update, never
 * through a symlink).
 */
import { parentPort } from 'node:worker_threads';
import { formatChunk, type ChunkBuffers, type ChunkResult, type ChunkTask } from './json-file-log.chunk.js';
import { checkChunk, type CheckResult, type CheckTask } from './json-file-log.check.js';
import { L2tCsvSink } from '../sinks/l2tcsv.js';
import { JsonlSink } from '../sinks/jsonl.js';
import { BodyfileSink } from '../sinks/bodyfile.js';
import { TimesketchCsvSink, TimesketchJsonlSink } from '../sinks/timesketch.js';
import type { RawLogFormat, RawLogSpec } from '../sinks/sink.js';

/** Formatters by spec (made once). */
const formats = new Map<string, RawLogFormat>();
/** Result buffers the main thread handed back. */
const spares: ChunkBuffers[] = [];

type Message = (ChunkTask & { kind: 'format'; spec: RawLogSpec }) | (CheckTask & { kind: 'check'; id: number }) | { recycle: ChunkBuffers };

/** The CSV sink with the main thread's columns (its header sets them from the field names). */
function timesketchCsv(zone: string, guard: boolean, columns: string[]): RawLogFormat {
  const sink = new TimesketchCsvSink(zone, guard);
  sink.header({ fieldNames: columns });
  return sink.rawLogs();
}

function format(task: ChunkTask & { spec: RawLogSpec }): void {
  const key = JSON.stringify(task.spec);
  let fmt = formats.get(key);
  if (!fmt) {
    const spec = task.spec;
    fmt = spec.sink === 'jsonl' ? new JsonlSink().rawLogs()
      : spec.sink === 'bodyfile' ? new BodyfileSink().rawLogs()
      : spec.sink === 'timesketch-jsonl' ? new TimesketchJsonlSink(spec.zone).rawLogs()
        : spec.sink === 'timesketch-csv' ? timesketchCsv(spec.zone, spec.guard, spec.columns)
          : new L2tCsvSink(spec.zone, spec.hostname).rawLogs();
    formats.set(key, fmt);
  }
  let r: ChunkResult;
  try {
    r = formatChunk(task, fmt, spares.pop());
  } catch (e) {
    r = { id: task.id, out: new Uint8Array(0), ends: new Uint32Array(0), seconds: new Float64Array(0), nanos: new Uint32Array(0), offsets: new Float64Array(0), flags: new Uint8Array(0), count: 0, error: (e as Error).message };
  }
  parentPort!.postMessage(r, [r.out.buffer as ArrayBuffer, r.ends.buffer as ArrayBuffer, r.seconds.buffer as ArrayBuffer, r.nanos.buffer as ArrayBuffer, r.offsets.buffer as ArrayBuffer, r.flags.buffer as ArrayBuffer]);
}

parentPort!.on('message', (m: Message) => {
  if ('recycle' in m) {
    if (spares.length < 8) spares.push(m.recycle);
  } else if (m.kind === 'check') {
    let r: CheckResult;
    try {
      r = { id: m.id, ...checkChunk(m) };
    } catch (e) {
      r = { id: m.id, doubt: true, ordered: false, count: 0, first: null, last: null, plan: [], error: (e as Error).message };
    }
    parentPort!.postMessage(r);
  } else {
    format(m);
  }
});
