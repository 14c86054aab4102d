import { gunzipSync } from 'node:zlib';
import { readTar, type TarEntry, type TarHeader as Headers } from './tar-entries.ts';

/**
 * A real overlay2 data root (the lab's engine-made tar) rebuilt, entry by entry, into the layout the
 * aufs driver of Engine 20.10 writes for the same story; no engine here runs aufs (driver-probe.txt:
 * "AUFS was not found in /proc/filesystems"). Followed in moby's source (20.10 era):
 * - daemon/graphdriver/aufs/aufs.go: Init makes `aufs/{mnt,diff,layers}` (0710); Create(id, parent)
 *   makes `diff/<id>` and `mnt/<id>` (0755) and writes `layers/<id>`: the parent, then the parent's
 *   own `layers` lines (dirs.go getParentIDs), i.e. every ancestor, newest first, one per line (empty
 *   for a base layer); applyDiff untars a layer tar into `diff/<id>` as it is (aufs whiteouts stay
 *   `.wh.<name>` files); Get mounts `diff/<id>` as the writable branch over the parents' diffs.
 * - layer/layer_store.go: cache ids and mount ids are the layer store's (the same random ids the
 *   overlay2 engine gave, kept here); a container's init layer is `<mount id>-init`; layerdb is
 *   `image/<driver>/layerdb`, so image/overlay2 becomes image/aufs. config.v2.json records only
 *   `Driver` (no GraphDriver field: docker inspect makes that from GetMetadata, nil for aufs).
 * - pkg/archive whiteouts.go: `.wh.<name>` deletes, `.wh..wh..opq` makes its folder opaque;
 *   `.wh..wh.*` others are aufs's own. aufs (fs/aufs/whout.c) gives each writable branch, when it
 *   first mounts it, `.wh..wh.aufs` (0444, the whiteout base), `.wh..wh.plnk/` and `.wh..wh.orph/`
 *   (0700), as the real aufs.v1 root shows; whiteouts and `.wh..wh..opq` it makes at run time are
 *   hard links to the whiteout base (link_or_create_wh).
 * Mapping: an overlay whiteout (0/0 character device) becomes `.wh.<name>`, a `trusted.overlay.opaque`
 * folder gets `.wh..wh..opq`: in a container's or init layer (made through the mount) as hard links to
 * the base; in an untarred image layer as the files the layer tar holds (the layer's tar-split header:
 * mode, owner, whole-second mtime; atime = mtime as Unpack sets it; ctime of the overlay entry it
 * replaces, made by the same untar). A folder overlay mounted as an upper (its root has
 * `trusted.overlay.uuid`) is one aufs would have mounted as the writable branch: it gets aufs's
 * metadata entries, dated by the layer folder's ctime (the base's ctime is also that of its last link).
 * `trusted.overlay.*` attributes, `l/`, `link`, `lower`, `work/`, `merged/`, `committed` are overlay2's
 * and left out. Every other entry (times to the ns, owner, mode, content) is the engine's own.
 */
const O2 = 'docker/overlay2/';
const AU = 'docker/aufs/';

export interface AufsRebuild {
  entries: TarEntry[];
  /** Layer folder → its `aufs/layers` lines (ancestors, newest first). */
  layers: Map<string, string[]>;
  /** Layer folders given aufs's metadata entries (mounted as the writable branch). */
  mounted: Set<string>;
}

const ns = (pax: Record<string, string> | null | undefined, key: string): string | undefined => pax?.[key];
const isWhiteout = (h: Headers): boolean => h.type === 'character-device' && h.devmajor === 0 && h.devminor === 0;
const noOverlayPax = (h: Headers): Record<string, string> =>
  Object.fromEntries(Object.entries(h.pax ?? {}).filter(([k]) => !k.startsWith('SCHILY.xattr.trusted.overlay.')));

/** The headers of a layer tar, rebuilt from its tar-split (segments as they are, file contents as zeros). */
async function tarSplitHeaders(gz: Buffer): Promise<Map<string, Headers>> {
  const parts: Buffer[] = [];
  for (const line of gunzipSync(gz).toString('utf8').split('\n')) {
    if (!line) continue;
    const e = JSON.parse(line) as { type: number; payload?: string; size?: number };
    parts.push(e.type === 2 ? Buffer.from(e.payload ?? '', 'base64') : Buffer.alloc(e.size ?? 0));
  }
  return new Map((await readTar(Buffer.concat(parts))).map((e) => [e.header.name.replace(/\/$/, ''), e.header]));
}

export async function rebuildAufs(source: Buffer): Promise<AufsRebuild> {
  const src = await readTar(source);
  const at = new Map(src.map((e) => [e.header.name, e]));
  const text = (name: string): string | undefined => at.get(name)?.data.toString('utf8').trim();
  const ids = src.map((e) => new RegExp(`^${O2}([0-9a-z]+(?:-init)?)/$`).exec(e.header.name)?.[1]).filter((x): x is string => !!x && x !== 'l');
  // overlay2's own parent list: `lower` = l/<short>:... newest first; `link` = a layer's short name
  const byShort = new Map(ids.map((id) => [text(`${O2}${id}/link`), id]));
  const layers = new Map(ids.map((id) => [id, (text(`${O2}${id}/lower`) ?? '').split(':').filter(Boolean).map((l) => byShort.get(l.slice(2))!)]));
  const mounted = new Set(ids.filter((id) => ns(at.get(`${O2}${id}/diff/`)?.header.pax, 'SCHILY.xattr.trusted.overlay.uuid') !== undefined));
  // layers made through the mount (containers' and init layers) vs untarred (layerdb sha256, with a tar-split)
  const rw = new Set<string>();
  const untarred = new Map<string, string>();
  for (const e of src) {
    const m = /^docker\/image\/overlay2\/layerdb\/(sha256|mounts)\/([0-9a-f]{64})\/(cache-id|mount-id|init-id)$/.exec(e.header.name);
    if (m?.[1] === 'mounts') rw.add(e.data.toString('utf8').trim());
    if (m?.[1] === 'sha256') untarred.set(e.data.toString('utf8').trim(), m[2]!);
  }
  const splits = new Map<string, Map<string, Headers>>();
  const splitHeader = async (id: string, p: string): Promise<Headers> => {
    if (!splits.has(id)) splits.set(id, await tarSplitHeaders(at.get(`docker/image/overlay2/layerdb/sha256/${untarred.get(id)}/tar-split.json.gz`)!.data));
    const h = splits.get(id)!.get(p);
    if (!h) throw new Error(`layer ${id}: no ${p} in its tar-split`);
    return h;
  };

  const out: TarEntry[] = [];
  const base = (id: string): string => `${AU}diff/${id}/.wh..wh.aufs`;
  const whiteoutBase = new Map<string, Headers>();
  const top = at.get(O2)!.header;
  const dir = (name: string, h: Headers, mode: number, pax: Record<string, string>): TarEntry =>
    ({ header: { name, type: 'directory', mode, uid: 0, gid: 0, uname: h.uname, gname: h.gname, mtime: h.mtime, pax }, data: Buffer.alloc(0) });
  /** An aufs whiteout or opaque marker at `name`, for overlay entry `h` (the device, or the opaque folder) of layer `id`. */
  const marker = async (id: string, inLayer: string, name: string, h: Headers): Promise<TarEntry> => {
    if (rw.has(id)) {
      const b = whiteoutBase.get(id);
      if (!b) throw new Error(`layer ${id}: made through a mount that left no trace (no trusted.overlay.uuid)`);
      return { header: { ...b, name, type: 'link', linkname: base(id), size: 0 }, data: Buffer.alloc(0) };
    }
    const t = await splitHeader(id, inLayer);
    const mtime = ns(t.pax, 'mtime') ?? String(t.mtime!.getTime() / 1000);
    return {
      header: { name, type: 'file', mode: t.mode, uid: t.uid, gid: t.gid, uname: t.uname, gname: t.gname, mtime: t.mtime, pax: { mtime, atime: mtime, ctime: ns(h.pax, 'ctime')! } },
      data: Buffer.alloc(0),
    };
  };

  for (const e of src) {
    const h = e.header;
    const name = h.name;
    if (name === O2) {
      out.push(dir(AU, h, 0o710, noOverlayPax(h)));
      for (const sub of ['diff', 'layers', 'mnt']) out.push(dir(`${AU}${sub}/`, h, 0o710, noOverlayPax(h)));
      for (const id of ids) {
        out.push(dir(`${AU}mnt/${id}/`, at.get(`${O2}${id}/`)!.header, 0o755, noOverlayPax(at.get(`${O2}${id}/`)!.header)));
        const link = at.get(`${O2}${id}/link`)!.header;
        const lines = layers.get(id)!;
        out.push({ header: { ...link, name: `${AU}layers/${id}`, mode: 0o644, pax: noOverlayPax(link) }, data: Buffer.from(lines.map((l) => `${l}\n`).join('')) });
      }
      continue;
    }
    if (name.startsWith('docker/image/overlay2/')) {
      out.push({ header: { ...h, name: name.replace('docker/image/overlay2/', 'docker/image/aufs/') }, data: e.data });
      continue;
    }
    if (/^docker\/containers\/[0-9a-f]{64}\/config\.v2\.json$/.test(name)) {
      const json = e.data.toString('utf8');
      if (!json.includes('"Driver":"overlay2"')) throw new Error(`${name}: no "Driver":"overlay2"`);
      out.push({ header: h, data: Buffer.from(json.replace('"Driver":"overlay2"', '"Driver":"aufs"')) });
      continue;
    }
    if (!name.startsWith(O2)) {
      out.push(e);
      continue;
    }
    const m = /^docker\/overlay2\/([0-9a-z]+(?:-init)?)\/diff\/(.*)$/s.exec(name);
    if (!m) continue; // l/, link, lower, committed, work/, merged/, the layer folder itself
    const [, id, inLayer] = m as unknown as [string, string, string];
    const to = `${AU}diff/${id}/${inLayer}`;
    if (isWhiteout(h)) {
      const slash = inLayer.lastIndexOf('/');
      const wh = `${inLayer.slice(0, slash + 1)}.wh.${inLayer.slice(slash + 1)}`;
      out.push(await marker(id, wh, `${AU}diff/${id}/${wh}`, h));
      continue;
    }
    out.push({ header: { ...h, name: to, pax: noOverlayPax(h) }, data: e.data });
    if (inLayer === '' && mounted.has(id)) {
      // aufs's own entries, made when it first mounted the branch
      const ctime = ns(h.pax, 'ctime')!;
      let last = ctime;
      for (const d of src) if (d.header.name.startsWith(`${O2}${id}/diff/`) && isWhiteout(d.header) && Number(ns(d.header.pax, 'ctime')) > Number(last)) last = ns(d.header.pax, 'ctime')!;
      const times = { mtime: ctime, atime: ctime };
      const wb: Headers = { name: base(id), type: 'file', mode: 0o444, uid: 0, gid: 0, uname: h.uname, gname: h.gname, mtime: new Date(Number(ctime) * 1000), pax: { ...times, ctime: last } };
      whiteoutBase.set(id, wb);
      out.push({ header: wb, data: Buffer.alloc(0) });
      for (const d of ['.wh..wh.plnk/', '.wh..wh.orph/']) out.push(dir(`${AU}diff/${id}/${d}`, { ...h, mtime: wb.mtime }, 0o700, { ...times, ctime }));
    }
    if (h.type === 'directory' && ns(h.pax, 'SCHILY.xattr.trusted.overlay.opaque') === 'y') {
      out.push(await marker(id, `${inLayer}.wh..wh..opq`, `${to}.wh..wh..opq`, h));
    }
  }
  return { entries: out, layers, mounted };
}
