import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decompress } from 'fzstd';
import type { ExecutionContext } from 'ava';
import { parseRfc3339, secondsFractionToNs } from '../../src/time/nanotime.ts';
import type { TimelineEvent } from '../../src/events/event.ts';

/**
 * Real image archives in fixtures/ (an Engine 26 `docker save`, skopeo's OCI layouts): the bytes
 * (`<name>` or `<name>.zst`, checked against the fixture's SHA256SUMS), copies of them in temp
 * folders (as a file, or unpacked into a directory), and checks of the tool's events against the
 * truth files the making scripts wrote.
 */
const made: string[] = [];

export function fixtureBytes(dir: string, name: string): Buffer {
  const zst = path.join(dir, `${name}.zst`);
  const bytes = existsSync(zst) ? Buffer.from(decompress(readFileSync(zst))) : readFileSync(path.join(dir, name));
  const sums = readFileSync(path.join(dir, 'SHA256SUMS'), 'utf8');
  const want = new RegExp(`^([0-9a-f]{64}) {2}${name.replace(/\./g, '\\.')}$`, 'm').exec(sums)?.[1];
  const got = createHash('sha256').update(bytes).digest('hex');
  if (got !== want) throw new Error(`${dir}/${name}: sha256 ${got}, SHA256SUMS says ${want}`);
  return bytes;
}

/** The archive as a file of its own name in a fresh temp folder. */
export function tempArchive(dir: string, name: string): string {
  const d = mkdtempSync(path.join(tmpdir(), 'dt-archive-'));
  made.push(d);
  const file = path.join(d, name);
  writeFileSync(file, fixtureBytes(dir, name));
  return file;
}

/** The archive unpacked into a fresh temp folder (a directory evidence). */
export function tempUnpacked(dir: string, name: string): string {
  const d = mkdtempSync(path.join(tmpdir(), 'dt-archive-dir-'));
  made.push(d);
  execFileSync('tar', ['-xf', '-', '-C', d], { input: fixtureBytes(dir, name), maxBuffer: 1 << 26 });
  return d;
}

export function removeArchiveCopies(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

export const readJson = (file: string): any => { const v = JSON.parse(readFileSync(file, 'utf8')); return Array.isArray(v) && v.length === 1 ? v[0] : v; };
export const jsonLines = (file: string): any[] => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));

/** chainID[0] = diffID[0]; chainID[i] = sha256(chainID[i-1] + " " + diffID[i]) (the OCI image spec). */
export function chains(diffIds: string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) out.push(out.length ? `sha256:${createHash('sha256').update(`${out.at(-1)} ${d}`).digest('hex')}` : d);
  return out;
}

/** Assertions that count the values they compare (an array counts its elements). */
export interface Checker {
  eq(got: unknown, want: unknown, what: string): void;
  ok(cond: boolean, what: string, values?: number): void;
  readonly count: number;
}
export function checker(t: ExecutionContext): Checker {
  let count = 0;
  return {
    eq(got, want, what) { t.deepEqual(got, want, what); count += Array.isArray(want) ? Math.max(want.length, 1) : 1; },
    ok(cond, what, values = 1) { t.true(cond, what); count += values; },
    get count() { return count; },
  };
}

const TYPES: Record<string, [string, string]> = { f: ['file', '-'], d: ['dir', 'd'], l: ['symlink', 'l'], h: ['hardlink', 'h'], c: ['char', 'c'], b: ['block', 'b'], p: ['fifo', 'p'] };
const rwx = (m: number): string => [6, 3, 0].map((s) => `${(m >> s) & 4 ? 'r' : '-'}${(m >> s) & 2 ? 'w' : '-'}${(m >> s) & 1 ? 'x' : '-'}`).join('');

/**
 * Every member of one layer tar (a TSV the making script wrote with Python's tarfile: path, type,
 * mode, uid, gid, size, pax or header mtime, atime, ctime, link name) is one `layer.file.mtime` event
 * of the blob `blobs/sha256/<hex>`, with its in-image path, type, mode, owner, size, link, whiteout
 * meaning and exact mtime, and nothing else is; atime/ctime events exactly where the tar has them.
 */
export function checkLayerMembers(v: Checker, events: TimelineEvent[], hex: string, tsv: string, layer: { chainId: string; images: string[] }): void {
  const mine = events.filter((e) => e.kind.startsWith('layer.file.') && e.evidence === `blobs/sha256/${hex}`);
  const rows = readFileSync(tsv, 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
  const byPath = new Map<string, TimelineEvent[]>();
  for (const e of mine.filter((x) => x.kind === 'layer.file.mtime')) byPath.set(String(e.fields.path), [...(byPath.get(String(e.fields.path)) ?? []), e]);
  v.eq(mine.filter((x) => x.kind === 'layer.file.mtime').length, rows.length, `${hex.slice(0, 12)}: one event per member`);
  v.eq([...byPath.keys()].sort(), rows.map((r) => (r[0] === '.' ? '/' : `/${r[0]!.replace(/^\.\//, '').replace(/\/$/, '')}`)).sort(), `${hex.slice(0, 12)}: member paths`);
  for (const [name, type, mode, uid, gid, size, mtime, atime, ctime, link] of rows) {
    const p = name === '.' ? '/' : `/${name!.replace(/^\.\//, '').replace(/\/$/, '')}`;
    const e = byPath.get(p)?.[0];
    if (!e) continue;
    const base = p.slice(p.lastIndexOf('/') + 1);
    const dir = p.slice(0, p.lastIndexOf('/'));
    const wh = base === '.wh..wh..opq' ? ['opaque', dir || '/'] : base.startsWith('.wh.') ? ['whiteout', `${dir}/${base.slice(4)}`] : [null, null];
    const [ft, ch] = TYPES[type!]!;
    v.eq([e.timeNs, e.fields.file_type, e.fields.mode, e.fields.uid, e.fields.gid, e.fields.size, e.fields.link_target, e.fields.whiteout, e.fields.whiteout_target],
      [secondsFractionToNs(mtime!), ft, `${ch}${rwx(parseInt(mode!, 8))}`, Number(uid), Number(gid), Number(size), link || null, ...wh], `${hex.slice(0, 12)} ${p}`);
    v.eq([e.fields.chain_id, [...new Set(String(e.fields.images).split(', '))].sort()], [layer.chainId, [...new Set(layer.images)].sort()], `${hex.slice(0, 12)} ${p}: layer and images`);
    v.eq(mine.filter((x) => x.fields.path === p && x.kind !== 'layer.file.mtime').map((x) => x.kind).sort(),
      [...(atime ? ['layer.file.atime'] : []), ...(ctime ? ['layer.file.ctime'] : [])], `${hex.slice(0, 12)} ${p}: pax times`);
  }
}

/**
 * An image's events against `docker image inspect` and `docker history --no-trunc` (oldest step
 * first): Created to the ns, tags, each step's second (history prints whole seconds), command and
 * comment, and the steps that made a layer carrying `RootFS.Layers` in order.
 */
export function checkImageHistory(v: Checker, events: TimelineEvent[], id: string, want: { created: string; tags: string[]; diffIds: string[]; dockerVersion: string | null; history: { CreatedAt: string; CreatedBy: string; Comment: string; Size?: string }[] }): void {
  const mine = events.filter((e) => e.imageId === id && e.kind.startsWith('image.'));
  const created = mine.filter((e) => e.kind === 'image.created');
  v.eq(created.map((e) => [e.timeNs, e.fields.image_tags, e.fields.docker_version, e.fields.layers, e.fields.digest_matches_id]),
    [[parseRfc3339(want.created)!.ns, [...want.tags].sort().join(', '), want.dockerVersion, want.diffIds.length, true]], `${id} Created, tags`);
  const steps = mine.filter((e) => e.kind === 'image.history').sort((a, b) => Number(a.fields.step) - Number(b.fields.step));
  v.eq(steps.map((e) => [e.timeNs / 1_000_000_000n, e.fields.created_by ?? '', e.fields.comment ?? '']),
    want.history.map((h) => [parseRfc3339(h.CreatedAt)!.ns / 1_000_000_000n, h.CreatedBy, h.Comment]), `${id} history steps`);
  v.eq(steps.filter((e) => e.fields.empty_layer === false).map((e) => e.fields.diff_id), want.diffIds, `${id} steps that made a layer = RootFS.Layers`);
  // a step docker history gives a size made a layer
  want.history.forEach((h, i) => { if (h.Size !== undefined && h.Size !== '0B') v.eq(steps[i]?.fields.empty_layer, false, `${id} step ${i + 1} (${h.Size}) made a layer`); });
}
