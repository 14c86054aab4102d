import type { FileTimesRecord } from './container-files.js';
import type { Context } from './context.js';
import type { StatInfo, TimelineEvent } from '../events/event.js';
import type { EvidenceEntry } from '../evidence/entry.js';
import { fileTimeEvents } from './file-times.js';
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

/** Time map of an entry of `containers/<id>/`: its file-system times (see fileTimeEvents). */
export function* containerFileEvents(r: FileTimesRecord, ctx: Context): Iterable<TimelineEvent> {
  const role = roleOf(r.rest, r.containerId);
  yield* fileTimeEvents(r.entry, ctx, {
    label: `[${ctx.label(r.containerId)}: ${role}]`, parser: 'docker_timeline/container_files', containerId: r.containerId,
    fields: { file_role: role },
  });
}
