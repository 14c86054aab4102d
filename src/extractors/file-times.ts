import type { Context } from './context.js';
import type { FieldValue, TimelineEvent } from '../events/event.js';
import type { EvidenceEntry } from '../evidence/entry.js';
import { makeEvent } from '../events/build.js';
import { modeString, statInfo } from './container-files.timemap.js';

const TIMES = [
  ['mtime', 'Content Modification Time', 'file.mtime'],
  ['atime', 'Last Access Time', 'file.atime'],
  ['ctime', 'Metadata Modification Time', 'file.ctime'],
  ['birthtime', 'Creation Time', 'file.birth'],
] as const;

export interface FileTimesSpec {
  /** Message text after the path. */
  label: string;
  parser: string;
  containerId?: string;
  imageId?: string;
  fields?: Record<string, FieldValue | undefined>;
}

/**
 * File-system times of an evidence entry as plaso `fs:stat` events: mtime → `Content Modification
 * Time`, atime → `Last Access Time`, ctime → `Metadata Modification Time`, birth → `Creation Time`.
 * A time the evidence does not hold (no pax atime/ctime in a tar; no birth time) gives no event.
 */
export function* fileTimeEvents(e: EvidenceEntry, ctx: Context, spec: FileTimesSpec): Iterable<TimelineEvent> {
  for (const [key, desc, kind] of TIMES) {
    const t = e[key];
    if (t === undefined) continue;
    const ev = makeEvent(ctx, {
      timeNs: t, timestampDesc: desc, kind,
      message: `${e.path}${e.linkTarget ? ` -> ${e.linkTarget}` : ''} ${spec.label}`,
      source: 'FILE', sourcetype: 'File stat', dataType: 'fs:stat', parser: spec.parser,
      evidence: e.path, offset: 0, containerId: spec.containerId, imageId: spec.imageId, inode: e.inode,
      fields: {
        file_type: e.type, mode: modeString(e), uid: e.uid, gid: e.gid, size: e.size.toString(), link_target: e.linkTarget,
        rdev: e.rdev ? `${e.rdev.major},${e.rdev.minor}` : undefined, ...spec.fields,
      },
    });
    ev.stat = statInfo(e);
    yield ev;
  }
}
