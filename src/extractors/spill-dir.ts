import type { Context } from './context.js';

/**
 * Where extractors of one run may spill to disk (`--tmp-dir`; the system temp folder when not
 * given). Set by the pipeline for each context; never inside the evidence.
 */
const dirs = new WeakMap<Context, string>();

export function setSpillDir(ctx: Context, dir: string | undefined): void {
  if (dir) dirs.set(ctx, dir);
}

export function spillDir(ctx: Context): string | undefined {
  return dirs.get(ctx);
}
