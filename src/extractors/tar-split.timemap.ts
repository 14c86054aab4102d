import type { LayerFileRecord } from './tar-split.js';
import type { Context } from './context.js';
import type { TimelineEvent } from '../events/event.js';
import { makeEvent } from '../events/build.js';
import { layerUsersOf } from './layer-users.js';

const TYPES: Record<string, string> = { '0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '3': 'char', '4': 'block', '5': 'dir', '6': 'fifo' };
const TYPE_CHAR: Record<string, string> = { file: '-', hardlink: 'h', symlink: 'l', char: 'c', block: 'b', dir: 'd', fifo: 'p' };

function mode(type: string, m: number): string {
  const rwx = (b: number): string => `${b & 4 ? 'r' : '-'}${b & 2 ? 'w' : '-'}${b & 1 ? 'x' : '-'}`;
  return (TYPE_CHAR[type] ?? '-') + rwx((m >> 6) & 7) + rwx((m >> 3) & 7) + rwx(m & 7);
}

/** What a layer entry means: a file, or a whiteout that deletes a lower file, or an opaque directory. */
export function whiteoutOf(name: string): { kind: 'whiteout' | 'opaque'; target: string } | null {
  const clean = name.replace(/\/+$/, '');
  const slash = clean.lastIndexOf('/');
  const dir = slash < 0 ? '' : clean.slice(0, slash + 1);
  const base = clean.slice(slash + 1);
  if (base === '.wh..wh..opq') return { kind: 'opaque', target: `/${dir.replace(/\/$/, '')}` };
  if (base.startsWith('.wh.') && !base.startsWith('.wh..wh.')) return { kind: 'whiteout', target: `/${dir}${base.slice(4)}` };
  return null;
}

const TIMES = [['mtime', 'Content Modification Time', 'layer.file.mtime'], ['atime', 'Last Access Time', 'layer.file.atime'], ['ctime', 'Metadata Modification Time', 'layer.file.ctime']] as const;

/**
 * Time map of a layer's tar header (from tar-split): mtime (and pax atime/ctime where recorded) →
 * `layer.file.*`. These are the times the files had on the machine that built the layer (docker
 * truncates them to whole seconds when it writes layer tars), not times of this host.
 */
export function* tarSplitEvents(r: LayerFileRecord, ctx: Context): Iterable<TimelineEvent> {
  const h = r.header;
  const type = TYPES[h.typeflag] ?? `type ${h.typeflag}`;
  const layer = ctx.store.findLayer(r.chainId, r.driver);
  const users = layerUsersOf(ctx, r.chainId, r.driver);
  const path = `/${h.name.replace(/^\.?\/+/, '').replace(/\/+$/, '')}`;
  const wh = whiteoutOf(h.name);
  const what = wh?.kind === 'whiteout' ? `whiteout: deletes ${wh.target}` : wh?.kind === 'opaque' ? `opaque directory: hides what lower layers hold in ${wh.target}` : `${type} ${mode(type, h.mode)} ${h.uid}:${h.gid} ${h.size} bytes${h.linkname ? ` -> ${h.linkname}` : ''}`;
  const made = users[0] ? ` [made by ${users[0].label} step ${users[0].step}: ${users[0].createdBy || '(no command)'}]` : '';
  for (const [key, desc, kind] of TIMES) {
    const t = h[key];
    if (t === undefined) continue;
    yield makeEvent(ctx, {
      timeNs: t, timestampDesc: desc, kind,
      message: `Layer ${layer?.cacheId?.slice(0, 12) ?? r.chainId.slice(0, 12)} ${path} (${what}), build-time ${key}${made}`,
      source: 'DOCKER', sourcetype: 'Docker Layer', dataType: 'docker:layer:file', parser: r.from === 'layer-tar' ? 'docker_timeline/layer_tar' : 'docker_timeline/tar_split',
      evidence: r.evidence, offset: h.offset,
      fields: {
        path, layer: layer?.cacheId ?? null, chain_id: `sha256:${r.chainId}`, diff_id: layer?.diffId ?? null,
        file_type: type, mode: mode(type, h.mode), uid: h.uid, gid: h.gid, uname: h.uname || null, gname: h.gname || null, size: h.size,
        link_target: h.linkname || null, whiteout: wh ? wh.kind : null, whiteout_target: wh?.target ?? null,
        images: users.length ? [...new Set(users.map((u) => u.label))].join(', ') : null,
        xattrs: Object.keys(h.xattrs).length ? Object.entries(h.xattrs).map(([k, v]) => `${k}=${v}`).join(' ') : null,
        offset_in: r.from === 'layer-tar' ? 'member number in the layer tar' : 'tar headers rebuilt from tar-split segments',
        time_note: 'build-machine time recorded in the layer tar',
      },
    });
  }
}
