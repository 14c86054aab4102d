import test from 'ava';
import { Progress } from '../../src/cli/progress.ts';

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
