import type { Context } from './context.js';
import { chainIds, imageLabel } from './image-config.timemap.js';
import { bareDigest } from './image-paths.js';

export interface LayerUser {
  imageId: string;
  /** The image store the image was read from (`overlay2`, `vfs`, `docker-save`, `oci`). */
  driver: string;
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
      for (const driver of ctx.imageDrivers.get(img.id) ?? [img.driver]) list.push({ imageId: `sha256:${img.id}`, driver, label: imageLabel(ctx, img.id), step: h.step, createdBy: h.createdBy });
    }
  }
  cache.set(ctx, m);
  return m;
}

/**
 * The images holding a layer and the step that made it; with `driver` (the layerdb the layer is in),
 * only images of that driver's image store: after a driver switch the same chain id is a layer of
 * each driver, and an overlay2 layer is no layer of a vfs image.
 */
export function layerUsersOf(ctx: Context, chainId: string, driver?: string): LayerUser[] {
  const all = layerUsers(ctx).get(chainId) ?? [];
  return driver === undefined ? all : all.filter((u) => u.driver === driver);
}
