import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cli } from '../helpers/run.ts';
import { ID, ID2, configV2, dockerGzip, logLine, makeTree } from '../helpers/dataroot.ts';
import { bigLog } from '../helpers/big-log.ts';

test('large logs through the fast path (worker threads, and this thread) give the bytes of --no-fast-path, with the same warnings (l2tcsv, jsonl, timesketch-jsonl, timesketch-csv, bodyfile)', async (t) => {
  // a clean log (checked by the byte pre-check, cut for workers) and one with a line of another shape
  // (read with JSON.parse first, then written on this thread), both over the direct-merge size
  const clean = bigLog(9, 1_800_000_000, [
    (time) => `{"log":"raw \u0001 control\\n","stream":"stdout","time":"${time}"}`,
    (time) => `{"log":"bad \\x escape\\n","stream":"stdout","time":"${time}"}`,
    (time) => `{"log":"invalid \u00ff\u00fe utf-8\\n","stream":"stderr","time":"${time}"}`,
  ]);
  const mixed = bigLog(9, 1_800_000_003, [(time) => `{"log":"with attrs\\n","stream":"stdout","attrs":{"tag":"a,b"},"time":"${time}"}`]);
  const root = makeTree({
    [`containers/${ID}/config.v2.json`]: configV2(ID),
    [`containers/${ID}/${ID}-json.log`]: clean,
    [`containers/${ID2}/config.v2.json`]: configV2(ID2, { Name: '/other,name' }),
    [`containers/${ID2}/${ID2}-json.log`]: mixed,
  });
  const dir = mkdtempSync(path.join(tmpdir(), 'dt-fast-'));
  // gigabytes of logs and outputs: removed when the test ends
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }); rmSync(root, { recursive: true, force: true }); });
  for (const zone of ['UTC', 'Europe/Berlin']) {
    const fast = path.join(dir, `fast-${zone.replace('/', '_')}.csv`);
    const slow = path.join(dir, `slow-${zone.replace('/', '_')}.csv`);
    const a = cli(['extract', root, '-o', fast, '--format', 'l2tcsv', '-q', '-z', zone, '--warnings', fast + '.w']);
    const b = cli(['extract', root, '-o', slow, '--format', 'l2tcsv', '-q', '-z', zone, '--no-fast-path', '--warnings', slow + '.w']);
    t.is(a.code, 3, a.stderr);
    t.is(b.code, 3, b.stderr);
    const fa = readFileSync(fast);
    t.true(fa.equals(readFileSync(slow)), `${zone}: outputs differ`);
    t.is(readFileSync(fast + '.w', 'utf8'), readFileSync(slow + '.w', 'utf8'));
    const text = fa.toString('utf8');
    t.true(text.split('\n').length > 100_000);
    t.false(text.includes('raw \u0001 control'), 'a line JSON refuses is a warning, not an event');
    t.true(text.includes('invalid \u00ff\u00fe utf-8'));
    t.regex(readFileSync(fast + '.w', 'utf8'), /bad-json/);
    t.true(text.includes('attr_tag: a b'));
  }
  // jsonl and timesketch-jsonl have the fast path too: the same bytes as their JSON path
  for (const [format, zone] of [['jsonl', 'UTC'], ['timesketch-jsonl', 'Europe/Berlin'], ['timesketch-csv', 'America/New_York'], ['bodyfile', 'UTC']]) {
    const jf = path.join(dir, `fast.${format}`);
    const js = path.join(dir, `slow.${format}`);
    const ja = cli(['extract', root, '-o', jf, '--format', format!, '-z', zone!, '-q', '--warnings', jf + '.w']);
    const jb = cli(['extract', root, '-o', js, '--format', format!, '-z', zone!, '-q', '--no-fast-path', '--warnings', js + '.w']);
    t.is(ja.code, 3, ja.stderr);
    t.is(ja.stderr, jb.stderr);
    t.true(readFileSync(jf).equals(readFileSync(js)), `${format}: outputs differ`);
    t.is(readFileSync(jf + '.w', 'utf8'), readFileSync(js + '.w', 'utf8'));
  }
  // a time window: lines outside it are dropped on the fast path too (their buffers given back)
  const win = ['--after', '2027-01-15T08:00:30Z', '--before', '2027-01-15T08:01:10.5Z'];
  const a = cli(['extract', root, '-o', path.join(dir, 'wf.csv'), '--format', 'l2tcsv', '-q', ...win]);
  const b = cli(['extract', root, '-o', path.join(dir, 'ws.csv'), '--format', 'l2tcsv', '-q', '--no-fast-path', ...win]);
  t.is(a.stderr, b.stderr);
  const wf = readFileSync(path.join(dir, 'wf.csv'));
  t.true(wf.equals(readFileSync(path.join(dir, 'ws.csv'))));
  const n = wf.toString().split('\n').length;
  t.true(n > 30_000 && n < 90_000, `${n} lines in the window`);
});

test('a large log in a tar archive is copied under --tmp-dir and takes the fast path: the bytes of --no-fast-path, and no copy left', async (t) => {
  const root = makeTree({
    [`containers/${ID}/config.v2.json`]: configV2(ID),
    [`containers/${ID}/${ID}-json.log`]: bigLog(9, 1_800_000_000, [(time) => `{"log":"bad \\x escape\\n","stream":"stdout","time":"${time}"}`]),
  });
  const dir = mkdtempSync(path.join(tmpdir(), 'dt-fast-tar-'));
  // gigabytes of logs and outputs: removed when the test ends
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }); rmSync(root, { recursive: true, force: true }); });
  const archive = path.join(dir, 'evidence.tar');
  execFileSync('tar', ['-C', root, '--sort=name', '-cf', archive, 'containers']);
  const spill = path.join(dir, 'spill');
  mkdirSync(spill);
  const fast = path.join(dir, 'fast.csv');
  const slow = path.join(dir, 'slow.csv');
  const a = cli(['extract', archive, '-o', fast, '--format', 'l2tcsv', '-q', '--tmp-dir', spill, '--warnings', fast + '.w']);
  const b = cli(['extract', archive, '-o', slow, '--format', 'l2tcsv', '-q', '--tmp-dir', spill, '--no-fast-path', '--warnings', slow + '.w']);
  t.is(a.code, 3, a.stderr);
  t.is(a.stderr, b.stderr);
  t.true(readFileSync(fast).equals(readFileSync(slow)));
  t.is(readFileSync(fast + '.w', 'utf8'), readFileSync(slow + '.w', 'utf8'));
  t.regex(readFileSync(fast + '.w', 'utf8'), /bad-json/);
  t.true(readFileSync(fast).length > 20 << 20);
  t.deepEqual(readdirSync(spill), []);
});

const cut = (b: Buffer): Buffer => b.subarray(0, b.length - 5000);

test('rotations, plain (.N) and compressed (.N.gz, decompressed once under --tmp-dir), take the fast path: the bytes and warnings of --no-fast-path, the gzip lastTime still checked, no copy left', async (t) => {
  const odd = [(time: string) => `{"log":"bad \\x escape\\n","stream":"stdout","time":"${time}"}`];
  const gzLog = bigLog(9, 1_800_000_000, odd);
  const plainLog = bigLog(9, 1_800_100_000, odd);
  const root = makeTree({
    [`containers/${ID}/config.v2.json`]: configV2(ID),
    // stored (level 0): over the direct-merge size as a file; its header's lastTime is not its last line's
    [`containers/${ID}/${ID}-json.log.2.gz`]: dockerGzip(gzLog, '2030-01-01T00:00:00Z', 0),
    [`containers/${ID}/${ID}-json.log.1`]: plainLog,
    // cut short (a rotation truncated on disk): no copy; read the ordinary way, what decompressed kept
    [`containers/${ID}/${ID}-json.log.3.gz`]: cut(dockerGzip(bigLog(8.5, 1_799_900_000, []), '2027-01-01T00:00:00Z', 0)),
    [`containers/${ID}/${ID}-json.log`]: logLine('current\n', '2030-01-02T00:00:00Z'),
  });
  const dir = mkdtempSync(path.join(tmpdir(), 'dt-fast-rot-'));
  // gigabytes of logs and outputs: removed when the test ends
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }); rmSync(root, { recursive: true, force: true }); });
  const spill = path.join(dir, 'spill');
  mkdirSync(spill);
  for (const format of ['l2tcsv', 'jsonl', 'timesketch-csv']) {
    const fast = path.join(dir, `fast.${format}`);
    const slow = path.join(dir, `slow.${format}`);
    const a = cli(['extract', root, '-o', fast, '--format', format, '-q', '--tmp-dir', spill, '--warnings', fast + '.w']);
    const b = cli(['extract', root, '-o', slow, '--format', format, '-q', '--tmp-dir', spill, '--no-fast-path', '--warnings', slow + '.w']);
    t.is(a.code, 3, a.stderr);
    t.is(a.stderr, b.stderr);
    t.true(readFileSync(fast).equals(readFileSync(slow)), `${format}: outputs differ`);
    const w = readFileSync(fast + '.w', 'utf8');
    t.is(w, readFileSync(slow + '.w', 'utf8'));
    t.regex(w, /last-time-mismatch.*json\.log\.2\.gz|json\.log\.2\.gz.*last-time-mismatch/);
    t.is((w.match(/bad-json/g) ?? []).length, 3, 'the odd line of two rotations, the line the cut one ends in');
    t.regex(w, /bad-gzip.*json\.log\.3\.gz|json\.log\.3\.gz.*bad-gzip/);
    const text = readFileSync(fast, 'utf8');
    t.true(text.includes('decompressed stream'), `${format}: the compressed rotation's lines say where their offsets are`);
    t.true(text.split('\n').length > 80_000);
  }
  t.deepEqual(readdirSync(spill), []);
});
