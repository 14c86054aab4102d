import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RunReader } from '../../src/spill/run-reader.ts';
import { RunWriter } from '../../src/spill/run-writer.ts';

/** A fresh folder per call, removed after the tests of the file. */
export function scratch(): { dir: () => string; removeAll: () => void } {
  const made: string[] = [];
  return {
    dir: () => {
      const d = mkdtempSync(path.join(tmpdir(), 'dt-spill-test-'));
      made.push(d);
      return d;
    },
    removeAll: () => {
      for (const d of made) rmSync(d, { recursive: true, force: true });
    },
  };
}

/** Write `records` as a run file. */
export function writeRun(file: string, records: readonly Buffer[], buffer?: Buffer): RunWriter {
  const w = new RunWriter(file, buffer);
  try {
    for (const r of records) w.write(r);
    w.finish();
  } finally {
    w.close();
  }
  return w;
}

/** Every record of a run file (copied out of the reader's buffer). */
export function readRun(file: string, bufferBytes?: number): Buffer[] {
  const r = new RunReader(file, bufferBytes);
  const out: Buffer[] = [];
  try {
    while (r.next()) out.push(Buffer.from(r.buf.subarray(r.start, r.end)));
  } finally {
    r.close();
  }
  return out;
}
