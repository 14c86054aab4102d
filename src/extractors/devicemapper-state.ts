import type { Context } from './context.js';
import type { EvidenceEntry } from '../evidence/entry.js';
import type { GoValue } from './go-json-fields.js';

/** What a devicemapper metadata file held, as the engine's Go struct reads it (see devicemapper-metadata.ts). */
export interface DmRecord {
  /** Evidence path of the data root. */
  root: string;
  /** `device`: one device's devInfo; `deviceset`, `transaction`: the two files of the whole set; `other`: not read. */
  file: 'device' | 'deviceset' | 'transaction' | 'other';
  /** The file's name in `devicemapper/metadata/` (a device's hash; `base` for the base device). */
  name: string;
  entry: EvidenceEntry;
  values: Record<string, GoValue>;
  /** Keys the engine never writes there (at most 10). */
  unexpected: string[];
  /** Why the file's values could not be read at all (not JSON, too large), else null. */
  error: string | null;
  /** The engine would not load this file (json.Unmarshal fails on it, or deviceset.go refuses its device id). */
  refused?: boolean;
}

/** What one data root's devicemapper folder showed, gathered for the end of the run. */
export interface DmRoot {
  /** Device files seen: hash (`''` for `base`) → its transaction id and deleted flag, where readable. */
  devices: Map<string, { transactionId?: bigint; deleted?: boolean }>;
  /** `devicemapper/devicemapper/data` and `metadata` (the loop-lvm pool files): their size, never their bytes. */
  loopFiles: Map<'data' | 'metadata', EvidenceEntry>;
  transactions: DmRecord[];
  /** How many entries of `devicemapper/metadata/` were seen. */
  files: number;
}

const states = new WeakMap<Context, Map<string, DmRoot>>();

/** Every data root with a devicemapper folder seen so far, by evidence path of the root. */
export function dmRoots(ctx: Context): Map<string, DmRoot> {
  let m = states.get(ctx);
  if (!m) states.set(ctx, (m = new Map()));
  return m;
}

export function dmRoot(ctx: Context, root: string): DmRoot {
  const m = dmRoots(ctx);
  let r = m.get(root);
  if (!r) m.set(root, (r = { devices: new Map(), loopFiles: new Map(), transactions: [], files: 0 }));
  return r;
}
