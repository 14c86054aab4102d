import test from 'ava';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, lstatSync, openSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { readlink } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { extract } from '../helpers/run.ts';
import { ID, configV2, logLine, makeTree } from '../helpers/dataroot.ts';
import { DirectorySource } from '../../src/evidence/directory-source.ts';
import { Warnings } from '../../src/warnings.ts';

/** Read a file without moving its atime (O_NOATIME: we run as its owner), so the snapshot itself touches nothing. */
function readNoAtime(p: string): Buffer {
  const fd = openSync(p, constants.O_RDONLY | ((constants as Record<string, number>).O_NOATIME ?? 0));
  try {
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Every entry's type, size, mode, times and content hash. Directory atimes are left out: listing a
 * directory on a writable mount may move them (no O_NOATIME for directory listing in Node); the README
 * says to mount evidence read-only.
 */
function snapshot(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const name of readdirSync(path.join(root, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(path.join(root, r), { bigint: true });
      const hash = st.isFile() ? createHash('sha256').update(readNoAtime(path.join(root, r))).digest('hex') : '';
      out.push(`${r} ${st.mode} ${st.size} ${st.mtimeNs} ${st.isDirectory() ? '-' : st.atimeNs} ${st.ctimeNs} ${hash}`);
      if (st.isDirectory()) walk(r);
    }
  };
  walk('');
  return out;
}

test('extraction leaves the evidence as it was: contents, modes, mtime, ctime and file atimes', async (t) => {
  const root = makeTree({
    [`containers/${ID}/config.v2.json`]: configV2(ID),
    [`containers/${ID}/hostconfig.json`]: '{"Privileged":true}',
    [`containers/${ID}/${ID}-json.log`]: logLine('hello\n', '2026-01-02T03:04:06Z'),
    [`containers/${ID}/hostname`]: 'abc\n',
  });
  // atime older than mtime, so that any read would move it (relatime updates such an atime)
  execFileSync('touch', ['-a', '-d', '2020-01-01T00:00:00Z', ...readdirSync(path.join(root, 'containers', ID)).map((f) => path.join(root, 'containers', ID, f))]);
  const before = snapshot(root);
  const { events } = await extract([root]);
  t.true(events.some((e) => e.kind === 'container.log'));
  t.deepEqual(snapshot(root), before);
});

test('a FIFO, a socket-like special file and a symlink in a container folder are recorded, never opened or followed', async (t) => {
  const root = makeTree({
    [`containers/${ID}/config.v2.json`]: configV2(ID),
    [`containers/${ID}/escape`]: { symlink: '/etc/shadow' },
  });
  execFileSync('mkfifo', [path.join(root, 'containers', ID, `${ID}-json.log`)]);
  const { events, warnings } = await extract([root]); // would hang if the FIFO were opened
  const fifo = events.filter((e) => e.evidence.endsWith('-json.log'));
  t.true(fifo.length > 0);
  t.true(fifo.every((e) => e.kind.startsWith('file.') && e.fields.file_type === 'fifo'));
  const link = events.find((e) => e.evidence.endsWith('/escape'))!;
  t.is(link.fields.link_target, '/etc/shadow');
  t.is(link.fields.file_type, 'symlink');
  t.is(warnings.total, 0);
});

test('the dual-logging cache container-cached.log is read like a local-driver log', async (t) => {
  const { BinaryWriter } = await import('@bufbuild/protobuf/wire');
  const w = new BinaryWriter();
  w.tag(1, 2).string('stdout').tag(2, 0).int64(1767323046000000000n).tag(3, 2).bytes(Buffer.from('cached line'));
  const body = Buffer.from(w.finish());
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  const root = makeTree({ [`containers/${ID}/config.v2.json`]: configV2(ID), [`containers/${ID}/container-cached.log`]: Buffer.concat([len, body, len]) });
  const { events } = await extract([root]);
  t.deepEqual(events.filter((e) => e.kind === 'container.log').map((e) => [e.message, e.timeNs]), [['[test] stdout: cached line', 1767323046000000000n]]);
});

test('a symlink whose target cannot be read (gone between listing and readlink) is listed without target, with a warning, and the walk goes on', async (t) => {
  const root = makeTree({
    'dir/a-gone': { symlink: '/etc/passwd' },
    'dir/b-kept': { symlink: '../c-file' },
    'dir/c-file': 'x',
    'z-after': 'y',
  });
  const warnings = new Warnings();
  const src = new DirectorySource(root, root, warnings);
  // live evidence: the link is removed after it was listed and lstat'ed, just before its target is read
  src.readlink = async (p) => {
    if (String(p).endsWith('/a-gone')) unlinkSync(p);
    return readlink(p, { encoding: 'buffer' });
  };
  const entries: string[] = [];
  await src.walk({ descend: () => true, want: () => 'meta', visit: async (e) => { entries.push(`${e.path} ${e.type}${e.linkTarget !== undefined ? ` -> ${e.linkTarget}` : ''}`); } });
  t.deepEqual(entries, ['dir dir', 'dir/a-gone symlink', 'dir/b-kept symlink -> ../c-file', 'dir/c-file file', 'z-after file']);
  t.deepEqual(warnings.list.map((w) => [w.kind, w.evidence, w.offset, w.message]), [
    ['unreadable', 'dir/a-gone', 0, 'cannot read symlink target (recorded without target): ENOENT: no such file or directory'],
  ]);
});
