import test from 'ava';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Progress } from '../../src/cli/progress.ts';
import { INCIDENT, ROOT } from '../helpers/run.ts';

function fakeStream(isTTY: boolean): { stream: NodeJS.WriteStream; written: string[] } {
  const written: string[] = [];
  return { stream: { isTTY, write: (s: string) => { written.push(s); return true; } } as unknown as NodeJS.WriteStream, written };
}

test('a progress line is written to a terminal and cleared at the end', (t) => {
  const { stream, written } = fakeStream(true);
  const p = new Progress(stream);
  for (let i = 0; i < 0x4000; i++) p.tick();
  p.done();
  t.regex(written[0]!, /^\rdocker-timeline: 16384 events extracted/);
  t.is(written.at(-1), '\r\x1b[K');
});

test('nothing is written when stderr is not a terminal', (t) => {
  const { stream, written } = fakeStream(false);
  const p = new Progress(stream);
  for (let i = 0; i < 0x10000; i++) p.tick();
  p.done();
  t.deepEqual(written, []);
});

test('while the timeline is written, a line says how far (at most every half second), and is cleared at the end', (t) => {
  const { stream, written } = fakeStream(true);
  const p = new Progress(stream);
  p.writing(500, 2000);
  p.writing(1000, 2000); // within half a second: not written
  p.writing(2000, 2000);
  p.done();
  t.deepEqual(written, ['\r\x1b[Kdocker-timeline: writing, 500 of about 2000 events (25 %)...', '\r\x1b[K']);
  const { stream: s2, written: w2 } = fakeStream(false);
  new Progress(s2).writing(1, 2);
  t.deepEqual(w2, []);
});

test('extract and merge show the writing line on a terminal and clear it (a pseudo-terminal from util-linux script)', (t) => {
  const r = spawnSync('script', ['-qec', `${process.execPath} ${path.join(ROOT, 'bin/docker-timeline.js')} extract ${path.join(INCIDENT, 'dataroot.tar.gz')} -o /dev/null --format jsonl`, '/dev/null'], { encoding: 'utf8' });
  t.is(r.error, undefined);
  const out = r.stdout;
  const at = out.indexOf('\r\x1b[Kdocker-timeline: writing, ');
  t.true(at >= 0, JSON.stringify(out.slice(0, 300)));
  t.regex(out.slice(at), /^\r\x1b\[Kdocker-timeline: writing, \d+ of about \d+ events \(\d+ %\)\.\.\.\r\x1b\[K/);
  t.regex(out, /docker-timeline: 2497 event\(s\) written/);
  // merge too
  const m = spawnSync('script', ['-qec', `${process.execPath} ${path.join(ROOT, 'bin/docker-timeline.js')} merge ${path.join(ROOT, 'fixtures/merge/host.body')} -o /dev/null --format jsonl`, '/dev/null'], { encoding: 'utf8' });
  t.regex(m.stdout, /\r\x1b\[Kdocker-timeline: writing, \d+ of about \d+ events \(\d+ %\)\.\.\.\r\x1b\[K/);
});
