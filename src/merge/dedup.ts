import type { TimelineEvent } from '../events/event.js';

/**
 * What an event is about, for `--dedup`: for events of this tool's own outputs the original evidence
 * and offset; otherwise the file name the input gave (bodyfile name, L2T filename, plaso
 * display_name) and inode.
 */
export function dedupSubject(e: TimelineEvent): string {
  const f = e.fields;
  if (f.original_evidence !== undefined) return `${String(f.original_evidence_source ?? '')}\0${String(f.original_evidence)}\0${String(f.original_offset ?? '')}`;
  return `${String(f.filename ?? f.original_display_name ?? '')}\0${e.inode ?? ''}`;
}

/**
 * `--dedup`: drops an event equal to an earlier one in time (ns), timestamp description, what it is
 * about (dedupSubject) and message. Events come in time order, so only the keys of the current
 * instant are held.
 */
export class Dedup {
  private time: bigint | null = null;
  private readonly seen = new Set<string>();
  dropped = 0;

  duplicate(e: TimelineEvent): boolean {
    if (e.timeNs !== this.time) {
      this.time = e.timeNs;
      this.seen.clear();
    }
    const key = `${e.timestampDesc}\0${dedupSubject(e)}\0${e.message}`;
    if (this.seen.has(key)) {
      this.dropped++;
      return true;
    }
    this.seen.add(key);
    return false;
  }
}
