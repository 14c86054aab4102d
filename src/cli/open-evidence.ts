import { realpathSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { EvidenceSource } from '../evidence/entry.js';
import { DirectorySource } from '../evidence/directory-source.js';
import { TarSource } from '../evidence/tar-source.js';
import type { Warnings } from '../warnings.js';

/** A directory becomes a DirectorySource; a regular file is read as a tar archive (gzip by magic). */
export function openEvidence(arg: string, warnings: Warnings): EvidenceSource {
  const abs = path.resolve(arg);
  const st = statSync(abs);
  if (st.isDirectory()) return new DirectorySource(abs, abs, warnings);
  if (st.isFile()) return new TarSource(abs, abs, warnings);
  throw new Error(`${arg}: neither a directory nor a file`);
}

/** openEvidence, with an evidence that cannot be opened turned into a warning (null: go on with the next). */
export function tryOpenEvidence(arg: string, warnings: Warnings): EvidenceSource | null {
  try {
    return openEvidence(arg, warnings);
  } catch (e) {
    warnings.add({ kind: 'unreadable', artifact: 'evidence', evidence: arg, offset: 0, message: (e as Error).message, evidenceSource: arg });
    return null;
  }
}

/**
 * A path with its symbolic links resolved as far as it exists (the rest, not made yet, appended), so
 * that a link to or into the evidence is seen for what it is.
 */
function resolvedPath(p: string): string {
  const rest: string[] = [];
  let cur = path.resolve(p);
  for (;;) {
    try {
      return path.join(realpathSync(cur), ...rest.reverse());
    } catch {
      const parent = path.dirname(cur);
      if (parent === cur) return path.resolve(p);
      rest.push(path.basename(cur));
      cur = parent;
    }
  }
}

/**
 * `a` and `b` name the same file: the same path once links are resolved, or, where both exist, the
 * same device and inode (a hard link, a symbolic link to it).
 */
export function sameFile(a: string, b: string): boolean {
  if (resolvedPath(a) === resolvedPath(b)) return true;
  try {
    const sa = statSync(a, { bigint: true });
    const sb = statSync(b, { bigint: true });
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return false;
  }
}

/** True when `file` would be written inside an evidence directory, or is an evidence file (never allowed), links resolved. */
export function insideEvidence(file: string, evidence: string[]): boolean {
  const f = resolvedPath(file);
  return evidence.some((e) => {
    const abs = resolvedPath(e);
    try {
      if (!statSync(abs).isDirectory()) return f === abs;
    } catch {
      return false;
    }
    return f === abs || f.startsWith(abs.endsWith(path.sep) ? abs : abs + path.sep);
  });
}

/**
 * The folder temporary files go to (sort runs, drift spill, copies of an archive's large logs):
 * `--tmp-dir`, else the system's. Refused when it lies inside an evidence directory (evidence at `/`
 * or `/tmp`, or a `--tmp-dir` in or linked into it): nothing may be written there.
 */
export function checkTmpDir(tmpDir: string | undefined, evidence: string[]): string | null {
  // (an empty --tmp-dir would be checked as the working folder, while spill files went to the system's)
  if (tmpDir === '') return '--tmp-dir is empty; give a folder outside the evidence';
  const dir = tmpDir ?? tmpdir();
  return insideEvidence(path.join(dir, 'docker-timeline-tmp'), evidence)
    ? `the folder for temporary files (${tmpDir === undefined ? `the system's, ${dir}` : `--tmp-dir ${tmpDir}`}) is inside the evidence; give a --tmp-dir outside it`
    : null;
}
