import type { Readable } from 'node:stream';
import type { TimelineEvent } from './event.js';

/** Events held before the producer is paused (per source). */
const HIGH_WATER = 1024;

/**
 * Turn a push-style extraction (`run(input, onEvent)`) into a pull-style async iterator of batches, with
 * back-pressure: the input is read chunk by chunk only while fewer than HIGH_WATER events wait,
 * so many sources can be merged at once with flat memory.
 */
export async function* pullEvents(
  open: () => Promise<Readable>,
  run: (input: Readable, onEvent: (e: TimelineEvent) => void) => Promise<void>,
): AsyncGenerator<TimelineEvent[]> {
  const queue: TimelineEvent[] = [];
  let resumeProducer: (() => void) | null = null;
  let wakeConsumer: (() => void) | null = null;
  let done = false;
  let failure: unknown = null;
  const stream = await open();
  const gated = {
    async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        while (queue.length >= HIGH_WATER) await new Promise<void>((r) => { resumeProducer = r; });
        yield chunk;
      }
    },
  } as unknown as Readable;
  const wake = (): void => { const w = wakeConsumer; wakeConsumer = null; w?.(); };
  void run(gated, (e) => { queue.push(e); if (queue.length >= 256) wake(); })
    .catch((e: unknown) => { failure = e; })
    .finally(() => { done = true; wake(); });
  try {
    for (;;) {
      if (queue.length > 0) {
        const batch = queue.splice(0, queue.length);
        const r = resumeProducer as (() => void) | null;
        resumeProducer = null;
        r?.();
        yield batch;
        continue;
      }
      if (done) break;
      await new Promise<void>((r) => { wakeConsumer = r; });
    }
    if (failure) throw failure;
  } finally {
    stream.destroy();
  }
}
