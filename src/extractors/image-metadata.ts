import type { Extractor } from './extractor.js';
import { bareDigest, imageMetadataPath } from './image-paths.js';
import { readBounded } from './read-bounded.js';
import { parseRfc3339, type ParsedTime } from '../time/nanotime.js';
import { makeEvent } from '../events/build.js';
import { imageLabel } from './image-config.timemap.js';

export interface ImageMetadataRecord {
  imageId: string;
  file: 'lastUpdated' | 'parent' | 'builtLocally';
  text: string;
  time: ParsedTime | null;
  evidence: string;
  inode: string | null;
}

const FILES = new Set(['lastUpdated', 'parent', 'builtLocally']);

/** `imagedb/metadata/sha256/<id>/{lastUpdated,parent,builtLocally}`. */
export const imageMetadata: Extractor<ImageMetadataRecord> = {
  name: 'image_metadata',
  artifact: 'image metadata',
  phase: 'context',
  needs: 'content',
  match(rel, entry) {
    const p = imageMetadataPath(rel);
    return entry.type === 'file' && p !== null && FILES.has(p.file);
  },
  async extract(ref, input, out) {
    if (!input) return;
    const p = imageMetadataPath(ref.rel)!;
    const raw = await readBounded(input, 1 << 16);
    if (!raw) {
      out.warn({ kind: 'too-large', offset: 0, message: `${p.file} is larger than 64 KiB; not read` });
      return;
    }
    const text = p.file === 'builtLocally' ? raw.toString('hex') : raw.toString('utf8').trim();
    const time = p.file === 'lastUpdated' ? parseRfc3339(text) : null;
    if (p.file === 'lastUpdated' && !time) out.warn({ kind: 'bad-time', offset: 0, message: `lastUpdated ${JSON.stringify(text.slice(0, 80))} is not an RFC 3339 time` });
    out.record({ imageId: p.id, file: p.file as ImageMetadataRecord['file'], text, time, evidence: ref.entry.path, inode: ref.entry.inode });
  },
  remember(r, ctx) {
    const m = ctx.store.metaOf(r.imageId);
    if (r.file === 'parent') m.parent = `sha256:${bareDigest(r.text)}`;
    if (r.file === 'builtLocally') m.builtLocally = r.text === '01' || r.text === '31';
  },
  /**
   * Time map: `lastUpdated` -> image.tagged `Last Tag Time` (docker inspect `Metadata.LastTagTime`):
   * the last time a tag was set on the image (pull, build -t, tag, load), written in the daemon's local zone.
   */
  *toEvents(r, ctx) {
    if (r.file !== 'lastUpdated' || !r.time) return;
    yield makeEvent(ctx, {
      timeNs: r.time.ns, timestampDesc: 'Last Tag Time', kind: 'image.tagged',
      message: `Image ${imageLabel(ctx, r.imageId)} last tagged (pull, build -t, tag or load)`,
      source: 'DOCKER', sourcetype: 'Docker Image', dataType: 'docker:image:metadata', parser: 'docker_timeline/image_metadata',
      evidence: r.evidence, offset: 0, imageId: `sha256:${r.imageId}`, inode: r.inode,
      fields: {
        time_raw: r.text, image_tags: ctx.store.tagsOf(r.imageId).join(', ') || null,
        time_zone_note: r.time.local ? `written in the daemon's local zone (offset ${r.time.offsetMinutes} min), converted to UTC` : 'written in UTC (the daemon ran in UTC, or the zone is not recorded)',
      },
    });
  },
};
