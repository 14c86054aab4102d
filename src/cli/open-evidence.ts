import { statSync } from 'node:fs';
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

/** True when `file` would be written inside an evidence directory (never allowed). */
export function insideEvidence(file: string, evidence: string[]): boolean {
  const f = path.resolve(file);
  return evidence.some((e) => {
    const abs = path.resolve(e);
    try {
      if (!statSync(abs).isDirectory()) return f === abs;
    } catch {
      return false;
    }
    return f === abs || f.startsWith(abs + path.sep);
  });
}
