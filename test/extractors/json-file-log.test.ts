import test from 'ava';
import { extract } from '../helpers/run.ts';
import { ID, configV2, dockerGzip, logLine, makeTree } from '../helpers/dataroot.ts';

const c = `containers/${ID}`;

test('lines Docker split at 16 KiB are joined back into one event with the first chunk\'s time and offset', async (t) => {
  const big = 'x'.repeat(16384);
  const body = logLine(big, '2026-01-02T03:04:06Z') + logLine(big, '2026-01-02T03:04:06Z') + logLine('tail\n', '2026-01-02T03:04:06Z')
    + logLine('next\n', '2026-01-02T03:04:07.000000001Z');
  const root = makeTree({ [`${c}/config.v2.json`]: configV2(ID), [`${c}/${ID}-json.log`]: body });
  const { events, warnings } = await extract([root]);
  const logs = events.filter((e) => e.kind === 'container.log');
  t.is(logs.length, 2);
  t.is(logs[0]!.message, `[test] stdout: ${big}${big}tail`);
  t.is(logs[0]!.fields.partial_chunks, 3);
  t.is(logs[0]!.offset, 0);
  t.is(logs[1]!.offset, Buffer.byteLength(body) - Buffer.byteLength(logLine('next\n', '2026-01-02T03:04:07.000000001Z')));
  t.is(logs[1]!.timeNs, 1767323047000000001n);
  t.is(warnings.total, 0);
});

test('stdout and stderr partials interleaved are joined per stream', async (t) => {
  const body = logLine('out-a', '2026-01-02T03:04:06Z') + logLine('err line\n', '2026-01-02T03:04:06.1Z', 'stderr') + logLine('out-b\n', '2026-01-02T03:04:06.2Z');
  const root = makeTree({ [`${c}/config.v2.json`]: configV2(ID), [`${c}/${ID}-json.log`]: body });
  const { events } = await extract([root]);
  const logs = events.filter((e) => e.kind === 'container.log').map((e) => e.message);
  t.deepEqual(logs, ['[test] stdout: out-aout-b', '[test] stderr: err line']);
});

test('an unterminated last message is kept and marked; attrs and stream are kept', async (t) => {
  const body = JSON.stringify({ log: 'hello\n', stream: 'stderr', attrs: { tag: 'web', env: 'prod' }, time: '2026-01-02T03:04:06Z' }) + '\n' + logLine('no newline at exit', '2026-01-02T03:04:08Z');
  const root = makeTree({ [`${c}/config.v2.json`]: configV2(ID), [`${c}/${ID}-json.log`]: body });
  const { events } = await extract([root]);
  const logs = events.filter((e) => e.kind === 'container.log');
  t.is(logs[0]!.stream, 'stderr');
  t.is(logs[0]!.fields.attr_tag, 'web');
  t.is(logs[0]!.fields.attr_env, 'prod');
  t.is(logs[1]!.fields.unterminated, true);
  t.is(logs[1]!.message, '[test] stdout: no newline at exit');
});

test('a broken line, a truncated last line and a bad time are warnings with offsets; every other line is kept', async (t) => {
  const good1 = logLine('one\n', '2026-01-02T03:04:06Z');
  const broken = '{"log":"two\\n","stream":"std\n';
  const badTime = logLine('three\n', 'yesterday');
  const good2 = logLine('four\n', '2026-01-02T03:04:09Z');
  const truncated = '{"log":"fi';
  const body = good1 + broken + badTime + good2 + truncated;
  const root = makeTree({ [`${c}/config.v2.json`]: configV2(ID), [`${c}/${ID}-json.log`]: body });
  const { events, warnings } = await extract([root]);
  t.deepEqual(events.filter((e) => e.kind === 'container.log').map((e) => e.message), ['[test] stdout: one', '[test] stdout: four']);
  const w = warnings.list.map((x) => [x.kind, x.offset, x.evidence.endsWith(`${ID}-json.log`)]);
  t.deepEqual(w, [
    ['bad-json', good1.length, true],
    ['bad-time', good1.length + broken.length, true],
    ['bad-json', body.length - truncated.length, true],
  ]);
});

test('a corrupt gzip rotation keeps what decompressed before the damage, warns, and the other files are read', async (t) => {
  const lines = Array.from({ length: 2000 }, (_, i) => logLine(`rotated ${i} ${'y'.repeat(i % 50)}\n`, `2026-01-02T03:04:${String(10 + (i % 40)).padStart(2, '0')}Z`)).join('');
  const gz = dockerGzip(lines, '2026-01-02T03:04:49Z');
  const corrupt = Buffer.from(gz);
  corrupt.fill(0x55, Math.floor(gz.length * 0.6), Math.floor(gz.length * 0.6) + 64);
  const root = makeTree({
    [`${c}/config.v2.json`]: configV2(ID),
    [`${c}/${ID}-json.log`]: logLine('current\n', '2026-01-02T03:05:00Z'),
    [`${c}/${ID}-json.log.1.gz`]: corrupt,
    [`${c}/${ID}-json.log.2.gz`]: gz,
  });
  const { events, warnings } = await extract([root]);
  const logs = events.filter((e) => e.kind === 'container.log');
  const from2 = logs.filter((e) => e.evidence.endsWith('.2.gz'));
  const from1 = logs.filter((e) => e.evidence.endsWith('.1.gz'));
  t.is(from2.length, 2000);
  t.true(from1.length > 0 && from1.length < 2000, `${from1.length} lines before the damage`);
  t.true(logs.some((e) => e.message.endsWith('current')));
  const gzw = warnings.list.filter((w) => w.kind === 'bad-gzip');
  t.is(gzw.length, 1);
  t.true(gzw[0]!.evidence.endsWith('.1.gz'));
  t.true(gzw[0]!.offset > 0);
});

test('an overlong line with no newline is skipped with a warning, memory stays bounded, later lines are kept', async (t) => {
  const huge = Buffer.alloc(20 * 1024 * 1024, 0x41);
  const root = makeTree({
    [`${c}/config.v2.json`]: configV2(ID),
    [`${c}/${ID}-json.log`]: Buffer.concat([Buffer.from(logLine('before\n', '2026-01-02T03:04:06Z')), huge, Buffer.from('\n' + logLine('after\n', '2026-01-02T03:04:07Z'))]),
  });
  const { events, warnings } = await extract([root]);
  t.deepEqual(events.filter((e) => e.kind === 'container.log').map((e) => e.message), ['[test] stdout: before', '[test] stdout: after']);
  t.is(warnings.list[0]!.kind, 'overlong-line');
  t.is(warnings.list[0]!.offset, Buffer.byteLength(logLine('before\n', '2026-01-02T03:04:06Z')));
});

test('the quick order check reads times from the fixed tail and says null on any line of another shape', async (t) => {
  const { jsonLogQuickOrder } = await import('../../src/extractors/json-file-log.ts');
  const { Readable } = await import('node:stream');
  const entry = { path: `${c}/${ID}-json.log`, type: 'file' as const, size: 0n, mode: 0, uid: 0, gid: 0, inode: null };
  const ref = { root: '', rel: `${c}/${ID}-json.log`, entry };
  // the chunk plan (where worker threads may cut the log) is checked in the fast-path tests
  const q = async (body: string) => { const r = await jsonLogQuickOrder(ref, Readable.from([Buffer.from(body)])); if (r) delete r.plan; return r; };
  const ok = logLine('a "quoted" \\ text\n', '2026-01-02T03:04:05Z') + logLine('b\n', '2026-01-02T03:04:05.5Z', 'stderr') + logLine('c\n', '2026-01-02T03:04:06.000000001Z');
  t.deepEqual(await q(ok), { ordered: true, count: 3, fieldNames: ['log_driver', 'time_raw'] });
  t.deepEqual(await q(logLine('b\n', '2026-01-02T03:04:06Z') + logLine('a\n', '2026-01-02T03:04:05Z')), { ordered: false, count: 2, fieldNames: ['log_driver', 'time_raw'] });
  t.is(await q(JSON.stringify({ log: 'x\n', stream: 'stdout', attrs: { tag: 'w' }, time: '2026-01-02T03:04:05Z' }) + '\n'), null, 'attrs');
  t.is(await q(logLine('split', '2026-01-02T03:04:05Z') + logLine('rest\n', '2026-01-02T03:04:05Z')), null, 'a split line');
  t.is(await q(logLine('ends in backslash-n text \\n', '2026-01-02T03:04:05Z')), null, 'a literal backslash and n is not a newline');
  t.deepEqual(await q(logLine('x\n', '2026-01-02T05:04:05+02:00') + logLine('y\n', '2026-01-02T03:04:06Z')), { ordered: true, count: 2, fieldNames: ['log_driver', 'time_raw'] }, 'offsets are honoured');
  t.is(await q('{"log":"x\\n","stream":"stdout","time":"2026-01-02T03:04:05Z"'), null, 'a truncated line');
});

test('for a log merged directly, the quick check names exactly the fields its events carry', async (t) => {
  const { extract: run } = await import('../helpers/run.ts');
  const body = Array.from({ length: 50 }, (_, i) => logLine(`line ${i}\n`, `2026-01-02T03:04:${String(10 + i).padStart(2, '0')}Z`, i % 3 ? 'stdout' : 'stderr')).join('');
  const root = makeTree({ [`${c}/config.v2.json`]: configV2(ID), [`${c}/${ID}-json.log`]: body, [`${c}/${ID}-json.log.1.gz`]: dockerGzip(body, '2026-01-02T03:04:59Z') });
  const direct = await run([root], undefined, 0);
  const sorted = await run([root]);
  t.is(direct.directSources, 2);
  t.deepEqual(direct.events, sorted.events);
  const keys = new Set(sorted.events.filter((e) => e.kind === 'container.log').flatMap((e) => Object.keys(e.fields)));
  t.deepEqual([...keys].sort(), ['log_driver', 'offset_in', 'rotation', 'time_raw']);
});

test('the gzip header lastTime of a rotated log is checked against its newest line', async (t) => {
  const lines = logLine('one\n', '2026-01-02T03:04:05Z') + logLine('two\n', '2026-01-02T03:04:06.5Z');
  const root = makeTree({
    [`${c}/config.v2.json`]: configV2(ID),
    [`${c}/${ID}-json.log.1.gz`]: dockerGzip(lines, '2026-01-02T03:04:06.5Z'),
    [`${c}/${ID}-json.log.2.gz`]: dockerGzip(lines, '2026-01-02T03:04:09Z'),
  });
  const { events, warnings } = await extract([root]);
  t.is(events.filter((e) => e.kind === 'container.log').length, 4);
  t.deepEqual(warnings.list.map((w) => [w.kind, w.evidence.endsWith('.2.gz')]), [['last-time-mismatch', true]]);
  t.regex(warnings.list[0]!.message, /last entry was at 2026-01-02T03:04:09Z, but the newest entry read is 2026-01-02T03:04:06.500000000Z/);
});
