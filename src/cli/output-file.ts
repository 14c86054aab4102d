import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

/**
 * Flags to write an output file made ready by `makeOutputFile`: write-only, created if it went
 * missing, and never O_TRUNC. On ext4, a file truncated by its opener is flushed to disk when it is
 * closed (`auto_da_alloc`): measured here, 134-250 ms at the end of a run writing 700 MB.
 */
export const OUTPUT_FLAGS = constants.O_WRONLY | constants.O_CREAT;

/** The same, for `createWriteStream` (it hands its flags to `fs.open`, which takes numbers; its type says string). */
export const OUTPUT_STREAM_FLAGS = OUTPUT_FLAGS as unknown as string;

/**
 * Makes an output file before any work (one that cannot be made stops the run at once): created if
 * missing, emptied if it holds anything (and closed, which ends the truncation's flush at once, while
 * nothing is written yet). The output is then written with `OUTPUT_FLAGS`.
 */
export async function makeOutputFile(file: string): Promise<void> {
  const fh = await open(file, OUTPUT_FLAGS, 0o666);
  try {
    const st = await fh.stat();
    // another name of the same file (a hard link) may be evidence: an output path compare cannot see that
    // (empty or not: an empty evidence file, a container's `hosts`, would be written into)
    if (st.nlink > 1) throw new Error(`${file} has ${st.nlink} hard links (another name of it may be evidence); not written: choose another output file`);
    if (st.size > 0) await fh.truncate(0);
  } finally {
    await fh.close();
  }
}
