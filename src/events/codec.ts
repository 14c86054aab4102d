import type { TimelineEvent } from './event.js';

/**
 * Strings interned at most. Beyond, a string not yet interned is written as it is: paths and inodes
 * are unique per file, so an unbounded table would hold every file of the evidence (a folder of a
 * million files: a million paths and inode numbers, ~200 MB) for the whole run.
 */
const MAX_INTERNED = 1 << 16;

/**
 * Compact spill encoding of events: strings that repeat across events (descriptions, kinds, paths,
 * container ids and names) are interned in memory and written as numbers, up to MAX_INTERNED of
 * them (the first seen; later new ones are written as strings); per-event values (time, message,
 * offset, fields) are written as they are. One JSON array per line.
 */
export class EventCodec {
  private readonly ids = new Map<string, number>();
  private readonly strings: string[] = [];

  private intern(s: string | undefined): number | string {
    if (s === undefined) return -1;
    let id = this.ids.get(s);
    if (id === undefined) {
      if (this.strings.length >= MAX_INTERNED) return s;
      id = this.strings.length;
      this.strings.push(s);
      this.ids.set(s, id);
    }
    return id;
  }

  private str(v: number | string): string | undefined {
    return typeof v === 'string' ? v : v < 0 ? undefined : this.strings[v];
  }

  encode(e: TimelineEvent): string {
    return JSON.stringify([
      e.timeNs.toString(), e.message, e.offset,
      this.intern(e.timestampDesc), this.intern(e.kind), this.intern(e.source), this.intern(e.sourcetype),
      this.intern(e.dataType), this.intern(e.parser), this.intern(e.evidenceSource), this.intern(e.evidenceKind),
      this.intern(e.evidence), this.intern(e.containerId), this.intern(e.containerName), this.intern(e.imageId),
      this.intern(e.stream), this.intern(e.inode), e.fields, e.stat ?? null,
    ]);
  }

  decode(line: string): TimelineEvent {
    const a = JSON.parse(line) as [string, string, number, ...(number | string)[]];
    const n = (i: number): number | string => a[i] as number | string;
    const e: TimelineEvent = {
      timeNs: BigInt(a[0]), message: a[1], offset: a[2],
      timestampDesc: this.str(n(3))!, kind: this.str(n(4))!, source: this.str(n(5))!, sourcetype: this.str(n(6))!,
      dataType: this.str(n(7))!, parser: this.str(n(8))!, evidenceSource: this.str(n(9))!,
      evidenceKind: this.str(n(10)) as 'OS' | 'TAR', evidence: this.str(n(11))!,
      fields: a[17] as unknown as TimelineEvent['fields'],
    };
    const opt = (key: 'containerId' | 'containerName' | 'imageId' | 'stream' | 'inode', i: number): void => {
      const v = this.str(n(i));
      if (v !== undefined) e[key] = v;
    };
    opt('containerId', 12); opt('containerName', 13); opt('imageId', 14); opt('stream', 15); opt('inode', 16);
    if (a[18]) e.stat = a[18] as unknown as TimelineEvent['stat'];
    return e;
  }
}
