import test from 'ava';
import { diffTrees, mergeLayers, type LayerNode, type LayerTree, type ViewNode } from '../../src/extractors/drift.ts';
import { LayerEntryStore, pathKey } from '../../src/extractors/drift-store.ts';
import { streamDiff } from '../../src/extractors/drift-stream.ts';

/**
 * The streaming drift (drift-stream.ts over drift-store.ts, held in memory or spilled in runs) gives
 * exactly the changes, in the same order, with the same nodes and layers, as the reference on whole
 * trees (mergeLayers + diffTrees), on random layer stacks that include what real layers never hold:
 * folders only implied by entries below them, entries below files and whiteouts, whiteouts and
 * opaque folders at every level, type changes, a path given twice in one layer.
 */

/** xorshift32, the seed scrambled (small seeds would start with small numbers) */
function rng(seed: number): () => number {
  let x = Math.imul(seed, 0x9e3779b1) >>> 0 || 1;
  const next = (): number => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x / 2 ** 32;
  };
  for (let i = 0; i < 8; i++) next();
  return next;
}

// names that test the order: a prefix of a sibling, characters below and above '/', non-ASCII
const NAMES = ['a', 'b', 'a.b', 'a-b', 'a b', '!', 'ab', 'é', 'z\nz', '~'];

interface Stack { layers: { id: string; tree: LayerTree; adds: [string, LayerNode][] }[]; before: number[]; after: number[]; upper: number }

function randomStack(seed: number): Stack {
  const r = rng(seed);
  const int = (n: number): number => Math.floor(r() * n);
  const nLayers = 1 + int(5);
  const layers: Stack['layers'] = [];
  // a small pool of paths, so that layers touch the same ones
  const pool: string[] = [];
  const poolSize = 4 + int(30);
  for (let i = 0; i < poolSize; i++) {
    const depth = 1 + int(4);
    pool.push('/' + Array.from({ length: depth }, () => NAMES[int(r() < 0.7 ? 3 : NAMES.length)]!).join('/'));
  }
  for (let l = 0; l < nLayers; l++) {
    const id = `overlay2:layer${l}`;
    const tree: LayerTree = new Map();
    const adds: [string, LayerNode][] = [];
    const count = int(25);
    const withRoot = r() < 0.7;
    if (withRoot) adds.push(['/', node(r, 'dir', `L${l}/diff`)]);
    for (let i = 0; i < count; i++) {
      const p = pool[int(pool.length)]!;
      // often list the folders above too (as real layers do), sometimes not (implied folders)
      if (r() < 0.6) {
        const parts = p.split('/').filter(Boolean);
        for (let d = 1; d < parts.length; d++) {
          const dir = '/' + parts.slice(0, d).join('/');
          if (r() < 0.8) adds.push([dir, node(r, r() < 0.9 ? 'dir' : 'file', `L${l}/diff${dir}`, r() < 0.15)]);
        }
      }
      const x = r();
      const type = x < 0.15 ? 'whiteout' : x < 0.5 ? 'dir' : x < 0.9 ? 'file' : 'symlink';
      // an aufs-style whiteout's evidence is not the layer folder + path
      const evidence = type === 'whiteout' && r() < 0.5 ? `L${l}/diff${p.slice(0, p.lastIndexOf('/'))}/.wh.${p.slice(p.lastIndexOf('/') + 1)}` : `L${l}/diff${p}`;
      adds.push([p, node(r, type, evidence, type === 'dir' && r() < 0.2)]);
    }
    // adds in random order; a path given twice keeps its last entry (as the Map does)
    for (let i = adds.length - 1; i > 0; i--) {
      const j = int(i + 1);
      [adds[i], adds[j]] = [adds[j]!, adds[i]!];
    }
    for (const [p, n] of adds) tree.set(p, n);
    layers.push({ id, tree, adds });
  }
  const shape = int(4);
  let before: number[];
  let after: number[];
  const all = layers.map((_, i) => i);
  if (shape === 0 || nLayers < 3) {
    // overlay2 / aufs: image layers (+ init), then the writable layer on top
    before = all.slice(0, -1);
    after = all;
  } else if (shape === 1) {
    // overlay v1: the image's root, then the init layer's upper / the container's upper
    before = [0, 1];
    after = [0, 2];
  } else if (shape === 2) {
    // vfs: two full copies
    before = [0];
    after = [1];
  } else {
    before = all.filter(() => r() < 0.6);
    after = [...all.filter(() => r() < 0.6), nLayers - 1];
  }
  return { layers, before, after: [...new Set(after)], upper: after.at(-1)! };
}

let ino = 0;
function node(r: () => number, type: 'dir' | 'file' | 'symlink' | 'whiteout', evidence: string, opaque = false): LayerNode {
  const n: LayerNode = {
    type: type === 'whiteout' ? 'char' : type, perm: [0o755, 0o644, 0o600][Math.floor(r() * 3)]!, uid: r() < 0.9 ? 0 : 1000, gid: r() < 0.9 ? 0 : null,
    rdev: type === 'whiteout' ? '0,0' : '', size: BigInt(Math.floor(r() * 3)), whiteout: type === 'whiteout', opaque: type === 'dir' && opaque,
    evidence, inode: r() < 0.9 ? String(++ino) : null,
  };
  if (r() < 0.9) n.mtime = 1_700_000_000_000_000_000n + BigInt(Math.floor(r() * 3));
  if (r() < 0.8) n.ctime = 1_700_000_000_000_000_000n + BigInt(Math.floor(r() * 1000));
  if (r() < 0.1) n.cap = 'AQAAAg';
  return n;
}

const show = (n: LayerNode | null | undefined): string => n === undefined ? 'undefined' : n === null ? 'null'
  : JSON.stringify([n.type, n.perm, n.uid, n.gid, n.rdev, n.mtime?.toString(), n.ctime?.toString(), n.size.toString(), n.cap, n.whiteout, n.opaque, n.evidence, n.inode]);
const showView = (v: ViewNode | null): string => (v ? `${v.layer}:${show(v.node)}` : 'none');

function reference(s: Stack): string[] {
  const view = (idx: number[]) => mergeLayers(idx.map((i) => ({ id: s.layers[i]!.id, tree: s.layers[i]!.tree })));
  const upper = s.layers[s.upper]!.tree;
  const parentOf = (p: string): string => p.slice(0, p.lastIndexOf('/')) || '/';
  return diffTrees(view(s.after), view(s.before)).map((c) => `${c.kind} ${c.path} ${showView(c.node)} ${showView(c.old)}`
    + (c.kind === 'D' ? ` ${show(upper.get(c.path))} ${show(upper.get(parentOf(c.path)))}` : ''));
}

function streamed(s: Stack, memoryBytes: number): { changes: string[]; runs: number } {
  const store = new LayerEntryStore({ memoryBytes });
  // entries of the layers interleaved, as a walk of the evidence may give them
  const queues = s.layers.map((l) => [...l.adds]);
  for (let i = 0; queues.some((q) => q.length); i++) {
    const q = queues[i % queues.length]!;
    const a = q.shift();
    if (a) store.add(s.layers[i % queues.length]!.id, a[0], a[1]);
  }
  try {
    const keys = [...new Set([...s.before, ...s.after])];
    const layers = keys.map((i) => ({ id: s.layers[i]!.id, cursor: store.open(s.layers[i]!.id) }));
    const changes = [...streamDiff(layers, s.before.map((i) => keys.indexOf(i)), s.after.map((i) => keys.indexOf(i)), keys.indexOf(s.upper))]
      .map((c) => `${c.kind} ${c.path} ${showView(c.node)} ${showView(c.old)}` + (c.kind === 'D' ? ` ${show(c.upperEntry)} ${show(c.upperParent)}` : ''));
    for (const l of layers) l.cursor.close();
    return { changes, runs: store.spilledRuns };
  } finally {
    store.cleanup();
  }
}

test('streaming drift equals the reference on 2000 random layer stacks (in memory and spilled)', (t) => {
  let spilled = 0;
  let changes = 0;
  for (let seed = 1; seed <= 2000; seed++) {
    const s = randomStack(seed);
    const want = reference(s);
    changes += want.length;
    // every third stack spilled in runs of a few entries (merged back, the last entry of a path winning)
    const got = streamed(s, seed % 3 === 0 ? 3000 + (seed % 7) * 500 : 1 << 24);
    if (got.runs) spilled++;
    if (JSON.stringify(got.changes) !== JSON.stringify(want)) {
      t.deepEqual(got.changes, want, `seed ${seed}: before ${s.before} after ${s.after}\n${s.layers.map((l) => `${l.id}: ${l.adds.map(([p, n]) => `${p}=${n.whiteout ? 'wh' : n.type}${n.opaque ? '+opq' : ''}`).join(' ')}`).join('\n')}`);
      return;
    }
  }
  t.log(`${changes} changes compared; ${spilled} stacks spilled`);
  t.true(spilled > 400);
  t.true(changes > 15_000);
});

test('the store gives each path\'s last entry, in key order, from many spilled runs (merged in passes) and from memory', (t) => {
  const r = rng(7);
  for (const budget of [1 << 24, 2500, 40_000]) {
    const store = new LayerEntryStore({ memoryBytes: budget });
    const want = new Map<string, Map<string, LayerNode>>();
    for (let i = 0; i < 6000; i++) {
      const layer = ['big', 'big', 'big', 'small', 'other'][Math.floor(r() * 5)]!;
      // now and then a path longer than a held chunk or a read buffer (a chain of folders far below PATH_MAX)
      const long = r() < 0.01 ? `/${'deep/'.repeat(1000 + Math.floor(r() * 9000))}x` : '';
      const p = '/' + Array.from({ length: 1 + Math.floor(r() * 3) }, () => NAMES[Math.floor(r() * NAMES.length)]!).join('/') + long + (r() < 0.5 ? `/f${Math.floor(r() * 500)}` : '');
      const n = node(r, r() < 0.3 ? 'dir' : r() < 0.1 ? 'whiteout' : 'file', r() < 0.9 ? `x/${layer}${p}` : `elsewhere${p}`);
      store.add(layer, p, n);
      let m = want.get(layer);
      if (!m) want.set(layer, (m = new Map()));
      m.set(p, n);
    }
    for (const [layer, m] of want) {
      // with few files open at once the runs are merged first, in passes
      const c = store.open(layer, undefined, budget === 2500 ? 3 : undefined);
      const got: string[] = [];
      for (; c.head; c.next()) got.push(`${c.head.path} ${show(c.head.node)}`);
      c.close();
      const expected = [...m].sort(([a], [b]) => (pathKey(a) < pathKey(b) ? -1 : 1)).map(([p, n]) => `${p} ${show(n)}`);
      t.deepEqual(got, expected, `${layer}, budget ${budget}`);
    }
    t.log(`budget ${budget}: ${store.spilledRuns} runs`);
    if (budget < 1 << 20) t.true(store.spilledRuns > 40);
    store.cleanup();
  }
});

test('path keys sort a folder, then its subtree, then its next sibling', (t) => {
  const paths = ['/a.b', '/a/b', '/a', '/', '/a b', '/a/b/c', '/ab', '/a-b/x', '/!'];
  t.deepEqual([...paths].sort((x, y) => (pathKey(x) < pathKey(y) ? -1 : 1)), ['/', '/!', '/a', '/a/b', '/a/b/c', '/a b', '/a-b/x', '/a.b', '/ab']);
});
