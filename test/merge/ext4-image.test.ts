import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseString } from 'fast-csv';
import { runExtract } from '../../src/cli/extract-command.ts';
import { runMerge } from '../../src/cli/merge-command.ts';
import { DR, jsonLines, lineOffsets, makeDataRoot, makeTree } from './helpers.ts';

/**
 * A real host bodyfile: a small file system with a Docker data root in it is written into an ext4
 * image with Debian's mkfs.ext4 (`-d`, no mount needed), a file is deleted in the image with debugfs,
 * and Sleuth Kit's `fls -r -m /` lists it. That bodyfile is merged with `extract`'s jsonl of the same
 * data root, with the data root as --evidence for attribution.
 */
const tools = ['mkfs.ext4', 'debugfs', 'fls', 'mactime'];

function which(tool: string): string | null {
  try {
    return execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8', env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` } }).trim() || null;
  } catch {
    return null;
  }
}

interface Run {
  dir: string;
  body: string;
  jsonl: string;
  merged: Record<string, unknown>[];
  stderr: string;
  code: number;
  imageId: string;
}

let cached: Promise<Run> | null = null;

function run(): Promise<Run> {
  cached ??= (async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dt-merge-ext4-'));
    const fs = path.join(dir, 'fs');
    const { root, imageId } = makeDataRoot(fs, 'var/lib/docker');
    // host files outside the data root; a name with an unescaped `|` (fls 4.11 writes it as it is)
    makeTree({ 'etc/passwd': 'root:x:0:0::/root:/bin/bash\n', 'home/user/notes|pipe.txt': 'x\n' }, fs);
    utimesSync(path.join(fs, 'etc/passwd'), new Date('2025-06-01T00:00:00Z'), new Date('2025-06-01T00:00:00Z'));
    const img = path.join(dir, 'host.img');
    const env = { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin`, TZ: 'UTC' };
    execFileSync('mkfs.ext4', ['-q', '-d', fs, '-F', img, '8M'], { env, stdio: 'ignore' });
    execFileSync('debugfs', ['-w', '-R', `rm /var/lib/docker/overlay2/${DR.mount}/diff/tmp/dropper.sh`, img], { env, stdio: 'ignore' });
    const body = path.join(dir, 'host.body');
    writeFileSync(body, execFileSync('fls', ['-r', '-m', '/', img], { env }));
    // extract's jsonl of the same data root (a directory evidence), which the dropper is still in
    const jsonl = path.join(dir, 'docker.jsonl');
    await runExtract({ evidence: [root], output: jsonl, format: 'jsonl', timezone: 'UTC', csvGuard: true, quiet: true }, () => {});
    const out = path.join(dir, 'merged.jsonl');
    let stderr = '';
    const code = await runMerge({ inputs: [body, jsonl], output: out, format: 'jsonl', timezone: 'UTC', csvGuard: true, evidence: [root] }, (s) => { stderr += s; });
    return { dir, body, jsonl, merged: jsonLines(out), stderr, code, imageId };
  })();
  return cached;
}

test.after.always(async () => {
  if (cached) rmSync((await cached).dir, { recursive: true, force: true });
});

test('the tools for the image test are installed (e2fsprogs, sleuthkit)', (t) => {
  for (const tool of tools) t.truthy(which(tool), `${tool} is missing: apt-get install e2fsprogs sleuthkit`);
});

test('fls bodyfile of an ext4 image + extract jsonl: every line of both is in the merged timeline, sorted', async (t) => {
  const r = await run();
  t.is(r.code, 0, r.stderr);
  const byInput = (name: string): Map<number, Record<string, unknown>[]> => {
    const m = new Map<number, Record<string, unknown>[]>();
    for (const e of r.merged.filter((x) => x.evidence === name)) {
      const list = m.get(e.offset as number) ?? [];
      list.push(e);
      m.set(e.offset as number, list);
    }
    return m;
  };
  const fromBody = byInput('host.body');
  const fromJsonl = byInput('docker.jsonl');
  t.is(fromBody.size + fromJsonl.size, new Set(r.merged.map((e) => `${String(e.evidence)}@${String(e.offset)}`)).size);
  // bodyfile: every line with a time is there, once per non-zero time column (the name is taken as
  // plaso does: the last nine fields from the right), and the timeless line ($OrphanFiles) is not
  let bodyLines = 0;
  for (const { offset, text } of lineOffsets(r.body)) {
    const times = text.split('|').slice(-4).filter((x) => Number(x) !== 0).length;
    if (times === 0) {
      t.false(fromBody.has(offset), text);
      continue;
    }
    bodyLines++;
    t.is(fromBody.get(offset)?.length, times, text);
  }
  t.true(bodyLines > 20);
  // jsonl: every line exactly once, with its original event kept
  const jsonl = lineOffsets(r.jsonl);
  t.true(jsonl.length > 10);
  for (const { offset, text } of jsonl) {
    const o = JSON.parse(text) as Record<string, unknown>;
    const got = fromJsonl.get(offset);
    t.is(got?.length, 1, text);
    t.is(got![0]!.time, o.time);
    t.is(got![0]!.message, o.message);
    t.is(got![0]!.original_kind, o.kind);
    t.is(got![0]!.original_evidence, o.evidence);
  }
  // sorted: time, then evidence source, evidence, offset, kind
  const key = (e: Record<string, unknown>): string[] => [String(e.time), String(e.evidence_source), String(e.evidence), String(e.offset).padStart(12, '0'), String(e.kind)];
  for (let i = 1; i < r.merged.length; i++) {
    const a = key(r.merged[i - 1]!), b = key(r.merged[i]!);
    t.true(a.join('\0') <= b.join('\0'), `${a.join(' ')} > ${b.join(' ')}`);
  }
});

test('the bodyfile events are the non-zero times mactime -b lists, plus the line mactime drops (unescaped |)', async (t) => {
  const r = await run();
  const out = execFileSync('mactime', ['-b', r.body, '-d', '-y', '1970-01-02'], { env: { ...process.env, TZ: 'UTC' } }).toString('utf8');
  const rows: Record<string, string>[] = [];
  await new Promise<void>((resolve, reject) => {
    parseString(out, { headers: true }).on('error', reject).on('data', (x: Record<string, string>) => rows.push(x)).on('end', () => resolve());
  });
  const letters = rows.reduce((n, row) => n + row.Type!.replace(/\./g, '').length, 0);
  const pipeLine = lineOffsets(r.body).find((l) => l.text.includes('notes|pipe.txt'))!;
  t.truthy(pipeLine, 'fls wrote the | as it is');
  t.false(rows.some((row) => row['File Name']!.includes('notes')), 'mactime drops the line');
  const pipeTimes = pipeLine.text.split('|').slice(-4).filter((x) => Number(x) !== 0).length;
  const events = r.merged.filter((e) => e.kind === 'host.bodyfile');
  t.is(events.length, letters + pipeTimes);
  t.true(events.some((e) => e.filename === '/home/user/notes|pipe.txt'));
  // the same times, to the second, as mactime prints them
  const ours = events.filter((e) => !String(e.filename).includes('notes|')).map((e) => `${String(e.time).slice(0, 19)}Z ${String(e.filename)}`).sort();
  const theirs = rows.flatMap((row) => Array.from(row.Type!.replace(/\./g, ''), () => `${row.Date} ${row['File Name']!.replace(/ \(deleted\)$/, '').replace(/ -> .*$/, '')}`)).sort();
  t.deepEqual(ours, theirs);
});

test('overlay2, volume and container paths of the host bodyfile are attributed like extract attributes them', async (t) => {
  const r = await run();
  const body = r.merged.filter((e) => e.kind === 'host.bodyfile');
  const at = (p: string, desc = 'Content Modification Time'): Record<string, unknown> => {
    const e = body.find((x) => x.filename === p && x.timestamp_desc === desc);
    if (!e) throw new Error(`no ${desc} of ${p}`);
    return e;
  };
  const passwd = at(`/var/lib/docker/overlay2/${DR.mount}/diff/etc/passwd`);
  t.is(passwd.container_id, DR.container);
  t.is(passwd.container_name, 'web');
  t.is(passwd.image_id, `sha256:${r.imageId}`);
  t.is(passwd.path, '/etc/passwd');
  t.is(passwd.layer, DR.mount);
  t.is(passwd.layer_role, 'writable layer');
  t.is(passwd.docker_data_root, '/var/lib/docker');
  t.regex(String(passwd.message), /^\/var\/lib\/docker\/overlay2\/[0-9a-f]{64}\/diff\/etc\/passwd Owner identifier: 0 .* \[docker: \/etc\/passwd in web writable layer [0-9a-f]{12}\]$/);
  t.is(passwd.time, '2026-01-02T03:10:00.000000000Z');
  // deleted in the image: still attributed, with fls's mark
  const dropper = at(`/var/lib/docker/overlay2/${DR.mount}/diff/tmp/dropper.sh`);
  t.is(dropper.deleted, 'deleted');
  t.is(dropper.path, '/tmp/dropper.sh');
  t.is(dropper.container_name, 'web');
  t.regex(String(dropper.message), /dropper\.sh \(deleted\) .*\[docker: \/tmp\/dropper\.sh in web writable layer/);
  const hosts = at(`/var/lib/docker/overlay2/${DR.mount}-init/diff/etc/hosts`);
  t.is(hosts.layer_role, 'init layer');
  t.is(hosts.container_name, 'web');
  t.is(hosts.path, '/etc/hosts');
  const sh = at(`/var/lib/docker/overlay2/${DR.cache}/diff/bin/sh`);
  t.is(sh.layer_role, 'image layer');
  t.is(sh.images, 'busybox:latest');
  t.is(sh.image_id, `sha256:${r.imageId}`);
  t.is(sh.container_id, undefined);
  t.is(sh.path, '/bin/sh');
  const upload = at(`/var/lib/docker/volumes/${DR.volume}/_data/upload.txt`);
  t.is(upload.volume, 'appdata');
  t.is(upload.path, '/upload.txt');
  t.is(upload.container_paths, 'web:/data/upload.txt');
  t.is(upload.container_name, 'web');
  t.regex(String(upload.message), /\[docker: \/upload\.txt in volume appdata; mounted as web:\/data\/upload\.txt\]$/);
  const hostname = at(`/var/lib/docker/containers/${DR.container}/hostname`);
  t.is(hostname.container_name, 'web');
  t.is(hostname.path, '/etc/hostname');
  const mountId = at(`/var/lib/docker/image/overlay2/layerdb/mounts/${DR.container}/mount-id`);
  t.is(mountId.container_name, 'web');
  // not Docker's, or only Docker's bookkeeping: no attribution
  t.is(at('/etc/passwd').container_id, undefined);
  t.is(at('/etc/passwd').path, undefined);
  t.false(body.some((e) => String(e.filename).includes('/overlay2/l/') && e.layer !== undefined));
  // every layer file extract reported has the same container, role and in-container path on the host side
  const layerFiles = r.merged.filter((e) => e.kind === 'docker_timeline.jsonl' && e.original_kind === 'file.mtime' && typeof e.layer === 'string');
  t.true(layerFiles.length >= 6);
  for (const x of layerFiles) {
    const host = `/var/lib/docker/overlay2/${String(x.layer)}/diff${x.path === '/' ? '' : String(x.path)}`;
    const h = body.find((e) => e.filename === host && e.timestamp_desc === 'Content Modification Time');
    if (!h) {
      t.fail(`no bodyfile event for ${host}`);
      continue;
    }
    t.is(h.container_id, x.container_id, host);
    t.is(h.layer_role, x.layer_role, host);
    t.is(h.path, x.path, host);
    // mkfs.ext4 -d kept the mtime: fls's seconds are extract's nanoseconds cut to the second
    t.is(String(h.time).slice(0, 19), String(x.time).slice(0, 19), host);
  }
});

test('the merged timeline reads back as the same events from its own jsonl', async (t) => {
  const r = await run();
  const again = path.join(r.dir, 'again.jsonl');
  const code = await runMerge({ inputs: [path.join(r.dir, 'merged.jsonl')], output: again, format: 'jsonl', timezone: 'UTC', csvGuard: true }, () => {});
  t.is(code, 0);
  const back = jsonLines(again);
  t.is(back.length, r.merged.length);
  t.deepEqual(back.map((e) => [e.time, e.timestamp_desc, e.message, e.container_id]), r.merged.map((e) => [e.time, e.timestamp_desc, e.message, e.container_id]));
  t.deepEqual(back.map((e) => e.original_kind), r.merged.map((e) => e.original_kind ?? e.kind));
  t.deepEqual(back.map((e) => e.original_evidence), r.merged.map((e) => e.original_evidence ?? e.evidence));
  t.true(readFileSync(again, 'utf8').length > 0);
});
