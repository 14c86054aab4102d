import type { EventSorter } from '../events/sorter.js';
import type { TimelineEvent } from '../events/event.js';
import type { Sink } from '../sinks/sink.js';
import { OutputWriter } from './output.js';
import { RawLine } from '../events/raw-line.js';
import { formatWarning, type Warnings } from '../warnings.js';

/**
 * Write the sorted timeline through a sink to a file (or stdout). `keep` says, per event, whether it
 * goes out (a time window, dedup); `keepLine` the same for lines a sink formatted in advance (their
 * time alone: they are only made for extract's directly merged logs). Returns how many were written.
 */
export async function writeTimeline(sorter: EventSorter, sink: Sink, file: string | null, keep: (e: TimelineEvent) => boolean,
  keepLine?: (timeNs: bigint) => boolean, fast = true, progress?: (seen: number) => void): Promise<number> {
  const out = new OutputWriter(file);
  let written = 0;
  // A CSV header needs every field name before the first row: the sorter has seen every event by now.
  await out.write(sink.header({ fieldNames: [...sorter.fieldNames] }));
  const raw = fast ? sink.rawLogs?.() : undefined;
  // lines formatted in advance that lie one after another in one buffer go out as one run
  let run: RawLine | null = null;
  let runEnd = 0;
  let runLines = 0;
  const flushRun = (): void => {
    if (!run) return;
    const { owner } = run;
    const lines = runLines;
    // the worker's buffer goes back to it only once these bytes are written
    out.lend(run.buf, run.start, runEnd, () => owner?.done(lines));
    run = null;
  };
  let seen = 0;
  for await (const batch of sorter.sorted(raw)) {
    seen += batch.length;
    progress?.(seen);
    for (const e of batch) {
      if (e instanceof RawLine) {
        if (keepLine && !keepLine(e.timeNs)) {
          e.owner?.done();
          continue;
        }
        written++;
        const text = sink.writeRaw!(e);
        if (text === null) {
          if (run && run.buf === e.buf && runEnd === e.start) {
            runEnd = e.end;
            runLines++;
          } else {
            flushRun();
            run = e;
            runEnd = e.end;
            runLines = 1;
          }
          continue;
        }
        e.owner?.done();
        flushRun();
        out.piece(text);
      } else {
        if (!keep(e)) continue;
        written++;
        flushRun();
        out.piece(sink.write(e));
      }
    }
    flushRun();
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
