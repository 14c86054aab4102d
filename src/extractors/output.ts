import type { ArtifactRef, Extractor, ExtractOutput } from './extractor.js';
import type { Warnings } from '../warnings.js';

/** Where an extractor reading one artifact sends its records and its warnings (named after the artifact). */
export function outputFor<R>(ex: Extractor<R>, ref: ArtifactRef, warnings: Pick<Warnings, 'add'>, onRecord: (r: R) => void): ExtractOutput<R> {
  return {
    record: onRecord,
    warn: (w) => warnings.add({ artifact: ex.artifact, evidence: ref.entry.path, ...w }),
  };
}
