import type { TimelineEvent } from './event.js';

/** What the order reads of an event (a line formatted in advance has just these). */
export type OrderKey = Pick<TimelineEvent, 'timeNs' | 'evidenceSource' | 'evidence' | 'offset' | 'kind'>;

const cmpStr = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The timeline order: time (ns), then the evidence argument, the artifact path, the byte offset,
 * and the kind. Events equal in all of these keep the order they were extracted in (the sort is stable).
 */
export function compareEvents(a: OrderKey, b: OrderKey): number {
  if (a.timeNs !== b.timeNs) return a.timeNs < b.timeNs ? -1 : 1;
  return cmpStr(a.evidenceSource, b.evidenceSource)
    || cmpStr(a.evidence, b.evidence)
    || a.offset - b.offset
    || cmpStr(a.kind, b.kind);
}
