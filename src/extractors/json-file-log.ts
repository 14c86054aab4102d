import type { Readable } from 'node:stream';
import type { ArtifactRef, Extractor, QuickOrder } from './extractor.js';
import { containerPath } from './paths.js';
import { isObject } from './read-bounded.js';
import { LineSplitter } from './line-splitter.js';
import { maybeGunzip } from './gzip-input.js';
import { logChunks } from './log-input.js';
import { formatUtcNs, parseRfc3339 } from '../time/nanotime.js';
import { logLineEvents } from './log-line.timemap.js';

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
      prev.text += r.text;
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

  /** End of file: what is still open was never terminated; it is kept, marked so. */
  flush(): void {
    for (const r of this.pending.values()) {
      r.unterminated = true;
      this.emit(r);
    }
    this.pending.clear();
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
    const { id, rest } = containerPath(ref.rel)!;
    const rotation = jsonLogRotation(rest, id)!;
    let lastNs: bigint | null = null;
    const joiner = new PartialJoiner((r) => {
      if (lastNs === null || r.timeNs > lastNs) lastNs = r.timeNs;
      out.record(r);
    });
    const splitter = new LineSplitter(
      (line, offset) => {
        if (line.length === 0) return;
        let obj: unknown;
        try {
          obj = JSON.parse(line.toString('utf8'));
        } catch (e) {
          out.warn({ kind: 'bad-json', offset, message: `log line is not JSON (${(e as Error).message}): ${JSON.stringify(line.subarray(0, 200).toString('utf8'))}${line.length > 200 ? '...' : ''}` });
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
        joiner.add({
          containerId: id, timeNs: t.ns, timeRaw: obj.time, stream: typeof obj.stream === 'string' ? obj.stream : '',
          text: complete ? log.slice(0, -1) : log, offset, chunks: 1, unterminated: false, attrs,
          evidence: ref.entry.path, driver: 'json-file', compressed: info.compressed, rotation,
        }, complete);
      },
      (offset, length) => out.warn({ kind: 'overlong-line', offset, message: `log line of ${length} bytes exceeds the ${16} MiB line limit; skipped` }),
    );
    const { chunks, info } = logChunks(input, out.warn, 'lines');
    try {
      for await (const chunk of chunks) splitter.push(chunk);
    } catch (e) {
      // the artifact itself could not be read to its end (a truncated archive, an I/O error)
      out.warn({ kind: 'truncated', offset: splitter.bytes, message: `read stopped at offset ${splitter.bytes}: ${(e as Error).message}; lines before it are kept` });
    }
    splitter.end();
    joiner.flush();
    checkLastTime(info.lastTime, lastNs, out.warn);
  },
  quickOrder: jsonLogQuickOrder,
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

const STREAM_KEY = Buffer.from('","stream":"');
const TIME_KEY = Buffer.from('","time":"');

/**
 * Order check of a json-file log without JSON.parse: every line must have Docker's exact shape
 * `{"log":"...\n","stream":"stdout|stderr","time":"<RFC 3339>"}` (no attrs, no split or unterminated
 * line); its time is read from the fixed tail. Any line of another shape: null (the full check runs).
 * Lines in non-decreasing time then give events in timeline order (same file, growing offsets).
 */
export async function jsonLogQuickOrder(ref: ArtifactRef, input: Readable): Promise<QuickOrder | null> {
  const { id, rest } = containerPath(ref.rel)!;
  const rotation = jsonLogRotation(rest, id)!;
  let compressed = false;
  let last = -1n;
  let count = 0;
  let ordered = true;
  let doubt = false;
  const splitter = new LineSplitter((line) => {
    if (doubt || line.length === 0) return;
    const n = line.length;
    const s = line.lastIndexOf(STREAM_KEY);
    // `{"log":"` ... `\n` `","stream":"` (stdout|stderr) `","time":"` T `"}`
    if (s < 10 || line[0] !== 0x7b || line[n - 1] !== 0x7d || line[n - 2] !== 0x22 || line[s - 1] !== 0x6e || line[s - 2] !== 0x5c) { doubt = true; return; }
    let bs = 0;
    for (let i = s - 2; i >= 0 && line[i] === 0x5c; i--) bs++;
    const streamEnd = s + STREAM_KEY.length + 6;
    if (bs % 2 !== 1 || line.indexOf(TIME_KEY, streamEnd) !== streamEnd) { doubt = true; return; }
    const stream = line.toString('latin1', s + STREAM_KEY.length, streamEnd);
    if (stream !== 'stdout' && stream !== 'stderr') { doubt = true; return; }
    const t = parseRfc3339(line.toString('latin1', streamEnd + TIME_KEY.length, n - 2));
    if (!t) { doubt = true; return; }
    if (t.ns < last) ordered = false;
    last = t.ns;
    count++;
  }, () => { doubt = true; });
  for await (const chunk of maybeGunzip(input, () => { compressed = true; }, () => { doubt = true; })) {
    if (!doubt) splitter.push(chunk);
  }
  splitter.end();
  if (doubt) return null;
  const fieldNames = ['log_driver', 'time_raw'];
  if (compressed) fieldNames.push('offset_in');
  if (rotation) fieldNames.push('rotation');
  return { ordered, count, fieldNames };
}
