/**
 * The "bare loop": the least work any json-file reader has to do. Read the log with an fs stream
 * (1 MiB chunks, as the tool reads), split the Buffers at `\n` with indexOf, JSON.parse each line's
 * UTF-8 text, nothing else. Plain JavaScript run as its own process (`node bench/bare-loop.js FILE`,
 * no tsx), so it starts as a plain Node program does; prints one JSON line with its numbers.
 */
import { createReadStream } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** Reads FILE; returns { bytes, lines, loopMs } (loopMs: the read/split/parse loop alone, no start-up). */
export async function bareLoop(file) {
  const t0 = performance.now();
  let bytes = 0;
  let lines = 0;
  let sink = 0; // keeps the parse results observable
  let carry = null;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    bytes += chunk.length;
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) break;
      let line = chunk.subarray(start, nl);
      if (carry) {
        line = Buffer.concat([carry, line]);
        carry = null;
      }
      if (line.length > 0) {
        const obj = JSON.parse(line.toString('utf8'));
        sink += obj.log ? 1 : 0;
        lines++;
      }
      start = nl + 1;
    }
    if (start < chunk.length) carry = carry ? Buffer.concat([carry, chunk.subarray(start)]) : Buffer.from(chunk.subarray(start));
  }
  if (carry && carry.length) {
    JSON.parse(carry.toString('utf8'));
    lines++;
  }
  if (sink < 0) console.log(sink);
  return { bytes, lines, loopMs: performance.now() - t0 };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: bare-loop.js LOGFILE\n');
    process.exit(2);
  }
  const r = await bareLoop(file);
  process.stdout.write(JSON.stringify(r) + '\n');
}
