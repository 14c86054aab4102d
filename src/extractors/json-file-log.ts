import type { Readable } from 'node:stream';
import { PLAN_CHUNK_BYTES, type ArtifactRef, type ExtractOutput, type Extractor, type QuickOrder } from './extractor.js';
import { containerPath } from './paths.js';
import { isUtf8 } from 'node:buffer';
import { isObject } from './read-bounded.js';
import { BYTES_ESCAPED, decodeBytes, escapeText } from './bytes-text.js';
import { parseJsonBytes } from './json-bytes.js';
import { LineSplitter } from './line-splitter.js';
import { maybeGunzip } from './gzip-input.js';
import { logChunks, type LogInputInfo } from './log-input.js';
import { formatUtcNs, parseRfc3339 } from '../time/nanotime.js';
import { logLineEvents } from './log-line.timemap.js';
import { newShape, quotesEscaped, readLayout, readUtcTime } from './json-file-line.js';
import { jsonLogItems } from './json-file-log.fast.js';
import { jsonLogQuickOrderParallel } from './json-file-log.parallel.js';

/** One log message as the container wrote it (chunks of a split line joined back). */
export interface LogLineRecord {
  containerId: string;
  timeNs: bigint;
  /** The time text as stored (json-file) or null (local driver: integer ns). */
  timeRaw: string | null;
  stream: string;
  /** The text without its trailing newline. */
  text: string;
  /** Byte offset of the (first chunk's) record in the artifact; decompressed stream for `.gz`. */
  offset: number;
  /** Number of chunks joined (1 when the line was not split). */
  chunks: number;
  /** The last chunk had no newline: output still unterminated when the file ended. */
  unterminated: boolean;
  attrs: Record<string, string> | null;
  evidence: string;
  /** `json-file` or `local`. */
  driver: 'json-file' | 'local';
  compressed: boolean;
  rotation: number;
}

/** `<id>-json.log`, `.N`, `.N.gz` → rotation number (0 = current file). */
export function jsonLogRotation(rest: string, id: string): number | null {
  const m = /^(.+)-json\.log(?:\.(\d+))?(?:\.gz)?$/.exec(rest);
  if (!m || m[1] !== id) return null;
  return m[2] ? Number(m[2]) : 0;
}

/** Joins the chunks Docker split at 16 KiB: a chunk whose text lacks a trailing `\n` continues in the next one of its stream. */
export class PartialJoiner {
  private pending = new Map<string, LogLineRecord>();
  constructor(private readonly emit: (r: LogLineRecord) => void, private readonly maxJoined = 64 * 1024 * 1024) {}

  add(r: LogLineRecord, complete: boolean): void {
    const prev = this.pending.get(r.stream);
    let cur = r;
    if (prev) {
      // one escaped chunk makes the whole line escaped (a line reads back to its bytes only as a whole)
      const was = prev.attrs?.bytes_escaped !== undefined;
      const is = r.attrs?.bytes_escaped !== undefined;
      if (was && !is) r.text = escapeText(r.text);
      if (is && !was) {
        prev.text = escapeText(prev.text);
        prev.attrs = { ...prev.attrs, bytes_escaped: BYTES_ESCAPED };
      }
      prev.text = was || is ? joinEscaped(prev.text, r.text) : prev.text + r.text;
      prev.chunks += 1;
      cur = prev;
    }
    if (complete || cur.text.length > this.maxJoined) {
      this.pending.delete(r.stream);
      cur.unterminated = !complete;
      this.emit(cur);
    } else {
      this.pending.set(r.stream, cur);
    }
  }

  get holding(): boolean {
    return this.pending.size > 0;
  }

  /** End of file: what is still open was never terminated; it is kept, marked so. */
  flush(): void {
    for (const r of this.pending.values()) {
      r.unterminated = true;
      this.emit(r);
    }
    this.pending.clear();
  }
}

/**
 * Two escaped texts joined: a backslash among the first one's last three characters is literal (an
 * escape takes four), but with the second one's start it may read as `\xHH`: it is then escaped.
 */
function joinEscaped(a: string, b: string): string {
  const k = a.indexOf('\\', Math.max(0, a.length - 3));
  return k < 0 ? a + b : a.slice(0, k) + escapeText(a.slice(k) + b.slice(0, 3)) + b.slice(3);
}

/**
 * Reads the lines of one json-file log into records: JSON.parse per line, chunks of a split line
 * joined, every problem a warning with its offset. Shared by `extract` and the fast paths.
 */
export class JsonLogReader {
  info: LogInputInfo = { compressed: false, lastTime: null };
  private lastNs: bigint | null = null;
  private readonly joiner: PartialJoiner;
  private readonly id: string;
  private readonly rotation: number;

  constructor(private readonly ref: ArtifactRef, private readonly out: ExtractOutput<LogLineRecord>, emit: (r: LogLineRecord) => void) {
    const { id, rest } = containerPath(ref.rel)!;
    this.id = id;
    this.rotation = jsonLogRotation(rest, id)!;
    this.joiner = new PartialJoiner((r) => {
      if (this.lastNs === null || r.timeNs > this.lastNs) this.lastNs = r.timeNs;
      emit(r);
    });
  }

  /** One line (without its `\n`) at its byte offset. */
  line(line: Buffer, offset: number): void {
    const out = this.out;
    if (line.length === 0) return;
    let obj: unknown;
    // a line holding bytes that are not UTF-8 (Docker never writes one) keeps them, escaped and flagged
    const valid = isUtf8(line);
    try {
      obj = valid ? JSON.parse(line.toString('utf8')) : parseJsonBytes(line);
    } catch (e) {
      out.warn({ kind: 'bad-json', offset, message: `log line is not JSON (${(e as Error).message}): ${JSON.stringify(decodeBytes(line.subarray(0, 200), 'invalid').text)}${line.length > 200 ? '...' : ''}` });
      return;
    }
    if (!isObject(obj) || typeof obj.time !== 'string') {
      out.warn({ kind: 'bad-log-entry', offset, message: 'log line has no "time" string; no event made' });
      return;
    }
    const t = parseRfc3339(obj.time);
    if (!t) {
      out.warn({ kind: 'bad-time', offset, message: `log line time ${JSON.stringify(obj.time)} is not RFC 3339 (or is the zero time); no event made` });
      return;
    }
    const log = typeof obj.log === 'string' ? obj.log : '';
    const complete = log.endsWith('\n');
    let attrs: Record<string, string> | null = null;
    if (isObject(obj.attrs)) {
      attrs = {};
      for (const [k, v] of Object.entries(obj.attrs)) attrs[k] = String(v);
    }
    if (!valid) attrs = { ...attrs, bytes_escaped: BYTES_ESCAPED };
    this.joiner.add({
      containerId: this.id, timeNs: t.ns, timeRaw: obj.time, stream: typeof obj.stream === 'string' ? obj.stream : '',
      text: complete ? log.slice(0, -1) : log, offset, chunks: 1, unterminated: false, attrs,
      evidence: this.ref.entry.path, driver: 'json-file', compressed: this.info.compressed, rotation: this.rotation,
    }, complete);
  }

  /** A chunk of a split line waits for the rest: lines must not be read around it. */
  get holding(): boolean {
    return this.joiner.holding;
  }

  /** A line was a record of its own, read another way (the fast path): it still counts for the lastTime check. */
  sawTime(ns: bigint): void {
    if (this.lastNs === null || ns > this.lastNs) this.lastNs = ns;
  }

  readonly overlong = (offset: number, length: number): void =>
    this.out.warn({ kind: 'overlong-line', offset, message: `log line of ${length} bytes exceeds the ${16} MiB line limit; skipped` });

  /** The artifact itself could not be read to its end (a truncated archive, an I/O error). */
  stopped(at: number, e: Error): void {
    this.out.warn({ kind: 'truncated', offset: at, message: `read stopped at offset ${at}: ${e.message}; lines before it are kept` });
  }

  end(): void {
    this.joiner.flush();
    checkLastTime(this.info.lastTime, this.lastNs, this.out.warn);
  }
}

/** json-file driver logs: `containers/<id>/<id>-json.log` and its rotations (`.N`, `.N.gz`). */
export const jsonFileLog: Extractor<LogLineRecord> = {
  name: 'json_file_log',
  artifact: 'json-file log',
  phase: 'content',
  needs: 'content',
  ordered: true,
  match(rel) {
    const p = containerPath(rel);
    return p !== null && !p.rest.includes('/') && jsonLogRotation(p.rest, p.id) !== null;
  },
  async extract(ref, input, out) {
    if (!input) return;
    const reader = new JsonLogReader(ref, out, (r) => out.record(r));
    const splitter = new LineSplitter((line, offset) => reader.line(line, offset), reader.overlong);
    const { chunks, info } = logChunks(input, out.warn, 'lines');
    reader.info = info;
    try {
      for await (const chunk of chunks) splitter.push(chunk);
    } catch (e) {
      reader.stopped(splitter.bytes, e as Error);
    }
    splitter.end();
    reader.end();
  },
  quickOrder: jsonLogQuickOrder,
  quickOrderParallel: jsonLogQuickOrderParallel,
  rawItems: jsonLogItems,
  toEvents: logLineEvents,
};

/**
 * A rotated, compressed log records the time of its last entry in its gzip header. If the newest
 * entry read differs, the file lost lines at its end or was altered after rotation: say so.
 */
export function checkLastTime(lastTime: string | null, newestNs: bigint | null, warn: (w: { kind: string; offset: number; message: string }) => void): void {
  if (lastTime === null) return;
  const t = parseRfc3339(lastTime);
  if (!t) {
    warn({ kind: 'bad-time', offset: 0, message: `gzip header lastTime ${JSON.stringify(lastTime)} is not a time` });
  } else if (newestNs === null || newestNs !== t.ns) {
    warn({
      kind: 'last-time-mismatch', offset: 0,
      message: `gzip header says the last entry was at ${lastTime}, but the newest entry read is ${newestNs === null ? 'none' : formatUtcNs(newestNs)}: lines lost at the end, or the file was altered after rotation`,
    });
  }
}

/**
 * Order check of a json-file log without JSON.parse: every line must have Docker's exact shape (see
 * json-file-line.ts: no attrs, no split or unterminated line, a UTC time). Any line of another shape:
 * null (the full check runs). Lines in non-decreasing time then give events in timeline order (same
 * file, growing offsets).
 */
export async function jsonLogQuickOrder(ref: ArtifactRef, input: Readable): Promise<QuickOrder | null> {
  const { id, rest } = containerPath(ref.rel)!;
  const rotation = jsonLogRotation(rest, id)!;
  let compressed = false;
  let lastSeconds = -Infinity;
  let lastNanos = 0;
  let count = 0;
  let ordered = true;
  let doubt = false;
  const shape = newShape();
  const plan: number[] = [0];
  const splitter = new LineSplitter((line: Buffer, start: number, end: number, offset: number) => {
    if (offset >= plan[plan.length - 1]! + PLAN_CHUNK_BYTES) plan.push(offset);
    if (doubt || end === start) return;
    if (!readLayout(line, shape, start, end) || !quotesEscaped(line, shape)) { doubt = true; return; }
    if (!readUtcTime(line, shape.timeStart, shape.timeEnd, shape)) {
      // another zone, a leap second, ...: the full parser (Go's zero time makes no event: doubt)
      const t = parseRfc3339(line.toString('latin1', shape.timeStart, shape.timeEnd));
      if (!t) { doubt = true; return; }
      const sec = t.ns / 1_000_000_000n - (t.ns < 0n && t.ns % 1_000_000_000n !== 0n ? 1n : 0n);
      shape.seconds = Number(sec);
      shape.nanos = Number(t.ns - sec * 1_000_000_000n);
    }
    if (shape.seconds < lastSeconds || (shape.seconds === lastSeconds && shape.nanos < lastNanos)) ordered = false;
    lastSeconds = shape.seconds;
    lastNanos = shape.nanos;
    count++;
  }, () => { doubt = true; }, undefined, true);
  for await (const chunk of maybeGunzip(input, () => { compressed = true; }, () => { doubt = true; })) {
    if (!doubt) splitter.push(chunk);
  }
  splitter.end();
  if (doubt) return null;
  const fieldNames = ['log_driver', 'time_raw'];
  if (compressed) fieldNames.push('offset_in');
  if (rotation) fieldNames.push('rotation');
  const quick: QuickOrder = { ordered, count, fieldNames };
  if (!compressed) quick.plan = [...plan, splitter.bytes];
  return quick;
}
