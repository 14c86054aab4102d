import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A fresh folder for spill runs under `--tmp-dir` (the system temp folder when not given; never
 * inside the evidence), made at the first file asked for and removed whole by `cleanup`.
 */
export class TempDir {
  private dir: string | null = null;
  private seq = 0;

  /** `prefix`: the folder's name starts with it (`docker-timeline-rows-`). */
  constructor(private readonly parent: string | undefined, private readonly prefix: string) {}

  /** A new file name in the folder (`run-<n>.bin`: bench/measure.ts counts `run-*` files). */
  file(): string {
    this.dir ??= mkdtempSync(path.join(this.parent ?? tmpdir(), this.prefix));
    return path.join(this.dir, `run-${this.seq++}.bin`);
  }

  /** Remove files of the folder that are no longer needed (runs merged into another). */
  remove(files: Iterable<string>): void {
    for (const f of files) rmSync(f, { force: true });
  }

  /** Remove the folder and everything in it (also after a failure half-way). */
  cleanup(): void {
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = null;
  }
}

/**
 * Where the extractors of one run may spill (`--tmp-dir`), per run context: set by the pipeline,
 * asked by an extractor that keeps more than memory should (drift's layer entries).
 */
const dirs = new WeakMap<object, string>();

export function setSpillDir(owner: object, dir: string | undefined): void {
  if (dir) dirs.set(owner, dir);
}

export function spillDir(owner: object): string | undefined {
  return dirs.get(owner);
}
