import type { Extractor } from './extractor.js';
import type { EvidenceEntry } from '../evidence/entry.js';
import { fileTimeEvents } from './file-times.js';

export interface ExportFileRecord {
  path: string;
  entry: EvidenceEntry;
}

/** `.dockerenv` at the top of an archive: it is a `docker export` of a container's file system. */
export const exportMarker: Extractor<{ evidence: string }> = {
  name: 'export_marker',
  artifact: 'docker export',
  phase: 'context',
  needs: 'meta',
  match(rel) {
    return rel === '.dockerenv';
  },
  async extract(ref, _input, out) {
    out.record({ evidence: ref.entry.path });
  },
  remember(_r, ctx) {
    if (ctx.saved.length === 0 && ctx.ociManifests.length === 0) ctx.archiveKind = 'docker-export';
  },
  toEvents() {
    return [];
  },
};

/**
 * Every member of a `docker export` archive (a container's merged file system, flattened): its
 * in-container path and the times the archive holds (docker export writes whole-second mtimes).
 */
export const exportFiles: Extractor<ExportFileRecord> = {
  name: 'export_files',
  artifact: 'docker export member',
  phase: 'content',
  needs: 'meta',
  match(_rel, _entry, ctx) {
    return ctx.archiveKind === 'docker-export';
  },
  async extract(ref, _input, out) {
    out.record({ path: `/${ref.rel}`, entry: ref.entry });
  },
  toEvents(r, ctx) {
    return fileTimeEvents(r.entry, ctx, {
      label: `[${r.path} in an exported container file system (docker export: the merged view, layers flattened)]`,
      parser: 'docker_timeline/export', fields: { path: r.path, archive_kind: 'docker export' },
    });
  },
};
