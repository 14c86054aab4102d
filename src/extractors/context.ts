import type { FieldValue, TimelineEvent } from '../events/event.js';
import type { ContainerConfigRecord } from './container-config.js';
import type { HostConfigRecord } from './hostconfig.js';
import type { ImageConfigRecord } from './image-config.js';
import { ImageStore } from './image-store.js';
import type { VolumeInfo } from './volume-metadata.js';
import type { SavedImage } from './save-manifest.js';
import { linkgraphFields, type LinkgraphInfo } from './linkgraph.js';

/** What the first pass learnt about containers, used to attribute every later event. */
export class Context {
  readonly containers = new Map<string, ContainerConfigRecord>();
  readonly hostconfigs = new Map<string, HostConfigRecord>();
  /** image id (hex, no `sha256:`) → its config. */
  readonly images = new Map<string, ImageConfigRecord>();
  /** image id → every image store holding its config (after a driver switch the same image can be in two). */
  readonly imageDrivers = new Map<string, Set<string>>();
  readonly store = new ImageStore();
  /** Volumes of `volumes/metadata.db`, by name. */
  readonly volumes = new Map<string, VolumeInfo>();
  /** `docker save` archives: the images of manifest.json, and each layer member's chain id. */
  readonly saved: SavedImage[] = [];
  readonly savedLayerChains = new Map<string, string>();
  /** OCI layouts: manifest digest → reference names (index.json), and the manifests read. */
  readonly ociRefs = new Map<string, string[]>();
  readonly ociManifests: { digest: string; config: string; layers: { digest: string; mediaType: string }[] }[] = [];
  /** Pre-1.10 `linkgraph.db`: names and links by container id (a config's own name wins; a mismatch is kept visible). */
  readonly linkgraph = new Map<string, LinkgraphInfo>();
  /** Set when the evidence is an image or container archive rather than a data root. */
  archiveKind: 'docker-save' | 'docker-export' | null = null;

  constructor(readonly evidenceSource: string, readonly evidenceKind: 'OS' | 'TAR', readonly hostname: string | null) {}

  /** Container id, name and image for an event; unknown containers keep their id only. */
  attribution(containerId: string | undefined): Pick<TimelineEvent, 'containerId' | 'containerName' | 'imageId'> {
    if (!containerId) return {};
    const c = this.containers.get(containerId);
    const out: Pick<TimelineEvent, 'containerId' | 'containerName' | 'imageId'> = { containerId };
    const name = c?.name ?? this.linkgraph.get(containerId)?.names[0];
    if (name) out.containerName = name;
    if (c?.imageId) out.imageId = c.imageId;
    return out;
  }

  /** The name to show in messages: the container name, else the short id. */
  label(containerId: string): string {
    return this.containers.get(containerId)?.name ?? this.linkgraph.get(containerId)?.names[0] ?? containerId.slice(0, 12);
  }

  /** Fields every event of a container carries: image name and the risky host settings. */
  containerFields(containerId: string | undefined): Record<string, FieldValue> {
    if (!containerId) return {};
    const f: Record<string, FieldValue> = {};
    const c = this.containers.get(containerId);
    if (c?.imageName) f.image_name = c.imageName;
    const h = this.hostconfigs.get(containerId);
    if (h && h.risks.length) f.risky_settings = h.risks.join('; ');
    return { ...f, ...linkgraphFields(this, containerId) };
  }
}
