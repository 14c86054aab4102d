import type { EventSorter } from '../events/sorter.js';
import type { TimelineEvent } from '../events/event.js';
import type { Sink } from '../sinks/sink.js';
import { OutputWriter } from './output.js';
import { formatWarning, type Warnings } from '../warnings.js';

/**
 * Write the sorted timeline through a sink to a file (or stdout). `keep` says, per event, whether it
 * goes out (a time window, dedup). Returns how many were written.
 */
export async function writeTimeline(sorter: EventSorter, sink: Sink, file: string | null, keep: (e: TimelineEvent) => boolean): Promise<number> {
  const out = new OutputWriter(file);
  let written = 0;
  // A CSV header needs every field name before the first row: the sorter has seen every event by now.
  await out.write(sink.header({ fieldNames: [...sorter.fieldNames] }));
  for await (const batch of sorter.sorted()) {
    for (const e of batch) {
      if (!keep(e)) continue;
      written++;
      out.piece(sink.write(e));
    }
    await out.drain();
  }
  await out.write(sink.end());
  await out.close();
  return written;
}

/** The first warnings and notices, then the count of the rest, on stderr. */
export function reportWarnings(warnings: Warnings, file: string | undefined, stderr: (s: string) => void): void {
  for (const w of [...warnings.list.slice(0, 20), ...warnings.notices.slice(0, 10)]) stderr(formatWarning(w) + '\n');
  if (warnings.total > 20) stderr(`... ${warnings.total - 20} more warning(s)${file ? ` in ${file}` : ' (use --warnings FILE for all)'}\n`);
}
