import test from 'ava';
import { existsSync, lstatSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ID, configV2, logLine } from '../helpers/dataroot.ts';
import { extract, ROOT } from '../helpers/run.ts';
import { cliIn, snapshot, tarArchive, tmp, type TarMember } from './helpers/hostile.ts';

const c = `docker/containers/${ID}`;
const L = 'e'.repeat(26);

/**
 * A data-root archive whose members try every classic tar escape: `../` and absolute names, a hard
 * link and symlinks to /etc/shadow and /etc/passwd (some named like logs, so that following them would
 * read the host's files as evidence), a symlink to a folder followed by a member "through" it, and
 * duplicated members (same name twice, different contents).
 */
function hostileArchive(base: string, tag: string): { members: TarMember[]; targets: string[] } {
  const targets = [
    path.join(base, `pwned-rel-${tag}`), // ../ from a working directory four levels below base
    path.join(base, `pwned-abs-${tag}`), // an absolute member name
    path.join('/tmp', `pwned-via-link-${tag}`), // through the symlink dirlink -> /tmp
    path.join(path.resolve(ROOT, '../../../../..'), `pwned-root-${tag}`),
  ];
  const members: TarMember[] = [
    { name: `${c}/config.v2.json`, data: configV2(ID, { Name: '/first-copy' }) },
    { name: `${c}/${ID}-json.log`, data: logLine('from the first copy\n', '2026-01-02T03:04:06Z') },
    { name: `../../../../pwned-rel-${tag}`, data: 'written by ../\n' },
    { name: `${c}/../../../../../pwned-root-${tag}`, data: 'climbs out of the data root\n' },
    { name: `${base}/pwned-abs-${tag}`, data: 'absolute name\n' },
    { name: `${c}/shadow-hardlink`, type: '1', linkname: '/etc/shadow' },
    { name: `${c}/${ID}-json.log.1`, type: '1', linkname: '/etc/passwd' },
    { name: `${c}/hosts`, type: '2', linkname: '/etc/shadow' },
    { name: `${c}/${ID}-json.log.2`, type: '2', linkname: '../../../../../../../../etc/passwd' },
    { name: `${c}/dirlink`, type: '2', linkname: '/tmp' },
    { name: `${c}/dirlink/pwned-via-link-${tag}`, data: 'through a symlinked folder\n' },
    { name: `docker/overlay2/${L}/diff/etc/passwd`, type: '2', linkname: '/etc/passwd' },
    { name: `docker/overlay2/${L}/diff/etc/shadow`, type: '1', linkname: '/etc/shadow' },
    // the same names again, other contents
    { name: `${c}/config.v2.json`, data: configV2(ID, { Name: '/second-copy', Created: '2026-01-02T03:04:05.987654321Z' }) },
    { name: `${c}/${ID}-json.log`, data: logLine('from the second copy\n', '2026-01-02T03:04:07Z') },
  ];
  return { members, targets };
}

const passwd = readFileSync('/etc/passwd', 'utf8').split('\n')[0]!; // root:x:0:0:...
const shadowLinks = (): bigint => lstatSync('/etc/shadow', { bigint: true }).nlink;

test('tar members with ../ and absolute names, links to /etc/shadow and outside, duplicates: read as data, nothing resolved on the host, nothing written', async (t) => {
  const tag = randomBytes(6).toString('hex');
  const base = tmp('escape');
  const work = path.join(base, 'a', 'b', 'c', 'd');
  const out = path.join(base, 'out');
  const spill = path.join(base, 'tmp');
  for (const d of [work, out, spill]) mkdirSync(d, { recursive: true });
  const { members, targets } = hostileArchive(base, tag);
  const archive = path.join(base, 'evidence.tar');
  writeFileSync(archive, tarArchive(members));
  const nlink = shadowLinks();
  // tsx, which runs the CLI, keeps its compile cache in TMPDIR: that is the runner's, not the tool's
  // (the output and spill folders themselves change: they are compared by their contents)
  const runner = (rel: string): boolean => /^tmp\/tsx-/.test(rel) || rel === 'out' || rel === 'tmp';
  const before = snapshot(base, runner);

  // in-process (working directory: the repository) and through the CLI (working directory four levels down)
  const { events, warnings } = await extract([archive]);
  const run = await cliIn(['extract', archive, '-o', path.join(out, 't.jsonl'), '--warnings', path.join(out, 'w.jsonl')], { cwd: work, tmpDir: spill });
  t.is(run.code, 0, run.stderr);

  // nothing appeared anywhere but the two output files; no link was made to /etc/shadow
  t.deepEqual(snapshot(base, runner).filter((l) => !l.startsWith('out/')), before.filter((l) => !l.startsWith('out/')));
  t.deepEqual(snapshot(out).map((l) => l.split(' ')[0]), ['t.jsonl', 'w.jsonl']);
  t.deepEqual(snapshot(spill, (rel) => /^tsx-/.test(rel)), [], 'no sort spill file left behind');
  for (const p of targets) t.false(existsSync(p), p);
  t.false(existsSync(path.resolve(ROOT, `../../../../pwned-rel-${tag}`)));
  t.is(shadowLinks(), nlink);

  // the host's files were never read as evidence
  const text = JSON.stringify(events, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)) + JSON.stringify(warnings.list);
  t.false(text.includes(passwd), 'no /etc/passwd content');
  t.false(text.includes('root:*:') || text.includes('root:!'), 'no /etc/shadow content');
  t.deepEqual(warnings.list, []);

  // both copies of a duplicated member are read: both configs' creations, both logs' lines
  t.deepEqual(events.filter((e) => e.kind === 'container.created').map((e) => e.timeNs), [1767323045123456789n, 1767323045987654321n]);
  t.deepEqual(events.filter((e) => e.kind === 'container.log').map((e) => [e.message, e.evidence, e.offset]), [
    ['[first-copy] stdout: from the first copy', `${c}/${ID}-json.log`, 0],
    ['[first-copy] stdout: from the second copy', `${c}/${ID}-json.log`, 0],
  ]);

  // links are recorded with their targets as written; names keep their ../ as data
  const file = (p: string) => events.find((e) => e.evidence === p && e.kind === 'file.mtime');
  t.like(file(`${c}/shadow-hardlink`)?.fields, { file_type: 'hardlink', link_target: '/etc/shadow' });
  t.like(file(`${c}/${ID}-json.log.1`)?.fields, { file_type: 'hardlink', link_target: '/etc/passwd' });
  t.like(file(`${c}/hosts`)?.fields, { file_type: 'symlink', link_target: '/etc/shadow' });
  t.like(file(`${c}/${ID}-json.log.2`)?.fields, { file_type: 'symlink', link_target: '../../../../../../../../etc/passwd' });
  t.like(file(`${c}/dirlink/pwned-via-link-${tag}`)?.fields, { file_type: 'file', size: '27' });
  t.like(file(`${c}/../../../../../pwned-root-${tag}`)?.fields, { file_type: 'file' });
  t.like(events.find((e) => e.evidence === `docker/overlay2/${L}/diff/etc/passwd`)?.fields, { path: '/etc/passwd', file_type: 'symlink', link_target: '/etc/passwd' });
  // members outside any data root (../ at the top, an absolute name elsewhere) belong to no artifact
  t.false(events.some((e) => e.evidence.includes(`pwned-rel-${tag}`) || e.evidence.includes(`pwned-abs-${tag}`)));

  // the CLI wrote the same events
  const written = readFileSync(path.join(out, 't.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { evidence: string });
  t.is(written.length, events.length);
  t.is(readFileSync(path.join(out, 'w.jsonl'), 'utf8'), '');
});

test('a hard-link member of an archived overlay2 layer is listed, even when its target is not in the archive', async (t) => {
  const { execFileSync } = await import('node:child_process');
  const { mkdtempSync, mkdirSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(path.join(tmpdir(), 'dt-hl-'));
  const diff = path.join(dir, 'docker/overlay2', 'a'.repeat(64), 'diff');
  mkdirSync(path.join(diff, 'etc'), { recursive: true });
  writeFileSync(path.join(diff, 'etc/real'), 'x');
  mkdirSync(path.join(dir, 'docker/containers'), { recursive: true });
  const tarFile = path.join(dir, 'e.tar');
  // the link is archived without its target (tar --hard-dereference is off; only the link member is added)
  execFileSync('sh', ['-c', `cd '${dir}' && ln docker/overlay2/${'a'.repeat(64)}/diff/etc/real docker/overlay2/${'a'.repeat(64)}/diff/etc/link && tar -cf e.tar docker/containers docker/overlay2/${'a'.repeat(64)}/diff/etc/real docker/overlay2/${'a'.repeat(64)}/diff/etc/link && tar --delete -f e.tar docker/overlay2/${'a'.repeat(64)}/diff/etc/real`]);
  const { events } = await extract([tarFile]);
  const link = events.filter((e) => e.fields.path === '/etc/link');
  t.true(link.length > 0);
  t.is(link[0]!.fields.file_type, 'hardlink');
});
