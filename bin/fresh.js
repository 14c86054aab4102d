// Is the compiled tool in dist/ made from exactly the sources there are now? bin/build.js writes
// dist/BUILT after a clean compile, holding a hash of every file under src/ and of the tsconfig
// files (names and contents) as they were when the compile started; a different hash (a file
// changed, added, removed or renamed, whatever its time says) makes dist/ stale, and the sources are
// run through tsx instead. Plain JavaScript: it runs before any TypeScript can be loaded.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** sha256 over the relative path and bytes of every file under src/ and of the tsconfig files, in name order. */
export function sourceHash(root) {
  const h = createHash('sha256');
  const add = (rel) => h.update(rel + '\0').update(readFileSync(path.join(root, rel))).update('\0');
  const walk = (rel) => {
    for (const e of readdirSync(path.join(root, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const r = path.join(rel, e.name);
      if (e.isDirectory()) walk(r);
      else add(r);
    }
  };
  walk('src');
  for (const f of ['tsconfig.json', 'tsconfig.build.json']) add(f);
  return h.digest('hex');
}

/** True when `root`/dist/BUILT names the hash of the sources as they are now. */
export function distIsFresh(root) {
  try {
    const built = readFileSync(path.join(root, 'dist', 'BUILT'), 'utf8');
    return built.split('\n')[0] === `sha256:${sourceHash(root)}`;
  } catch {
    return false;
  }
}
