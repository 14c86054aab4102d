import type { Extractor } from './extractor.js';
import type { EvidenceEntry } from '../evidence/entry.js';
import { joinPath } from '../evidence/entry.js';
import { dmRoot, dmRoots } from './devicemapper-state.js';

interface PoolRecord {
  root: string;
  /** `data` / `metadata`: a loop-lvm pool file; `folder`: the driver's folder or one below it. */
  what: 'data' | 'metadata' | 'folder';
  entry: EvidenceEntry;
}

const LOOP = /^devicemapper\/devicemapper\/(data|metadata)$/;

/**
 * The devicemapper thin pool, seen from its metadata only. Every file of every layer and container is
 * inside the pool's thin devices (an ext4 or xfs file system each), and this tool does not read the
 * pool: not the loop-lvm files `devicemapper/devicemapper/data` and `metadata` (sparse, 100 GB and 2 GB
 * by default: their bytes are never opened), not a direct-lvm block device, which is outside the data
 * root anyway. Once per data root a notice says so, naming the pool files found (deviceset.go
 * ensureImage: `<root>/devicemapper/devicemapper/{data,metadata}`).
 */
export const devicemapperPool: Extractor<PoolRecord> = {
  name: 'devicemapper_pool',
  artifact: 'devicemapper thin pool',
  phase: 'content',
  needs: 'meta',
  match(rel) {
    return rel === 'devicemapper' || rel === 'devicemapper/metadata' || LOOP.test(rel);
  },
  async extract(ref, _input, out) {
    const loop = LOOP.exec(ref.rel);
    out.record({ root: ref.root, what: loop ? (loop[1] as 'data' | 'metadata') : 'folder', entry: ref.entry });
  },
  *toEvents(r, ctx) {
    const state = dmRoot(ctx, r.root);
    if (r.what !== 'folder') state.loopFiles.set(r.what, r.entry);
  },
  *finish(ctx, warn) {
    for (const [root, state] of dmRoots(ctx)) {
      const found = (['data', 'metadata'] as const).flatMap((k) => {
        const e = state.loopFiles.get(k);
        return e ? [`devicemapper/devicemapper/${k} (${e.type === 'file' ? `${e.size} bytes, not opened` : `${e.type}, not followed`})`] : [];
      });
      const where = found.length === 2 ? `here the loop-lvm pool files ${found.join(' and ')}`
        : found.length === 1 ? `here only ${found[0]}; the other pool file is not in the evidence`
          : state.files > 0
            ? 'no loop-lvm pool files (devicemapper/devicemapper/data, metadata) here: the pool was a block device (direct-lvm, dm.thinpooldev) outside the data root, or they are not in this evidence'
            : 'neither device metadata nor loop-lvm pool files (devicemapper/devicemapper/data, metadata) are here';
      warn({
        kind: 'not-read', level: 'notice', evidence: joinPath(root, 'devicemapper'), offset: 0,
        message: `devicemapper: each thin device's metadata (devicemapper/metadata/) is read; the files inside the devices (layer and container contents, so their file times and drift) are only in the thin pool, which this tool does not read: ${where}`,
      });
    }
  },
};
