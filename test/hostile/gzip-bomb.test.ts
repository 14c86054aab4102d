import test from 'ava';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ID, configV2, logLine, makeTree } from '../helpers/dataroot.ts';
import { measureMemory, repeatedGzip, streamEvents, tarArchive, tmp, within } from './helpers/hostile.ts';
import type { TimelineEvent } from '../../src/events/event.ts';
import { MAX_LINE_BYTES } from '../../src/extractors/line-splitter.ts';

const c = `containers/${ID}`;
const GIB = 1 << 30;
const first = logLine('before the bomb\n', '2026-01-02T03:04:05Z');
const last = logLine('after the bomb\n', '2026-01-02T03:04:07.000000001Z');
/**
 * A rotated json-file log `<id>-json.log.1.gz` of about 1 MB that inflates to a line, then 1 GiB of
 * zeros with no newline, then a newline and another line. The gzip header's lastTime is the last line's.
 */
const bomb = (): Buffer => repeatedGzip([[Buffer.from(first), 1], [Buffer.alloc(1 << 20), 1024], [Buffer.from('\n' + last), 1]], '2026-01-02T03:04:07.000000001Z');

interface Outcome { logs: TimelineEvent[]; warnings: { kind: string; evidence: string; offset: number; message: string }[] }

async function run(evidence: string): Promise<{ outcome: Outcome; peak: { rss: number; heapUsed: number }; ms: number }> {
  const logs: TimelineEvent[] = [];
  const start = Date.now();
  const { result, peak } = await measureMemory(() => within(60_000, 'extraction of the gzip bomb', streamEvents(evidence, (e) => { if (e.kind === 'container.log') logs.push(e); })));
  return { outcome: { logs, warnings: [...result.warnings.list] }, peak, ms: Date.now() - start };
}

function check(t: import('ava').ExecutionContext, o: Outcome, logPath: string): void {
  const fromBomb = o.logs.filter((e) => e.evidence === logPath).map((e) => [e.message, e.offset, e.fields.offset_in]);
  t.deepEqual(fromBomb, [
    ['[test] stdout: before the bomb', 0, 'decompressed stream'],
    // the line after the bomb is still there, at its exact offset in the decompressed stream
    ['[test] stdout: after the bomb', first.length + GIB + 1, 'decompressed stream'],
  ]);
  t.true(o.logs.some((e) => e.message === '[test] stdout: current'), 'the current log is read too');
  t.deepEqual(o.warnings.map((w) => [w.kind, w.evidence, w.offset]), [['overlong-line', logPath, first.length]]);
  t.regex(o.warnings[0]!.message, new RegExp(`log line of ${GIB} bytes exceeds`));
}

test.serial('a gzip bomb as a rotated json-file log (1 GiB of zeros in 1 MB, no newline): the run ends, memory stays bounded, one overlong-line warning with its offset, the lines around it are kept', async (t) => {
  const gz = bomb();
  t.true(gz.length < 1_200_000, `${gz.length} bytes of gzip`);
  const root = makeTree({
    [`${c}/config.v2.json`]: configV2(ID),
    [`${c}/${ID}-json.log`]: logLine('current\n', '2026-01-02T03:05:00Z'),
    [`${c}/${ID}-json.log.1.gz`]: gz,
  });
  const { outcome, peak, ms } = await run(root);
  t.log(`1 GiB inflated in ${ms} ms; peak growth rss ${(peak.rss / 2 ** 20).toFixed(0)} MiB, heap ${(peak.heapUsed / 2 ** 20).toFixed(0)} MiB`);
  check(t, outcome, `${c}/${ID}-json.log.1.gz`);
  // nothing near the inflated size is held: at most one line-limit buffer plus stream buffers
  t.true(peak.heapUsed < 4 * MAX_LINE_BYTES, `heap grew ${peak.heapUsed} bytes`);
  t.true(peak.rss < 256 * 2 ** 20, `rss grew ${peak.rss} bytes`);
});

test.serial('the same gzip bomb inside a tar archive evidence (read in place): same events, same warning', async (t) => {
  const dir = tmp('bomb-tar');
  const archive = path.join(dir, 'evidence.tar');
  writeFileSync(archive, tarArchive([
    { name: `docker/${c}/config.v2.json`, data: configV2(ID) },
    { name: `docker/${c}/${ID}-json.log`, data: logLine('current\n', '2026-01-02T03:05:00Z') },
    { name: `docker/${c}/${ID}-json.log.1.gz`, data: bomb() },
  ]));
  const { outcome, peak } = await run(archive);
  check(t, outcome, `docker/${c}/${ID}-json.log.1.gz`);
  t.true(peak.heapUsed < 4 * MAX_LINE_BYTES, `heap grew ${peak.heapUsed} bytes`);
  t.true(peak.rss < 256 * 2 ** 20, `rss grew ${peak.rss} bytes`);
});
