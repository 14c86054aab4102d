import type { Extractor } from './extractor.js';
import type { EvidenceEntry } from '../evidence/entry.js';
import { containerPath } from './paths.js';
import { containerFileEvents } from './container-files.timemap.js';

export interface FileTimesRecord {
  containerId: string;
  /** Path inside the container directory (`hostname`, `local-logs/container.log`; `''` = the directory). */
  rest: string;
  entry: EvidenceEntry;
}

/** File-system times of everything in `containers/<id>/`: the directory, configs, logs, hostname, hosts, resolv.conf. */
export const containerFiles: Extractor<FileTimesRecord> = {
  name: 'container_files',
  artifact: 'container directory entry',
  phase: 'content',
  needs: 'meta',
  match(rel) {
    return containerPath(rel) !== null;
  },
  async extract(ref, _input, out) {
    out.record({ containerId: containerPath(ref.rel)!.id, rest: containerPath(ref.rel)!.rest, entry: ref.entry });
  },
  toEvents: containerFileEvents,
};
