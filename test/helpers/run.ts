import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractSource } from '../../src/pipeline.ts';
import { openEvidence } from '../../src/cli/open-evidence.ts';
import { Warnings } from '../../src/warnings.ts';
import { EventSorter } from '../../src/events/sorter.ts';
import type { TimelineEvent } from '../../src/events/event.ts';
import { TempDir } from '../../src/spill/temp-dir.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const FIXTURES = path.join(ROOT, 'fixtures');
export const INCIDENT = path.join(FIXTURES, 'overlay2-incident');

export interface Extracted {
  events: TimelineEvent[];
  warnings: Warnings;
  /** How many artifacts were merged straight from their files. */
  directSources: number;
}

/**
 * Extract evidence in-process and return the sorted events and the warnings; with `directMinBytes`,
 * logs from that size up are merged directly (a directory's in place, an archive's from copies).
 */
export async function extract(evidence: string[], sortMemoryBytes?: number, directMinBytes?: number): Promise<Extracted> {
  const warnings = new Warnings();
  const sorter = new EventSorter(sortMemoryBytes ? { memoryBytes: sortMemoryBytes } : {});
  // archive members merged directly are copied here, as `extract` does
  const copies = new TempDir(undefined, 'dt-test-members-');
  const direct = directMinBytes === undefined ? undefined
    : { add: sorter.addSortedSource.bind(sorter), minBytes: directMinBytes, maxSources: 1000, copies };
  const events: TimelineEvent[] = [];
  try {
    for (const e of evidence) await extractSource(openEvidence(e, warnings), { hostname: null, direct }, warnings, (ev) => sorter.add(ev));
    for await (const batch of sorter.sorted()) events.push(...batch);
  } finally {
    copies.cleanup();
  }
  return { events, warnings, directSources: sorter.sortedSources };
}

const unpacked = new Map<string, string>();

/**
 * Unpack `members` of a fixture archive into a fresh temp folder (a directory evidence), once per run.
 * Only container folders are unpacked: they hold no device files, so no root rights are needed.
 */
export function unpack(archive: string, members: string[] = ['docker/containers']): string {
  const key = `${archive}:${members.join(',')}`;
  const have = unpacked.get(key);
  if (have) return have;
  const dir = mkdtempSync(path.join(tmpdir(), 'dt-fixture-'));
  // as root (CI), --xattrs keeps trusted.overlay.opaque and whiteout devices are made with mknod
  execFileSync('tar', ['-xzf', archive, '-C', dir, '--atime-preserve', '--xattrs', '--xattrs-include=*', '--numeric-owner', ...members]);
  unpacked.set(key, dir);
  return dir;
}

/** Run the CLI as a user would; returns exit code, stdout and stderr. */
export function cli(args: string[]): { code: number; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync(process.execPath, [path.join(ROOT, 'bin/docker-timeline.js'), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 });
    return { code: 0, stdout, stderr: '' };
  } catch (e) {
    const err = e as { status: number; stdout: string; stderr: string };
    return { code: err.status, stdout: err.stdout, stderr: err.stderr };
  }
}
