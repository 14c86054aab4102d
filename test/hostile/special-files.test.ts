import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ID, configV2, logLine, makeTree } from '../helpers/dataroot.ts';
import { extract } from '../helpers/run.ts';
import { cliIn, within } from './helpers/hostile.ts';

const L = 'f'.repeat(26);
const c = `containers/${ID}`;
const root = process.getuid?.() === 0;

/**
 * Special files where the tool reads content: a FIFO and a listening UNIX socket in a layer folder,
 * and (as root, with mknod) character devices 1,5 (what /dev/zero is: endless bytes) and 1,3 named as a
 * container's logs, a block device, and an overlay whiteout (0/0). Opening the FIFO would block for
 * ever, reading the 1,5 device would never end.
 */
test('a FIFO, a socket and devices in a layer folder and named as logs: recorded from their metadata, never opened', async (t) => {
  const ev = makeTree({
    [`${c}/config.v2.json`]: configV2(ID),
    [`${c}/${ID}-json.log`]: logLine('real line\n', '2026-01-02T03:04:06Z'),
    [`overlay2/${L}/diff/etc/hostname`]: 'box\n',
  });
  const diff = path.join(ev, 'overlay2', L, 'diff');
  execFileSync('mkfifo', [path.join(diff, 'etc', 'initctl')]);
  mkdirSync(path.join(ev, c, 'local-logs'));
  execFileSync('mkfifo', [path.join(ev, c, 'local-logs', 'container.log')]);
  mkdirSync(path.join(diff, 'run'));
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(path.join(diff, 'run', 'docker.sock'), resolve));
  if (root) {
    execFileSync('mknod', [path.join(ev, c, `${ID}-json.log.1`), 'c', '1', '5']);
    execFileSync('mknod', [path.join(ev, c, `${ID}-json.log.2.gz`), 'c', '1', '3']);
    mkdirSync(path.join(diff, 'dev'));
    execFileSync('mknod', [path.join(diff, 'dev', 'sda'), 'b', '8', '0']);
    execFileSync('mknod', [path.join(diff, 'etc', 'deleted'), 'c', '0', '0']);
  } else {
    t.log('not root: devices are not made (mknod needs CAP_MKNOD)');
  }
  try {
    const { events, warnings } = await within(20_000, 'extraction with special files', extract([ev]));
    t.deepEqual(warnings.list, []);
    const type = (p: string) => events.find((e) => e.evidence === p && e.kind === 'file.mtime')?.fields.file_type;
    t.is(type(`overlay2/${L}/diff/etc/initctl`), 'fifo');
    t.is(type(`${c}/local-logs/container.log`), 'fifo');
    t.is(type(`overlay2/${L}/diff/run/docker.sock`), 'socket');
    t.is(events.find((e) => e.evidence === `overlay2/${L}/diff/run/docker.sock`)?.fields.mode, 'srwxr-xr-x');
    if (root) {
      t.like(events.find((e) => e.evidence === `${c}/${ID}-json.log.1` && e.kind === 'file.mtime')?.fields, { file_type: 'char', rdev: '1,5' });
      t.like(events.find((e) => e.evidence === `${c}/${ID}-json.log.2.gz` && e.kind === 'file.mtime')?.fields, { file_type: 'char', rdev: '1,3' });
      t.like(events.find((e) => e.evidence === `overlay2/${L}/diff/dev/sda` && e.kind === 'file.mtime')?.fields, { file_type: 'block', rdev: '8,0' });
      t.like(events.find((e) => e.evidence === `overlay2/${L}/diff/etc/deleted` && e.kind === 'file.mtime')?.fields, { file_type: 'char', rdev: '0,0' });
    }
    // the only log line is the real file's
    t.deepEqual(events.filter((e) => e.kind === 'container.log').map((e) => e.message), ['[test] stdout: real line']);
  } finally {
    server.close();
  }
});

/**
 * Formerly a bug, now fixed and kept as a regression test (src/evidence/locate.ts, daemonJsonRoots): `etc/docker/daemon.json` of a file-system
 * evidence is opened with a plain `fsp.open(path, 'r')` before its type is checked; a FIFO there blocks
 * the open for ever, so the run never ends. Fix there: lstat the resolved path and only open a regular
 * file, and open it with O_RDONLY | O_NOFOLLOW | O_NONBLOCK (a FIFO then opens at once and reads empty).
 * The CLI is killed after 8 s.
 */
test('a FIFO at etc/docker/daemon.json of a file-system evidence does not hang the run', async (t) => {
  const ev = makeTree({ [`var/lib/docker/${c}/config.v2.json`]: configV2(ID) });
  mkdirSync(path.join(ev, 'etc', 'docker'), { recursive: true });
  execFileSync('mkfifo', [path.join(ev, 'etc', 'docker', 'daemon.json')]);
  writeFileSync(path.join(ev, 'note'), 'a file-system root with a FIFO as daemon.json\n');
  const r = await cliIn(['extract', ev, '-f', 'jsonl', '-q'], { timeoutMs: 8_000 });
  t.is(r.signal, null, `killed after ${r.ms} ms: the run hung`);
  t.true(r.code === 0 || r.code === 3, r.stderr);
});
