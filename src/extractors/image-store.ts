/** What the image store holds, learnt in the first pass: tags, metadata, layers, container mounts. */
export interface LayerInfo {
  driver: string;
  chainId: string;
  diffId: string | null;
  cacheId: string | null;
  parent: string | null;
  size: string | null;
}

export interface MountInfo {
  driver: string;
  containerId: string;
  mountId: string | null;
  initId: string | null;
  parent: string | null;
}

export interface ImageMeta {
  parent: string | null;
  builtLocally: boolean;
}

export class ImageStore {
  /** image id (hex) → tags and digests (`webapp:1.0`, `nginx@sha256:...`). */
  readonly tags = new Map<string, Set<string>>();
  readonly meta = new Map<string, ImageMeta>();
  /**
   * `<driver>/<chain id>` → layer. After a storage-driver switch one chain id is in the layerdb of
   * each driver (`image/overlay2/layerdb`, `image/vfs/layerdb`), each with its own cache id.
   */
  readonly layers = new Map<string, LayerInfo>();
  /** chain id (hex) → the first layer seen with it, whatever its driver. */
  private readonly byChain = new Map<string, LayerInfo>();
  /** container id → its read/write layer. */
  readonly mounts = new Map<string, MountInfo>();
  /** aufs: layer id → its ancestors, immediate parent first (`aufs/layers/<id>`). */
  readonly aufsParents = new Map<string, string[]>();

  addTag(imageId: string, ref: string): void {
    let s = this.tags.get(imageId);
    if (!s) this.tags.set(imageId, (s = new Set()));
    s.add(ref);
  }

  tagsOf(imageId: string): string[] {
    return [...(this.tags.get(imageId) ?? [])].sort();
  }

  layer(chainId: string, driver = ''): LayerInfo {
    const key = `${driver}/${chainId}`;
    let l = this.layers.get(key);
    if (!l) {
      this.layers.set(key, (l = { driver, chainId, diffId: null, cacheId: null, parent: null, size: null }));
      if (!this.byChain.has(chainId)) this.byChain.set(chainId, l);
    }
    return l;
  }

  /** The layer of a chain id in `driver`'s layerdb; without a driver, the first one seen with that chain id. */
  findLayer(chainId: string, driver?: string): LayerInfo | undefined {
    const first = this.byChain.get(chainId);
    if (driver === undefined || first?.driver === driver) return first;
    return this.layers.get(`${driver}/${chainId}`);
  }

  mount(containerId: string): MountInfo {
    let m = this.mounts.get(containerId);
    if (!m) this.mounts.set(containerId, (m = { driver: '', containerId, mountId: null, initId: null, parent: null }));
    return m;
  }

  metaOf(imageId: string): ImageMeta {
    let m = this.meta.get(imageId);
    if (!m) this.meta.set(imageId, (m = { parent: null, builtLocally: false }));
    return m;
  }
}
