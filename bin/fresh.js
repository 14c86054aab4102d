// Is the compiled tool in dist/ as new as every source it was made from? bin/build.js writes
// dist/BUILT after a clean compile; any file or folder under src/ (a folder's time moves when an
// entry is added, removed or renamed) or a tsconfig changed since makes it stale, and the sources
// are run through tsx instead. Plain JavaScript: it runs before any TypeScript can be loaded.
import { lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';

/** Newest modification time (ms) of `dir` and everything below it, or Infinity if unreadable. */
function newest(dir) {
  let t = lstatSync(dir).mtimeMs;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : lstatSync(p).mtimeMs);
  }
  return t;
}

/** True when `root`/dist/BUILT is at least as new as src/ and the tsconfig files. */
export function distIsFresh(root) {
  try {
    const built = lstatSync(path.join(root, 'dist', 'BUILT')).mtimeMs;
    let src = newest(path.join(root, 'src'));
    for (const f of ['tsconfig.json', 'tsconfig.build.json']) src = Math.max(src, lstatSync(path.join(root, f)).mtimeMs);
    return built >= src;
  } catch {
    return false;
  }
}
