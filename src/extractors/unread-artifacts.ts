import type { Extractor } from './extractor.js';

/**
 * Folders and files of a data root that are recognised but not read (yet), and why. (devicemapper's
 * notice, that the thin pool is not read, is devicemapper-pool.ts's: it names the pool files found.)
 */
const UNREAD: [RegExp, string][] = [
  [/^windowsfilter$/, 'Windows container layers (windowsfilter) are not read'],
  [/^buildkit$/, 'BuildKit cache and history (bolt databases) are not read'],
  [/^swarm$/, 'swarm raft state is not read'],
  [/^containerd$/, 'the engine-managed containerd root (meta.db, snapshots) is not read'],
  [/^network\/files\/local-kv\.db$/, 'libnetwork state (networks, endpoints) is not read'],
  [/^plugins$/, 'managed plugins are not read'],
  [/^builder$/, 'the classic builder cache (fscache.db) is not read'],
  [/^fuse-overlayfs$/, 'fuse-overlayfs layers are not read'],
  [/^(btrfs\/subvolumes|zfs\/graph)$/, ''],
];

/** Says, once per item, what in the data root is recognised but not read, so the examiner knows what is left. */
export const unreadArtifacts: Extractor<{ rel: string; why: string }> = {
  name: 'unread_artifacts',
  artifact: 'data root',
  phase: 'content',
  needs: 'meta',
  match(rel) {
    return UNREAD.some(([re, why]) => why !== '' && re.test(rel));
  },
  async extract(ref, _input, out) {
    const why = UNREAD.find(([re]) => re.test(ref.rel))![1];
    out.warn({ kind: 'not-read', offset: 0, message: why, level: 'notice' });
  },
  toEvents() {
    return [];
  },
};
