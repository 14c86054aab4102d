import type { Readable } from 'node:stream';
import type { ArtifactRef, ExtractOutput, RawInput } from './extractor.js';
import { jsonLogItemsParallel, logTemplates } from './json-file-log.parallel.js';
import { logWorkers } from './log-workers.js';
import type { Context } from './context.js';
import type { RawLogFormat } from '../sinks/sink.js';
import { RawLine, type TimelineItem } from '../events/raw-line.js';
import { JsonLogReader, type LogLineRecord } from './json-file-log.js';
import { LineSplitter } from './line-splitter.js';
import { logChunks } from './log-input.js';
import { logLineEvents, logMessagePrefix } from './log-line.timemap.js';
import { newShape, readShape } from './json-file-line.js';

/** Bytes of formatted lines per output buffer. */
const OUT_BYTES = 1 << 18;

/**
 * The items of a json-file log for a sink with a raw fast path (see RawLogFormat): a line of
 * Docker's exact shape is written by the sink straight from its bytes (a RawLine); any other line,
 * and the first of each stream (whose event gives the sink its template), takes the JSON path of
 * `extract` and comes out as events. Same lines, same warnings, same order as `extract` + toEvents.
 * Yields one batch per chunk read.
 */
export async function* jsonLogItems(ref: ArtifactRef, raw: RawInput, ctx: Context, fmt: RawLogFormat, out: ExtractOutput<LogLineRecord>): AsyncGenerator<TimelineItem[]> {
  const plan = raw.quick?.plan;
  const workers = logWorkers();
  // a large log, read by few: worker threads format it; the templates must not need the JSON path
  if (plan && plan.length > 2 && workers > 0 && raw.sources <= 4 && fmt.workerSpec) {
    const templates = logTemplates(ref, ctx, fmt, raw.decompressed !== undefined);
    if (templates[0] && templates[1]) {
      // (a compressed rotation: its decompressed copy)
      const fh = await raw.handle();
      try {
        yield* jsonLogItemsParallel(ref, fh, plan, templates, ctx, fmt, out, workers, raw.decompressed ?? null);
      } finally {
        await fh.close();
      }
      return;
    }
  }
  // larger reads when fewer logs are merged at once (each holds a chunk and its formatted lines);
  // a compressed rotation's own bytes (decompressed again here: its lines take the JSON path)
  const input = await raw.stream(Math.max(1 << 16, Math.min(1 << 20, (32 << 20) / raw.sources)));
  try {
    yield* jsonLogItemsHere(ref, input, ctx, fmt, out);
  } finally {
    input.destroy();
  }
}

/** The same on this thread, from a stream. */
export async function* jsonLogItemsHere(ref: ArtifactRef, input: Readable, ctx: Context, fmt: RawLogFormat, out: ExtractOutput<LogLineRecord>): AsyncGenerator<TimelineItem[]> {
  let batch: TimelineItem[] = [];
  const reader = new JsonLogReader(ref, out, (r) => {
    for (const e of logLineEvents(r, ctx)) {
      batch.push(e);
      const k = r.stream === 'stderr' ? 1 : r.stream === 'stdout' ? 0 : -1;
      if (k >= 0 && templates[k] === undefined && !r.unterminated && r.chunks === 1) {
        templates[k] = fmt.template(e, logMessagePrefix(ctx.label(r.containerId), r.stream)) ?? null;
      }
    }
  });
  // per stream (stdout, stderr): not yet known, none (JSON path), or the sink's template
  const templates: unknown[] = [undefined, undefined];
  const shape = newShape();
  const evidence = ref.entry.path;
  const source = ctx.evidenceSource;
  let dst = Buffer.allocUnsafe(OUT_BYTES);
  let pos = 0;
  let lastSeconds = NaN;
  let secondNs = 0n;
  const onLine = (line: Buffer, start: number, lineEnd: number, offset: number): void => {
    if (!reader.info.compressed && !reader.holding && readShape(line, shape, start, lineEnd)) {
      const t = templates[shape.stderr ? 1 : 0];
      if (t) {
        const need = fmt.maxBytes(t, shape.textEnd - shape.textStart);
        if (pos + need > dst.length) {
          dst = Buffer.allocUnsafe(Math.max(OUT_BYTES, need));
          pos = 0;
        }
        if (shape.seconds !== lastSeconds) {
          lastSeconds = shape.seconds;
          secondNs = BigInt(lastSeconds) * 1_000_000_000n;
        }
        const end = fmt.format(line, shape, offset, t, dst, pos);
        if (end >= 0) {
          const r = new RawLine(secondNs, shape.nanos, source, evidence, offset, dst, pos, end);
          batch.push(r);
          if (reader.info.lastTime !== null) reader.sawTime(r.timeNs);
          pos = end;
          return;
        }
      }
    }
    reader.line(line.subarray(start, lineEnd), offset);
  };
  const splitter = new LineSplitter(onLine, reader.overlong, undefined, true);
  const { chunks, info } = logChunks(input, out.warn, 'lines');
  reader.info = info;
  try {
    for await (const chunk of chunks) {
      splitter.push(chunk);
      if (batch.length) {
        yield batch;
        batch = [];
      }
    }
  } catch (e) {
    reader.stopped(splitter.bytes, e as Error);
  }
  splitter.end();
  reader.end();
  if (batch.length) yield batch;
}
