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
}

/** Collects warnings: counts by kind for the summary, and streams them to `--warnings FILE` as JSON lines. */
export class Warnings {
  readonly counts = new Map<string, number>();
  private out: WriteStream | null = null;
  private readonly kept: Warning[] = [];
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
    this.counts.set(w.kind, (this.counts.get(w.kind) ?? 0) + 1);
    if (this.kept.length < this.keep) this.kept.push(full);
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

  async close(): Promise<void> {
    const out = this.out;
    if (!out) return;
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }

  summary(): string {
    if (this.total === 0) return 'no warnings';
    const parts = [...this.counts.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}: ${v}`);
    return `${this.total} warning(s) (${parts.join(', ')})`;
  }
}

/** Short form of a warning for stderr. */
export function formatWarning(w: Warning): string {
  return `warning: [${w.kind}] ${w.artifact}: ${w.evidenceSource ? w.evidenceSource + ':' : ''}${w.evidence} @${w.offset}: ${w.message}`;
}
