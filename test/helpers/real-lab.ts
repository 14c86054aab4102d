import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { decompress } from 'fzstd';
import { FIXTURES } from './run.ts';

/**
 * The lab's small scenarios made by a real engine on full-copy drivers (fixtures/vfs-small,
 * fixtures/btrfs-small). Their data roots hold five copies of the same rootfs, which gzip's 32 KiB
 * window cannot see as repeats (5.2 MB each) while zstd's can (0.97 MB): the tar the lab made is kept
 * as `<copy>.tar.zst`, byte for byte (its sha256 is checked against SHA256SUMS, which also holds the
 * lab's `.tar.gz`), and handed to the tool as a `.tar.gz` or an unpacked folder made from it here.
 */
export type LabCopy = 'dataroot' | 'dataroot-live';

const tars = new Map<string, Buffer>();
const made = new Map<string, string>();

/** The exact tar the lab made of a scenario's data root (after checking its sha256). */
export function labTar(scenario: string, copy: LabCopy): Buffer {
  const key = `${scenario}/${copy}`;
  const have = tars.get(key);
  if (have) return have;
  const dir = path.join(FIXTURES, scenario);
  const tar = Buffer.from(decompress(readFileSync(path.join(dir, `${copy}.tar.zst`))));
  const sums = readFileSync(path.join(dir, 'SHA256SUMS'), 'utf8');
  const want = /^([0-9a-f]{64}) {2}(.+)$/gm;
  let expected: string | undefined;
  for (let m = want.exec(sums); m; m = want.exec(sums)) if (m[2] === `${copy}.tar`) expected = m[1];
  const got = createHash('sha256').update(tar).digest('hex');
  if (got !== expected) throw new Error(`${key}.tar.zst: sha256 ${got}, SHA256SUMS says ${expected}`);
  tars.set(key, tar);
  return tar;
}

/** The copy as a `.tar.gz` (named as the lab names it), in a fresh temp folder; once per run. */
export function labArchive(scenario: string, copy: LabCopy): string {
  const key = `${scenario}/${copy}.tar.gz`;
  const have = made.get(key);
  if (have) return have;
  const file = path.join(mkdtempSync(path.join(tmpdir(), `dt-${scenario}-`)), `${copy}.tar.gz`);
  writeFileSync(file, gzipSync(labTar(scenario, copy), { level: 1 }));
  made.set(key, file);
  return file;
}

/** The copy unpacked (as root: the two backingFsBlockDev block devices are made with mknod) into a temp folder; once per run. */
export function labUnpacked(scenario: string, copy: LabCopy): string {
  const key = `${scenario}/${copy}/`;
  const have = made.get(key);
  if (have) return have;
  const dir = mkdtempSync(path.join(tmpdir(), `dt-${scenario}-dir-`));
  execFileSync('tar', ['-xf', '-', '-C', dir, '--xattrs', '--xattrs-include=*', '--numeric-owner'], { input: labTar(scenario, copy), maxBuffer: 1 << 26 });
  made.set(key, dir);
  return dir;
}

/** Remove the temp copies this run made (call from `test.after.always`). */
export function removeLabCopies(): void {
  for (const p of made.values()) rmSync(p.endsWith('.tar.gz') ? path.dirname(p) : p, { recursive: true, force: true });
  made.clear();
}

/** What the engine's debug log (truth/dockerd.log.gz) says about layers: cache ids it untarred, in order, and each container's mount id. */
export function engineLayers(truthDir: string): { untarred: string[]; mounts: Map<string, string> } {
  const log = gunzipSync(readFileSync(path.join(truthDir, 'dockerd.log.gz'))).toString('utf8');
  const untarred = [...log.matchAll(/msg="Start untar layer" id=([0-9a-f]{64})/g)].map((m) => m[1]!);
  const mounts = new Map<string, string>();
  for (const m of log.matchAll(/msg="container mounted via layerStore: &\{\S*\/(?:vfs\/dir|btrfs\/subvolumes)\/([0-9a-f]{64}) [^"]*" container=([0-9a-f]{64})/g)) mounts.set(m[2]!, m[1]!);
  return { untarred, mounts };
}

/** One line of truth/events-stream.jsonl (`docker events`, dockerd start to shutdown). */
export interface EngineEvent {
  status: string;
  id: string;
  name: string;
  exitCode: string | undefined;
  timeNano: bigint;
}

export function engineEvents(truthDir: string): EngineEvent[] {
  return readFileSync(path.join(truthDir, 'events-stream.jsonl'), 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => {
    const e = JSON.parse(l);
    // timeNano is above 2^53: taken from the text, not the parsed number
    const ns = /"timeNano":(\d+)/.exec(l)![1]!;
    return { status: e.status, id: e.id, name: e.Actor?.Attributes?.name, exitCode: e.Actor?.Attributes?.exitCode, timeNano: BigInt(ns) };
  }).filter((e) => e.status !== undefined);
}

/** An action's start and end (actions.log), in ns. */
export function actionWindow(actionsLog: string, id: string): [bigint, bigint] {
  const ns = (s: string): bigint => {
    const [a, f = ''] = s.split('.');
    return BigInt(a!) * 1_000_000_000n + BigInt(f.padEnd(9, '0').slice(0, 9));
  };
  const line = readFileSync(actionsLog, 'utf8').split('\n').find((l) => l.split('\t')[0] === id);
  if (!line) throw new Error(`no ${id} in ${actionsLog}`);
  const cols = line.split('\t');
  return [ns(cols[1]!), ns(cols[3]!)];
}
