import type { Context } from '../extractors/context.js';
import type { FieldValue, TimelineEvent } from './event.js';

export interface EventSpec {
  timeNs: bigint;
  timestampDesc: string;
  kind: string;
  message: string;
  source: string;
  sourcetype: string;
  dataType: string;
  parser: string;
  evidence: string;
  offset: number;
  containerId?: string;
  /** For image events: `sha256:<id>` (container events take the container's image). */
  imageId?: string;
  stream?: string;
  inode?: string | null;
  fields?: Record<string, FieldValue | undefined>;
  /** Carry the container's image name and risky host settings (lifecycle events). */
  containerFields?: boolean;
}

/** Build an event with the container attribution and evidence source of the context. */
export function makeEvent(ctx: Context, s: EventSpec): TimelineEvent {
  const fields: Record<string, FieldValue> = s.containerFields ? { ...ctx.containerFields(s.containerId) } : {};
  for (const [k, v] of Object.entries(s.fields ?? {})) if (v !== undefined) fields[k] = v;
  const e: TimelineEvent = {
    timeNs: s.timeNs,
    timestampDesc: s.timestampDesc,
    kind: s.kind,
    message: s.message,
    source: s.source,
    sourcetype: s.sourcetype,
    dataType: s.dataType,
    parser: s.parser,
    evidenceSource: ctx.evidenceSource,
    evidenceKind: ctx.evidenceKind,
    evidence: s.evidence,
    offset: s.offset,
    ...ctx.attribution(s.containerId),
    fields,
  };
  if (s.imageId) e.imageId = s.imageId;
  if (s.stream) e.stream = s.stream;
  if (s.inode) e.inode = s.inode;
  return e;
}

/** Render a command line from an argv array for a message. */
export function argv(parts: readonly string[] | null | undefined): string {
  if (!parts || parts.length === 0) return '';
  return parts.map((p) => (/^[\w@%+=:,./-]+$/.test(p) ? p : JSON.stringify(p))).join(' ');
}
