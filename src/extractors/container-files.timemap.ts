import type { FileTimesRecord } from './container-files.js';
import type { Context } from './context.js';
import type { StatInfo, TimelineEvent } from '../events/event.js';
import type { EvidenceEntry } from '../evidence/entry.js';
import { makeEvent } from '../events/build.js';
import { jsonLogRotation } from './json-file-log.js';

/** What the file is and what its times mean, for the message. */
export function roleOf(rest: string, id: string): string {
  if (rest === '') return 'container directory (birth time ≈ container creation)';
  if (rest === 'config.v2.json' || rest === 'config.json') return 'container config (mtime = last state save)';
  if (rest === 'hostconfig.json') return 'host config (rewritten with every state save and on docker update)';
  if (rest === 'hostname' || rest === 'hosts' || rest === 'resolv.conf' || rest === 'resolv.conf.hash') return `${rest} file (written at container start)`;
  if (jsonLogRotation(rest, id) !== null) return 'json-file log';
  if (rest.startsWith('local-logs')) return 'local-driver log';
  return 'container file';
}

const TYPE_CHAR: Record<string, string> = { file: '-', dir: 'd', symlink: 'l', hardlink: 'h', char: 'c', block: 'b', fifo: 'p', socket: 's', other: '-' };

/** `ls`-style 10-character mode string. */
export function modeString(e: EvidenceEntry): string {
  const perm = e.mode & 0o7777;
  const rwx = (bits: number, special: boolean, ch: string): string =>
    `${bits & 4 ? 'r' : '-'}${bits & 2 ? 'w' : '-'}${special ? (bits & 1 ? ch : ch.toUpperCase()) : bits & 1 ? 'x' : '-'}`;
  return (TYPE_CHAR[e.type] ?? '-') + rwx(perm >> 6, (perm & 0o4000) !== 0, 's') + rwx((perm >> 3) & 7, (perm & 0o2000) !== 0, 's') + rwx(perm & 7, (perm & 0o1000) !== 0, 't');
}

export function statInfo(e: EvidenceEntry): StatInfo {
  return { mode: modeString(e), uid: e.uid, gid: e.gid, size: e.size.toString(), inode: e.inode ?? '0' };
}

const TIMES = [
  ['mtime', 'Content Modification Time', 'file.mtime'],
  ['atime', 'Last Access Time', 'file.atime'],
  ['ctime', 'Metadata Modification Time', 'file.ctime'],
  ['birthtime', 'Creation Time', 'file.birth'],
] as const;

/**
 * Time map of a file-system entry: mtime → `Content Modification Time`, atime → `Last Access Time`,
 * ctime → `Metadata Modification Time`, birth → `Creation Time` (plaso fs:stat). A time the evidence
 * does not hold (a tar without pax atime/ctime; no birth time) gives no event.
 */
export function* containerFileEvents(r: FileTimesRecord, ctx: Context): Iterable<TimelineEvent> {
  const e = r.entry;
  const role = roleOf(r.rest, r.containerId);
  for (const [key, desc, kind] of TIMES) {
    const t = e[key];
    if (t === undefined) continue;
    const ev = makeEvent(ctx, {
      timeNs: t, timestampDesc: desc, kind,
      message: `${e.path}${e.linkTarget ? ` -> ${e.linkTarget}` : ''} [${ctx.label(r.containerId)}: ${role}]`,
      source: 'FILE', sourcetype: 'File stat', dataType: 'fs:stat', parser: 'docker_timeline/container_files',
      evidence: e.path, offset: 0, containerId: r.containerId, inode: e.inode,
      fields: { file_role: role, file_type: e.type, mode: modeString(e), uid: e.uid, gid: e.gid, size: e.size.toString(), link_target: e.linkTarget },
    });
    ev.stat = statInfo(e);
    yield ev;
  }
}
