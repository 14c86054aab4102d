import type { TimelineEvent } from '../../src/events/event.js';

/** UTC nanoseconds for a calendar time, computed independently of src/time (via Date; years 0-99 too). */
export function utcNs(y: number, mo: number, d: number, h = 0, mi = 0, s = 0, nanos = 0): bigint {
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, 0);
  return BigInt(date.getTime()) * 1_000_000n + BigInt(nanos);
}

/** 2026-11-29T05:46:55.123456789Z */
export const T0 = utcNs(2026, 11, 29, 5, 46, 55, 123_456_789);

/** A plausible docker log event; override anything. */
export function makeEvent(over: Partial<TimelineEvent> = {}): TimelineEvent {
  return {
    timeNs: T0,
    timestampDesc: 'Content Modification Time',
    kind: 'container.log',
    message: '[web] stdout: hello',
    source: 'DOCKER',
    sourcetype: 'Docker Container Log',
    dataType: 'docker:container:log:entry',
    parser: 'docker_timeline/json_file_log',
    evidenceSource: '/evidence/docker',
    evidenceKind: 'OS',
    evidence: 'containers/abc/abc-json.log',
    offset: 0,
    fields: {},
    ...over,
  };
}

/** A file-stat event of one file (what container-files produces). */
export function statEvent(desc: string, timeNs: bigint, over: Partial<TimelineEvent> = {}): TimelineEvent {
  const kinds: Record<string, string> = {
    'Content Modification Time': 'file.mtime', 'Last Access Time': 'file.atime',
    'Metadata Modification Time': 'file.ctime', 'Creation Time': 'file.birth',
  };
  return makeEvent({
    timeNs, timestampDesc: desc, kind: kinds[desc] ?? 'file.other',
    message: 'containers/abc/hostname [web: hostname file (written at container start)]',
    source: 'FILE', sourcetype: 'File stat', dataType: 'fs:stat', parser: 'docker_timeline/container_files',
    evidence: 'containers/abc/hostname', inode: '1234',
    fields: { file_role: 'hostname file', mode: '-rw-r--r--', uid: 0, gid: 0, size: '13' },
    stat: { mode: '-rw-r--r--', uid: 0, gid: 0, size: '13', inode: '1234' },
    ...over,
  });
}

/** Run a sink over events and return everything it wrote (header, lines, what end() flushes). */
export function runSink(
  sink: { header(info: { fieldNames: string[] }): string; write(e: TimelineEvent): string; end(): string },
  events: TimelineEvent[],
): string {
  const names = new Set<string>();
  for (const e of events) for (const k of Object.keys(e.fields)) names.add(k);
  let out = sink.header({ fieldNames: [...names] });
  for (const e of events) out += sink.write(e);
  return out + sink.end();
}
