import type { Context } from './context.js';
import { chainIds, imageLabel } from './image-config.timemap.js';
import { bareDigest } from './image-paths.js';

export interface LayerUser {
  imageId: string;
  label: string;
  step: number;
  createdBy: string;
}

const cache = new WeakMap<Context, Map<string, LayerUser[]>>();

/** chain id (hex) → the images that hold the layer and the history step that made it, oldest image first. */
export function layerUsers(ctx: Context): Map<string, LayerUser[]> {
  let m = cache.get(ctx);
  if (m) return m;
  m = new Map();
  const images = [...ctx.images.values()].sort((a, b) => (a.created && b.created ? (a.created.ns < b.created.ns ? -1 : a.created.ns > b.created.ns ? 1 : 0) : 0));
  for (const img of images) {
    const chains = chainIds(img.diffIds);
    for (const h of img.history) {
      if (h.layerIndex === null) continue;
      const chain = chains[h.layerIndex];
      if (!chain) continue;
      const key = bareDigest(chain);
      let list = m.get(key);
      if (!list) m.set(key, (list = []));
      list.push({ imageId: `sha256:${img.id}`, label: imageLabel(ctx, img.id), step: h.step, createdBy: h.createdBy });
    }
  }
  cache.set(ctx, m);
  return m;
}
