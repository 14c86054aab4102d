import { createWriteStream, type WriteStream } from 'node:fs';

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

/** Collects warnings: counts by kind for the summary, and streams them to `--warnings FILE` as JSON lines. */
export class Warnings {
  readonly counts = new Map<string, number>();
  readonly noticeCounts = new Map<string, number>();
  private out: WriteStream | null = null;
  private readonly kept: Warning[] = [];
  private readonly keptNotices: Warning[] = [];
  source = '';

  constructor(file?: string, private readonly keep = 1000) {
    if (file) this.out = createWriteStream(file, { flags: 'w' });
  }

  private readonly seen = new Set<string>();

  /** Add a warning; an exact repeat (a second pass over the same broken archive) is not counted twice. */
  add(w: Warning): void {
    const full = { ...w, evidenceSource: w.evidenceSource ?? this.source };
    const key = `${full.kind}\0${full.evidenceSource}\0${full.evidence}\0${full.offset}\0${full.message}`;
    if (this.seen.has(key)) return;
    if (this.seen.size < 100_000) this.seen.add(key);
    const notice = w.level === 'notice';
    const counts = notice ? this.noticeCounts : this.counts;
    counts.set(w.kind, (counts.get(w.kind) ?? 0) + 1);
    const kept = notice ? this.keptNotices : this.kept;
    if (kept.length < this.keep) kept.push(full);
    this.out?.write(JSON.stringify(full) + '\n');
  }

  get total(): number {
    let n = 0;
    for (const v of this.counts.values()) n += v;
    return n;
  }

  /** The first warnings (up to the keep limit), for tests and the summary. */
  get list(): readonly Warning[] {
    return this.kept;
  }

  /** The first notices (recognised, not read). */
  get notices(): readonly Warning[] {
    return this.keptNotices;
  }

  async close(): Promise<void> {
    const out = this.out;
    if (!out) return;
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
