import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import type { Extractor } from './extractor.js';
import { containerPath } from './paths.js';
import { decodeBytes } from './bytes-text.js';
import { checkLastTime, type LogLineRecord } from './json-file-log.js';
import { LocalPartialJoiner } from './local-log-join.js';
import { logChunks } from './log-input.js';
import { logLineEvents } from './log-line.timemap.js';

/** Docker's reader rejects records larger than this. */
const MAX_RECORD = 1_000_000;

export interface LocalEntry {
  source: string;
  timeNano: bigint;
  line: Uint8Array;
  partial: boolean;
  attrs: Record<string, string> | null;
}

/**
 * What Go's `time.Time{}.UnixNano()` gives for the zero time 0001-01-01T00:00:00Z (the int64 overflows):
 * as a time it would be an invented 1754-08-30T22:43:41.128654848Z. It means "not set".
 */
export const GO_ZERO_UNIX_NANO = -6795364578871345152n;

/** Decode one `LogEntry` protobuf (moby api/types/plugins/logdriver/entry.proto). */
export function decodeLogEntry(bytes: Uint8Array): LocalEntry {
  const r = new BinaryReader(bytes);
  const e: LocalEntry = { source: '', timeNano: 0n, line: new Uint8Array(0), partial: false, attrs: null };
  while (r.pos < r.len) {
    const [no, wt] = r.tag();
    if (no === 1 && wt === WireType.LengthDelimited) e.source = r.string();
    else if (no === 2 && wt === WireType.Varint) e.timeNano = BigInt(r.int64());
    else if (no === 3 && wt === WireType.LengthDelimited) e.line = r.bytes();
    else if (no === 4 && wt === WireType.Varint) e.partial = r.bool();
    else if (no === 6 && wt === WireType.LengthDelimited) {
      const sub = new BinaryReader(r.bytes());
      let key = '';
      let value = '';
      while (sub.pos < sub.len) {
        const [sno, swt] = sub.tag();
        if (sno === 1 && swt === WireType.LengthDelimited) key = sub.string();
        else if (sno === 2 && swt === WireType.LengthDelimited) value = sub.string();
        else sub.skip(swt);
      }
      (e.attrs ??= {})[key] = value;
    } else r.skip(wt);
  }
  return e;
}

/** Splits the local driver's framing (uint32 BE size, LogEntry, the size again) across chunks. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);
  /** Offset of the first byte not yet consumed. */
  offset = 0;
  broken = false;

  constructor(private readonly onEntry: (e: LocalEntry, offset: number) => void, private readonly onBad: (offset: number, message: string, kind?: string) => void) {}

  private zeroStart = -1;
  private zeroLen = 0;

  /** End of file: trailing zero bytes belong to the zero-filled region; report it. */
  finish(): void {
    if (!this.broken && this.buf.length > 0 && this.buf.every((b) => b === 0)) {
      if (this.zeroStart < 0) this.zeroStart = this.offset;
      this.zeroLen += this.buf.length;
      this.offset += this.buf.length;
      this.buf = Buffer.alloc(0);
    }
    this.endZeroRun();
  }

  /** Report a zero-filled region once, when it ends (or at the end of the file). */
  endZeroRun(): void {
    if (this.zeroStart < 0) return;
    this.onBad(this.zeroStart, `${this.zeroLen} zero bytes (a zero-filled region: unwritten or wiped); skipped`, 'zero-filled');
    this.zeroStart = -1;
    this.zeroLen = 0;
  }

  get pending(): number {
    return this.buf.length;
  }

  get end(): number {
    return this.offset + this.buf.length;
  }

  push(chunk: Buffer): void {
    if (this.broken) return;
    const buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    let pos = 0;
    while (buf.length - pos >= 4) {
      const at = this.offset + pos;
      if (buf.readUInt32BE(pos) === 0) {
        // A run of zero bytes (unwritten or wiped: Docker never writes an empty record): skip it and
        // warn once. The next record's size starts with up to three zero bytes of its own, so it
        // starts at one of the last 3 zero bytes or right after the run: the one whose frame checks out.
        let end = pos;
        while (end < buf.length && buf[end] === 0) end++;
        if (end === buf.length) {
          // the run may go on in the next chunk: keep its last 3 bytes, which may begin a record
          const keep = Math.max(pos, end - 3);
          if (keep > pos) {
            if (this.zeroStart < 0) this.zeroStart = at;
            this.zeroLen += keep - pos;
            pos = keep;
          }
          break;
        }
        let start = -1;
        let undecided = false;
        for (let k = 3; k >= 0; k--) {
          const s0 = end - k;
          if (s0 < pos || buf.length - s0 < 4) continue;
          const n = buf.readUInt32BE(s0);
          if (n === 0 || n > MAX_RECORD) continue;
          if (buf.length - s0 < 8 + n) { undecided = true; break; }
          if (buf.readUInt32BE(s0 + 4 + n) === n) { start = s0; break; }
        }
        if (undecided) break; // wait for more bytes to tell
        if (start < 0) start = end; // no frame checks out: let the framing below report it
        if (start > pos) {
          if (this.zeroStart < 0) this.zeroStart = at;
          this.zeroLen += start - pos;
          pos = start;
        }
        continue;
      }
      this.endZeroRun();
      const n = buf.readUInt32BE(pos);
      if (n > MAX_RECORD) {
        this.onBad(at, `record size ${n} exceeds ${MAX_RECORD}: framing lost; the rest of the file is not read`);
        this.broken = true;
        break;
      }
      if (buf.length - pos < 8 + n) break;
      const trailer = buf.readUInt32BE(pos + 4 + n);
      if (trailer !== n) {
        this.onBad(at, `record size ${n} and trailing size ${trailer} differ: framing lost; the rest of the file is not read`);
        this.broken = true;
        break;
      }
      let e: LocalEntry | null = null;
      try {
        e = decodeLogEntry(buf.subarray(pos + 4, pos + 4 + n));
      } catch (err) {
        this.onBad(at, `LogEntry does not decode (${(err as Error).message}); skipped`);
      }
      if (e) this.onEntry(e, at);
      pos += 8 + n;
    }
    this.offset += pos;
    this.buf = this.broken ? Buffer.alloc(0) : Buffer.from(buf.subarray(pos));
  }
}

/** `local-logs/container.log(.N)(.gz)` and the dual-logging cache `container-cached.log`. */
export function localLogRotation(rest: string): number | null {
  const m = /^(?:local-logs\/container|container-cached)\.log(?:\.(\d+))?(?:\.gz)?$/.exec(rest);
  return m ? (m[1] ? Number(m[1]) : 0) : null;
}

/** local driver logs: length-framed protobuf records (uint32 BE size, LogEntry, size again). */
export const localLog: Extractor<LogLineRecord> = {
  name: 'local_log',
  artifact: 'local-driver log',
  phase: 'content',
  needs: 'content',
  ordered: true,
  match(rel) {
    const p = containerPath(rel);
    return p !== null && localLogRotation(p.rest) !== null;
  },
  async extract(ref, input, out) {
    if (!input) return;
    const { id, rest } = containerPath(ref.rel)!;
    const rotation = localLogRotation(rest)!;
    let lastNs: bigint | null = null;
    const joiner = new LocalPartialJoiner((r) => {
      if (lastNs === null || r.timeNs > lastNs) lastNs = r.timeNs;
      out.record(r);
    });
    const onEntry = (e: LocalEntry, at: number): void => {
      if (e.timeNano === 0n || e.timeNano === GO_ZERO_UNIX_NANO) {
        const text = decodeBytes(e.line.subarray(0, 800), 'invalid').text;
        const what = e.timeNano === 0n ? 'has no time_nano' : 'has Go\'s zero time as its time_nano (not set)';
        out.warn({ kind: 'bad-time', offset: at, message: `record ${what}; no event made (text ${JSON.stringify(text.slice(0, 200))})` });
        return;
      }
      // the text is made once the line is whole (partial records joined as bytes)
      joiner.add({
        containerId: id, timeNs: e.timeNano, timeRaw: null, stream: e.source, offset: at, chunks: 1,
        unterminated: false, attrs: e.attrs, evidence: ref.entry.path, driver: 'local', compressed: info.compressed, rotation,
      }, e.line, !e.partial);
    };
    const frames = new FrameReader(onEntry, (offset, message, kind) => out.warn({ kind: kind ?? 'bad-record', offset, message }));
    const { chunks, info } = logChunks(input, out.warn, 'records');
    try {
      for await (const chunk of chunks) frames.push(chunk);
    } catch (e) {
      out.warn({ kind: 'truncated', offset: frames.end, message: `read stopped: ${(e as Error).message}; records before it are kept` });
    }
    frames.finish();
    if (!frames.broken && frames.pending > 0) {
      out.warn({ kind: 'truncated', offset: frames.offset, message: `${frames.pending} trailing bytes do not make a whole record (truncated file)` });
    }
    joiner.flush();
    checkLastTime(info.lastTime, lastNs, out.warn);
  },
  toEvents: logLineEvents,
};
