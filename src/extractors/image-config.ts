import { createHash } from 'node:crypto';
import type { Extractor } from './extractor.js';
import type { EvidenceEntry } from '../evidence/entry.js';
import { imageContentId } from './image-paths.js';
import { isObject, locateValue, readBounded, str, tryParseJson } from './read-bounded.js';
import { parseRfc3339, isGoZero, type ParsedTime } from '../time/nanotime.js';
import { argv } from '../events/build.js';
import { imageConfigEvents } from './image-config.timemap.js';

export interface HistoryStep {
  /** 1-based position in `history`. */
  step: number;
  created: ParsedTime | null;
  rawCreated: string | null;
  createdBy: string;
  author: string;
  comment: string;
  emptyLayer: boolean;
  /** Index into `rootfs.diff_ids` of the layer this step made, or null for an empty layer. */
  layerIndex: number | null;
  offset: number;
}

export interface ImageConfigRecord {
  /** Image id: sha256 of this file, hex. */
  id: string;
  driver: string;
  created: ParsedTime | null;
  rawCreated: string | null;
  createdOffset: number;
  architecture: string | null;
  os: string | null;
  dockerVersion: string | null;
  author: string | null;
  comment: string | null;
  /** The intermediate container of a classic build or commit. */
  container: string | null;
  /** Runtime defaults, flattened for fields. */
  config: Record<string, string>;
  diffIds: string[];
  history: HistoryStep[];
  /** sha256 of the file equals its name (the image id). */
  digestMatches: boolean;
  evidence: string;
  inode: string | null;
}

function configSummary(c: unknown): Record<string, string> {
  if (!isObject(c)) return {};
  const out: Record<string, string> = {};
  const arr = (v: unknown): string[] | null => (Array.isArray(v) ? v.map(String) : null);
  if (str(c.User)) out.user = str(c.User)!;
  if (arr(c.Env)?.length) out.env = arr(c.Env)!.join(' ');
  if (arr(c.Cmd)) out.cmd = argv(arr(c.Cmd));
  if (arr(c.Entrypoint)) out.entrypoint = argv(arr(c.Entrypoint));
  if (str(c.WorkingDir)) out.working_dir = str(c.WorkingDir)!;
  if (isObject(c.ExposedPorts) && Object.keys(c.ExposedPorts).length) out.exposed_ports = Object.keys(c.ExposedPorts).join(' ');
  if (isObject(c.Labels) && Object.keys(c.Labels).length) out.labels = Object.entries(c.Labels).map(([k, v]) => `${k}=${String(v)}`).join(', ');
  if (isObject(c.Volumes) && Object.keys(c.Volumes).length) out.volumes = Object.keys(c.Volumes).join(' ');
  return out;
}

/** `image/<driver>/imagedb/content/sha256/<id>`: the image config, its `created` and every `history` step. */
export const imageConfig: Extractor<ImageConfigRecord> = {
  name: 'image_config',
  artifact: 'image config',
  phase: 'context',
  needs: 'content',
  match(rel, entry) {
    return entry.type === 'file' && imageContentId(rel) !== null;
  },
  async extract(ref, input, out) {
    if (!input) return;
    const { id, driver } = imageContentId(ref.rel)!;
    const raw = await readBounded(input);
    if (!raw) {
      out.warn({ kind: 'too-large', offset: 0, message: 'image config larger than the 64 MiB read limit; not read' });
      return;
    }
    const rec = parseImageConfig(raw, id, driver, ref.entry, out.warn);
    if (rec) out.record(rec);
  },
  remember(r, ctx) {
    if (!ctx.images.has(r.id)) ctx.images.set(r.id, r);
    let drivers = ctx.imageDrivers.get(r.id);
    if (!drivers) ctx.imageDrivers.set(r.id, (drivers = new Set()));
    drivers.add(r.driver);
  },
  toEvents: imageConfigEvents,
};

/** Parse an image config (imagedb content, a saved `<id>.json`, or an OCI config blob) into a record. */
export function parseImageConfig(raw: Buffer, id: string, driver: string, entry: EvidenceEntry,
  warn: (w: { kind: string; offset: number; message: string }) => void): ImageConfigRecord | null {
    const digestMatches = createHash('sha256').update(raw).digest('hex') === id;
    if (!digestMatches) warn({ kind: 'digest-mismatch', offset: 0, message: `sha256 of the file is not its name ${id.slice(0, 12)}: the config was altered or damaged` });
    const parsed = tryParseJson(raw.toString('utf8'));
    if (!parsed.ok || !isObject(parsed.value)) {
      warn({ kind: 'bad-json', offset: 0, message: `image config is not a JSON object (${parsed.ok ? 'wrong shape' : parsed.error})` });
      return null;
    }
    const c = parsed.value;
    const rootfs = isObject(c.rootfs) ? c.rootfs : {};
    const diffIds = Array.isArray(rootfs.diff_ids) ? rootfs.diff_ids.map(String) : [];
    let layer = 0;
    let from = 0;
    const history: HistoryStep[] = (Array.isArray(c.history) ? c.history : []).map((h, i) => {
      const o = isObject(h) ? h : {};
      const empty = o.empty_layer === true;
      const rawCreated = str(o.created) ?? null;
      const off = rawCreated ? locateValue(raw, 'created', rawCreated, from) : -1;
      if (off >= 0) from = off + 1;
      if (rawCreated && !isGoZero(rawCreated) && !parseRfc3339(rawCreated)) {
        warn({ kind: 'bad-time', offset: Math.max(off, 0), message: `history step ${i + 1}: unparsable created ${JSON.stringify(rawCreated)}; no event made from it` });
      }
      return {
        step: i + 1, created: parseRfc3339(rawCreated), rawCreated, createdBy: str(o.created_by) ?? '', author: str(o.author) ?? '',
        comment: str(o.comment) ?? '', emptyLayer: empty, layerIndex: empty ? null : layer++ < diffIds.length ? layer - 1 : null, offset: Math.max(off, 0),
      };
    });
    const rawCreated = str(c.created) ?? null;
    return {
      id, driver, created: parseRfc3339(rawCreated), rawCreated,
      // the top-level "created" comes after "config" in Docker's key order; search for the exact value from the start
      createdOffset: Math.max(locateValue(raw, 'created', rawCreated), 0),
      architecture: str(c.architecture) ?? null, os: str(c.os) ?? null, dockerVersion: str(c.docker_version) ?? null,
      author: str(c.author) ?? null, comment: str(c.comment) ?? null, container: str(c.container) || null,
      config: configSummary(c.config), diffIds, history, digestMatches, evidence: entry.path, inode: entry.inode,
    };
}
