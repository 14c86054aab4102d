#!/usr/bin/env node
// Compiles src/ to dist/ with tsc (npm's `prepare`, so `npm ci` does it; `npm run build` by hand),
// then writes dist/BUILT with the hash of the sources compiled (see fresh.js). Without TypeScript (a production install), or when tsc reports an error,
// there is no BUILT and bin/docker-timeline.js runs the sources through tsx, as it does while
// the sources are newer than the build.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sourceHash } from './fresh.js';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const stamp = path.join(root, 'dist', 'BUILT');
rmSync(stamp, { force: true });
let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  console.error('docker-timeline build: TypeScript is not installed; the sources will run through tsx');
  process.exit(0);
}
// the sources' hash before tsc reads them: a source changed while it runs makes the build stale
const hash = sourceHash(root);
const started = new Date();
const r = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (r.status !== 0) {
  console.error('docker-timeline build: tsc failed; the sources will run through tsx');
  process.exit(r.status ?? 1);
}
mkdirSync(path.dirname(stamp), { recursive: true });
writeFileSync(stamp, `sha256:${hash}\nbuilt from the sources as they were at ${started.toISOString()}\n`);
