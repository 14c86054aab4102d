import { createWriteStream, type WriteStream } from 'node:fs';
import { OUTPUT_STREAM_FLAGS } from './cli/output-file.js';

/** A problem met while reading evidence. Extraction always goes on with everything else. */
export interface Warning {
  /** Machine name: `truncated`, `bad-json`, `bad-gzip`, `unreadable`, `bad-time`, `not-config`, ... */
  kind: string;
  /** Which artifact was being read (`json-file log`, `container config`, ...). */
  artifact: string;
  /** Path relative to the evidence root. */
  evidence: string;
  /** Byte offset in the artifact (decompressed stream for `.gz`). */
  offset: number;
  message: string;
  /** The evidence argument, filled in by the pipeline. */
  evidenceSource?: string;
  /**
   * `notice`: nothing is wrong with the evidence, but something in it is recognised and not read
   * (so the examiner knows what is left). Notices are listed and counted apart and do not change
   * the exit code. Default: a warning.
   */
  level?: 'notice';
}

/** Longest message kept (characters): a warning quotes evidence, and evidence can be a 1 MB "time". */
export const MAX_MESSAGE = 4096;

/** Warnings of one kind in one artifact listed one by one; beyond this they are counted and summed up in one line. */
export const MAX_REPEATS = 100;

interface Repeats {
  first: Warning;
  /** How many were not listed one by one, and the offsets of the first and last of them. */
  more: number;
  from: number;
  to: number;
}

/**
 * Collects warnings: counts by kind for the summary, and streams them to `--warnings FILE` as JSON lines.
 * A damaged artifact can hold millions of the same problem (a zero-filled region of a local-driver log
 * is a bad record every 8 bytes): past MAX_REPEATS of one kind in one artifact they are still counted
 * (the total and the exit code are exact) but listed as one closing line per artifact and kind with
 * their number and offset range, so the warnings file and memory stay bounded.
 */
export class Warnings {
  readonly counts = new Map<string, number>();
  readonly noticeCounts = new Map<string, number>();
  private out: WriteStream | null = null;
  private readonly kept: Warning[] = [];
  private readonly keptNotices: Warning[] = [];
  private readonly perArtifact = new Map<string, number>();
  private readonly repeats = new Map<string, Repeats>();
  source = '';

  constructor(file?: string, private readonly keep = 1000) {
    if (file) this.out = createWriteStream(file, { flags: OUTPUT_STREAM_FLAGS });
  }

  private readonly seen = new Set<string>();

  /** Add a warning; an exact repeat (a second pass over the same broken archive) is not counted twice. */
  add(w: Warning): void {
    if (w.message.length > MAX_MESSAGE) w = { ...w, message: `${w.message.slice(0, MAX_MESSAGE)}... (${w.message.length - MAX_MESSAGE} more characters)` };
    const evidenceSource = w.evidenceSource ?? this.source;
    const key = `${w.kind}\0${evidenceSource}\0${w.evidence}\0${w.offset}\0${w.message}`;
    if (this.seen.has(key)) return;
    if (this.seen.size < 100_000) this.seen.add(key);
    const notice = w.level === 'notice';
    const counts = notice ? this.noticeCounts : this.counts;
    counts.set(w.kind, (counts.get(w.kind) ?? 0) + 1);
    const artifactKey = `${w.kind}\0${evidenceSource}\0${w.evidence}`;
    const n = (this.perArtifact.get(artifactKey) ?? 0) + 1;
    if (this.perArtifact.size < 100_000 || n > 1) this.perArtifact.set(artifactKey, n);
    const full = { ...w, evidenceSource };
    if (n > MAX_REPEATS) {
      const r = this.repeats.get(artifactKey);
      if (r) {
        r.more++;
        r.from = Math.min(r.from, w.offset);
        r.to = Math.max(r.to, w.offset);
      } else {
        this.repeats.set(artifactKey, { first: full, more: 1, from: w.offset, to: w.offset });
      }
      return;
    }
    const kept = notice ? this.keptNotices : this.kept;
    if (kept.length < this.keep) kept.push(full);
    this.out?.write(JSON.stringify(full) + '\n');
  }

  /** The closing line of an artifact whose warnings of one kind were too many to list. */
  private repeatLine(r: Repeats): Warning {
    return {
      ...r.first, offset: r.from,
      message: `${r.more} more ${r.first.kind} warning(s) like the ${MAX_REPEATS} above in this artifact, at offsets ${r.from} to ${r.to}, not listed one by one (all are counted); the first of them: ${r.first.message}`,
    };
  }

  get total(): number {
    let n = 0;
    for (const v of this.counts.values()) n += v;
    return n;
  }

  /** The first warnings (up to the keep limit), for tests and the summary. */
  get list(): readonly Warning[] {
    if (this.repeats.size === 0) return this.kept;
    const closing = [...this.repeats.values()].filter((r) => r.first.level !== 'notice').map((r) => this.repeatLine(r));
    return closing.length ? [...this.kept, ...closing] : this.kept;
  }

  /** The first notices (recognised, not read). */
  get notices(): readonly Warning[] {
    const closing = [...this.repeats.values()].filter((r) => r.first.level === 'notice').map((r) => this.repeatLine(r));
    return closing.length ? [...this.keptNotices, ...closing] : this.keptNotices;
  }

  async close(): Promise<void> {
    const out = this.out;
    if (!out) return;
    for (const r of this.repeats.values()) out.write(JSON.stringify(this.repeatLine(r)) + '\n');
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }

  summary(): string {
    const list = (m: Map<string, number>): string => [...m.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}: ${v}`).join(', ');
    const notices = [...this.noticeCounts.values()].reduce((a, b) => a + b, 0);
    const w = this.total === 0 ? 'no warnings' : `${this.total} warning(s) (${list(this.counts)})`;
    return notices ? `${w}; ${notices} notice(s) of what was recognised and not read (${list(this.noticeCounts)})` : w;
  }
}

/** Short form of a warning for stderr. */
export function formatWarning(w: Warning): string {
  return `${w.level === 'notice' ? 'notice' : 'warning'}: [${w.kind}] ${w.artifact}: ${w.evidenceSource ? w.evidenceSource + ':' : ''}${w.evidence} @${w.offset}: ${w.message}`;
}
