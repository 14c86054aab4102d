import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import type { Extractor } from './extractor.js';
import { containerPath } from './paths.js';
import { decodeBytes } from './bytes-text.js';
import { PartialJoiner, checkLastTime, type LogLineRecord } from './json-file-log.js';
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

  constructor(private readonly onEntry: (e: LocalEntry, offset: number) => void, private readonly onBad: (offset: number, message: string) => void) {}

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
    const joiner = new PartialJoiner((r) => {
      if (lastNs === null || r.timeNs > lastNs) lastNs = r.timeNs;
      out.record(r);
    });
    const onEntry = (e: LocalEntry, at: number): void => {
      const { text, escaped } = decodeBytes(e.line);
      if (e.timeNano === 0n) {
        out.warn({ kind: 'bad-time', offset: at, message: `record has no time_nano; no event made (text ${JSON.stringify(text.slice(0, 200))})` });
        return;
      }
      const attrs = escaped ? { ...(e.attrs ?? {}), bytes_escaped: 'invalid UTF-8 bytes written as \\xNN' } : e.attrs;
      joiner.add({
        containerId: id, timeNs: e.timeNano, timeRaw: null, stream: e.source, text, offset: at, chunks: 1,
        unterminated: false, attrs, evidence: ref.entry.path, driver: 'local', compressed: info.compressed, rotation,
      }, !e.partial);
    };
    const frames = new FrameReader(onEntry, (offset, message) => out.warn({ kind: 'bad-record', offset, message }));
    const { chunks, info } = logChunks(input, out.warn, 'records');
    try {
      for await (const chunk of chunks) frames.push(chunk);
    } catch (e) {
      out.warn({ kind: 'truncated', offset: frames.end, message: `read stopped: ${(e as Error).message}; records before it are kept` });
    }
    if (!frames.broken && frames.pending > 0) {
      out.warn({ kind: 'truncated', offset: frames.offset, message: `${frames.pending} trailing bytes do not make a whole record (truncated file)` });
    }
    joiner.flush();
    checkLastTime(info.lastTime, lastNs, out.warn);
  },
  toEvents: logLineEvents,
};
