import type { FieldValue, TimelineEvent } from '../events/event.js';
import type { Context } from '../extractors/context.js';
import { EXTRACTORS } from '../extractors/index.js';
import { layerOwner } from '../extractors/layer-files.js';
import { HEX64 } from '../extractors/paths.js';
import { volumeUsers } from '../extractors/volume-files.js';
import { tryOpenEvidence } from '../cli/open-evidence.js';
import { extractSource } from '../pipeline.js';
import type { Warnings } from '../warnings.js';

/** Layer directory names under `overlay2/`: cache ids, mount ids, `<mount id>-init` (not `l`, the short-link folder). */
const LAYER_DIR = /^[0-9a-z]{12,}(?:-init)?$/;
const UNKNOWN_LAYER = 'layer of no known image or container';
/** A path some rule of `attribute` can match: one of its folder names as a segment with more after it. */
const CANDIDATE = /(?:^|\/)(?:overlay2|containers|volumes|image)\//;
/** The data root of a match at segment `i`: everything before it. */
function rootOf(segs: readonly string[], i: number): string {
  return segs.slice(0, i).join('/') || '/';
}
/** Files of `containers/<id>/` that the engine bind-mounts into the container. */
const MOUNTED_FILES: Record<string, string> = { hostname: '/etc/hostname', hosts: '/etc/hosts', 'resolv.conf': '/etc/resolv.conf' };

/** Who a layer folder belongs to (extractors/layer-files.ts `layerOwner`). */
type LayerOwner = { role: string; users: string; containerId?: string | undefined; imageId?: string | undefined };

export interface Attribution {
  /** Text appended to the event's message: ` [docker: ...]`. */
  note: string;
  containerId?: string;
  imageId?: string;
  fields: Record<string, FieldValue>;
}

/**
 * Attributes host paths (bodyfile names, L2T file names) to what Docker made them for, using what a
 * context pass over the evidence learnt: `<root>/overlay2/<layer>/diff/...` → the container whose
 * writable or init layer it is (or the images whose layer it is) and the path inside it;
 * `<root>/containers/<id>/...` → the container; `<root>/volumes/<name>/_data/...` → the volume, the
 * containers that mount it and where; `<root>/image/<driver>/layerdb/mounts/<id>/` → the container.
 * `<root>` is any prefix (`/var/lib/docker`, `/mnt/img/var/lib/docker`): the first such structure from
 * the left is the host's; one deeper inside a layer is docker-in-docker and stays part of the path.
 */
export class Attributor {
  constructor(private readonly contexts: readonly Context[]) {}

  /**
   * Run the context pass (container configs, layer database, image configs, volume metadata) of
   * `extract` over each evidence and keep what it learnt. Nothing is emitted.
   */
  static async fromEvidence(evidence: readonly string[], warnings: Warnings): Promise<{ attributor: Attributor; roots: number }> {
    const contexts: Context[] = [];
    let roots = 0;
    const extractors = EXTRACTORS.filter((x) => x.phase === 'context');
    for (const arg of evidence) {
      const src = tryOpenEvidence(arg, warnings);
      if (!src) continue;
      const r = await extractSource(src, { hostname: null, extractors }, warnings, () => {});
      roots += r.roots.length;
      contexts.push(r.context);
    }
    return { attributor: new Attributor(contexts), roots };
  }

  get size(): number {
    return this.contexts.length;
  }

  private lastPath: string | null = null;
  private lastResult: Attribution | null = null;

  /**
   * What a host path is in Docker's terms, or null when it is nothing Docker's. Most host paths hold
   * none of the folder names looked for and are told apart by one test; the result of the last path
   * is kept (the times of one bodyfile row come one after the other). Results are shared: not to be changed.
   */
  attribute(hostPath: string): Attribution | null {
    if (hostPath === this.lastPath) return this.lastResult;
    const a = CANDIDATE.test(hostPath) ? this.scan(hostPath) : null;
    this.lastPath = hostPath;
    this.lastResult = a;
    return a;
  }

  /** The first structure from the left that a rule knows (the data root is everything before it). */
  private scan(hostPath: string): Attribution | null {
    const segs = hostPath.split('/');
    for (let i = 0; i < segs.length - 1; i++) {
      const seg = segs[i]!;
      if (seg === 'overlay2' && LAYER_DIR.test(segs[i + 1]!) && segs[i + 1] !== 'l') return this.layer(segs, i, rootOf(segs, i));
      if (seg === 'containers' && HEX64.test(segs[i + 1]!)) return this.container(segs[i + 1]!, segs.slice(i + 2).join('/'), rootOf(segs, i));
      if (seg === 'volumes' && segs[i + 2] === '_data') return this.volume(segs[i + 1]!, segs.slice(i + 3), rootOf(segs, i));
      if (seg === 'image' && segs[i + 2] === 'layerdb' && segs[i + 3] === 'mounts' && HEX64.test(segs[i + 4] ?? '')) {
        return this.container(segs[i + 4]!, '', rootOf(segs, i), `layer database mount of ${this.label(segs[i + 4]!)}`);
      }
    }
    return null;
  }

  /** Attribute an event by its host path: fields set, container and image filled in, the note appended to the message. */
  annotate(e: TimelineEvent, hostPath: string): boolean {
    const a = this.attribute(hostPath);
    if (!a) return false;
    e.message += a.note;
    if (a.containerId) {
      e.containerId = a.containerId;
      const c = this.containerInfo(a.containerId);
      if (c.name) e.containerName = c.name;
      if (c.image) e.imageId = c.image;
    }
    if (a.imageId && !e.imageId) e.imageId = a.imageId;
    for (const k in a.fields) e.fields[k] = a.fields[k]!;
    return true;
  }

  private find<T>(f: (c: Context) => T | undefined): T | undefined {
    for (const c of this.contexts) {
      const v = f(c);
      if (v !== undefined) return v;
    }
    return undefined;
  }

  // what the contexts say of a container or a layer folder, looked up once (the contexts do not change)
  private readonly containers = new Map<string, { name: string | undefined; image: string | undefined }>();
  private readonly layers = new Map<string, { owner: LayerOwner; whose: string }>();

  private containerInfo(id: string): { name: string | undefined; image: string | undefined } {
    let c = this.containers.get(id);
    if (!c) {
      c = { name: this.find((x) => x.containers.get(id)?.name ?? undefined), image: this.find((x) => x.containers.get(id)?.imageId ?? undefined) };
      this.containers.set(id, c);
    }
    return c;
  }

  private label(containerId: string): string {
    return this.containerInfo(containerId).name ?? containerId.slice(0, 12);
  }

  private layerInfo(dir: string): { owner: LayerOwner; whose: string } {
    let l = this.layers.get(dir);
    if (!l) {
      const owner: LayerOwner = this.find((c) => {
        const o = layerOwner(c, dir);
        return o.role === UNKNOWN_LAYER ? undefined : o;
      }) ?? { role: UNKNOWN_LAYER, users: '', containerId: undefined, imageId: undefined };
      const whose = owner.containerId ? `${this.label(owner.containerId)} ${owner.role}` : `${owner.role}${owner.users ? ` of ${owner.users}` : ''}`;
      l = { owner, whose };
      this.layers.set(dir, l);
    }
    return l;
  }

  private layer(segs: string[], i: number, root: string): Attribution {
    const dir = segs[i + 1]!;
    const area = segs[i + 2];
    const { owner, whose } = this.layerInfo(dir);
    const inside = area === 'diff' || area === 'merged' ? `/${segs.slice(i + 3).join('/')}` : null;
    const what = inside ?? (area ? `${area} folder` : 'layer folder');
    const fields: Record<string, FieldValue> = { layer: dir, layer_role: owner.role, docker_data_root: root };
    if (inside !== null) fields.path = inside;
    if (area && area !== 'diff') fields.layer_area = area;
    if (owner.users) fields.images = owner.users;
    return {
      note: ` [docker: ${what} in ${whose} ${dir.slice(0, 12)}${area === 'merged' ? ' (merged view)' : ''}]`,
      containerId: owner.containerId, imageId: owner.imageId, fields,
    };
  }

  private container(id: string, rest: string, root: string, what?: string): Attribution {
    const fields: Record<string, FieldValue> = { docker_data_root: root };
    if (rest) fields.container_file = rest;
    const inside = MOUNTED_FILES[rest];
    if (inside) fields.path = inside;
    const label = this.label(id);
    const text = what ?? `${rest || 'folder'} of container ${label}${inside ? ` (its ${inside})` : ''}`;
    return { note: ` [docker: ${text}]`, containerId: id, fields };
  }

  private volume(name: string, rest: string[], root: string): Attribution {
    const inVolume = `/${rest.join('/')}`;
    const users = this.find((c) => {
      const u = volumeUsers(c, name);
      return u.length ? u : undefined;
    }) ?? [];
    const where = users.map((u) => `${u.name}:${u.destination}${inVolume === '/' ? '' : inVolume}`);
    const fields: Record<string, FieldValue> = { volume: name, path: inVolume, docker_data_root: root };
    if (users.length) {
      fields.containers = users.map((u) => u.name).join(', ');
      fields.container_paths = where.join(', ');
    }
    const short = name.length > 20 ? name.slice(0, 12) : name;
    return {
      note: ` [docker: ${inVolume} in volume ${short}${where.length ? `; mounted as ${where.join(', ')}` : '; mounted by no known container'}]`,
      containerId: users.length === 1 ? users[0]!.containerId : undefined, fields,
    };
  }
}
