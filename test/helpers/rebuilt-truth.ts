import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { FIXTURES } from './run.ts';
import { truthContainers, type TruthContainer } from './truth.ts';
import { engineLayers } from './real-lab.ts';
import { secondsFractionToNs } from '../../src/time/nanotime.ts';

/**
 * The engine's truth of a lab story, in the form the rebuilt-driver tests compare with: containers
 * (docker inspect), images (docker image inspect, docker history, oldest step first), and how the
 * engine stacked the layers: each container's mount id (its writable layer folder; the init layer is
 * `<mount id>-init`) and each image's layer cache ids, base first. overlay2-incident says it in
 * docker inspect's GraphDriver.Data (UpperDir, LowerDir: top first); vfs-small in the engine's debug
 * log (real-lab.ts engineLayers). The dead-box copy's stat truth (dataroot.stat.tsv.gz: every entry's
 * raw pax mtime, atime, ctime) gives the times of the files the rebuilt layers keep.
 */
export interface Story {
  name: string;
  truth: string;
  actions: string;
  containers: TruthContainer[];
  images: { inspect: any; history: any[] }[];
  mounts: Map<string, string>;
  imageLayers: Map<string, string[]>;
}

const json = (file: string): any => {
  const v = JSON.parse(readFileSync(file, 'utf8'));
  return Array.isArray(v) ? v[0] : v;
};

export function loadStory(name: 'overlay2-incident' | 'vfs-small'): Story {
  const dir = path.join(FIXTURES, name);
  const truth = path.join(dir, 'truth');
  const containers = truthContainers(truth);
  const images = readdirSync(path.join(truth, 'images')).filter((f) => f.endsWith('.inspect.json')).sort().map((f) => ({
    inspect: json(path.join(truth, 'images', f)),
    history: readFileSync(path.join(truth, 'images', f.replace('.inspect.json', '.history.jsonl')), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).reverse(),
  }));
  const mounts = new Map<string, string>();
  const imageLayers = new Map<string, string[]>();
  if (name === 'vfs-small') {
    const l = engineLayers(truth);
    for (const [c, m] of l.mounts) mounts.set(c, m);
    for (const im of images) imageLayers.set(im.inspect.Id, l.untarred);
  } else {
    const folder = (p: string): string => /\/overlay2\/([0-9a-z]+(?:-init)?)\/diff$/.exec(p)![1]!;
    const stack = (data: Record<string, string>): string[] => [...(data.LowerDir ? data.LowerDir.split(':').reverse().map(folder) : []), folder(data.UpperDir!)];
    for (const c of containers) mounts.set(c.id, folder(c.inspect.GraphDriver.Data.UpperDir));
    for (const im of images) imageLayers.set(im.inspect.Id, stack(im.inspect.GraphDriver.Data));
  }
  return { name, truth, actions: path.join(dir, 'actions.log'), containers, images, mounts, imageLayers };
}

/** A container's layer folders as the engine stacked them, base first: image layers, init layer, writable layer. */
export function containerStack(s: Story, c: TruthContainer): string[] {
  if (s.name === 'overlay2-incident') {
    const data = c.inspect.GraphDriver.Data;
    return [...data.LowerDir.split(':').reverse(), data.UpperDir].map((p: string) => /\/overlay2\/([0-9a-z]+(?:-init)?)\/diff$/.exec(p)![1]!);
  }
  const m = s.mounts.get(c.id)!;
  return [...s.imageLayers.get(c.inspect.Image)!, `${m}-init`, m];
}

export interface StatRow {
  type: string;
  mtime: bigint;
  atime: bigint;
  ctime: bigint;
  dev: string;
  xattrs: string;
}

/** The dead-box stat truth: evidence path (no trailing slash) → type, raw times, device numbers, xattr names and values. */
export function statTruth(s: Story): Map<string, StatRow> {
  const rows = gunzipSync(readFileSync(path.join(s.truth, 'dataroot.stat.tsv.gz'))).toString('utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
  return new Map(rows.map(([p, type, , , , , m, a, c, , dev, xattrs]) => [p!.replace(/\/$/, ''), {
    type: type!, mtime: secondsFractionToNs(m!)!, atime: secondsFractionToNs(a!)!, ctime: secondsFractionToNs(c!)!, dev: dev ?? '', xattrs: xattrs ?? '',
  }]));
}
