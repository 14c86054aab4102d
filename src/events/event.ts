/** A timeline event: one point in time, what happened, to what, and where in the evidence it came from. */

export type FieldValue = string | number | boolean | null;

export interface TimelineEvent {
  /** UTC nanoseconds since the epoch. */
  timeNs: bigint;
  /** plaso-style description of what the time means (`Creation Time`, `Start Time`, ...). */
  timestampDesc: string;
  /** Stable machine name of the event (`container.created`, `container.log`, `file.mtime`, ...). */
  kind: string;
  /** One-line human description. */
  message: string;
  /** plaso short source (`DOCKER`, `FILE`). */
  source: string;
  /** plaso long source (`Docker Container`, `Docker Container Log`, `File stat`). */
  sourcetype: string;
  /** plaso-like data type (`docker:container:configuration`, `fs:stat`). */
  dataType: string;
  /** Parser chain that produced the event (`docker_timeline/container_config`). */
  parser: string;
  /** The evidence argument this came from, as given on the command line. */
  evidenceSource: string;
  /** How the evidence is read: `OS` (a directory) or `TAR` (an archive read in place). */
  evidenceKind: 'OS' | 'TAR';
  /** Path of the artifact relative to the evidence root (`/`-separated, no leading `/`). */
  evidence: string;
  /** Byte offset in the artifact (decompressed stream for `.gz`); see `offsetOf` in fields. */
  offset: number;
  containerId?: string;
  containerName?: string;
  imageId?: string;
  stream?: string;
  inode?: string;
  /** Everything else, searchable in Timesketch and listed in L2T `extra`. */
  fields: Record<string, FieldValue>;
  /** For file-time events: what a bodyfile line needs. */
  stat?: StatInfo;
}

export interface StatInfo {
  mode: string;
  uid: number | null;
  gid: number | null;
  size: string;
  inode: string;
  /**
   * The file is not the event's evidence (a row merged from a host bodyfile, whose evidence is that
   * bodyfile): a bodyfile line keeps these columns but is named as other events are.
   */
  foreign?: boolean;
}

/** The plaso MACB letters a description maps to (plaso/output/mediator.py GetMACBRepresentation). */
export function macbOf(desc: string): string {
  switch (desc) {
    case 'Content Modification Time':
    case 'Content Deletion Time':
      return 'M...';
    case 'Last Access Time':
    case 'Start Time':
    case 'Last Visited Time':
    case 'Last Time Executed':
    case 'Last Connection Time':
    case 'Last Login Time':
    case 'Last Shutdown Time':
    case 'Last Printed Time':
    case 'Account Created':
    case 'Last Password Reset Time':
      return '.A..';
    case 'Metadata Modification Time':
      return '..C.';
    case 'Creation Time':
    case 'Added Time':
    case 'File Downloaded Time':
    case 'First Connection Time':
      return '...B';
    default:
      return '....';
  }
}

/** The plaso file-stat descriptions that merge into one L2T line when they share a time. */
export const FILE_STAT_DESCS = new Set([
  'Content Modification Time', 'Last Access Time', 'Metadata Modification Time', 'Creation Time',
]);

/** Serialise for spilling to disk and reading back (bigint as a decimal string). */
export function eventToJson(e: TimelineEvent): string {
  return JSON.stringify(e, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
}

export function eventFromJson(line: string): TimelineEvent {
  const e = JSON.parse(line) as TimelineEvent & { timeNs: string };
  return { ...e, timeNs: BigInt(e.timeNs) };
}
