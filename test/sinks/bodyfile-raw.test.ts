import test from 'ava';
import { BodyfileSink } from '../../src/sinks/bodyfile.ts';
import { newShape, readShape } from '../../src/extractors/json-file-line.ts';
import { makeEvent } from './make-event.ts';

test('bodyfile fast path: a backslash is kept only before x and two hex digits of the text itself, whatever the line before held', (t) => {
  const sink = new BodyfileSink();
  const fmt = sink.rawLogs();
  const prefix = '[web] stdout: ';
  const template = fmt.template(makeEvent({ message: prefix }), prefix);
  t.truthy(template);
  const s = newShape();
  const dst = Buffer.alloc(4096);
  // each text after one that leaves hex digits where its own text ends
  const texts = ['\\x4fff', '\\x4', '\\x4ff', '\\x', '\\x4f', 'a\\\\', '%|\\x5cxZZ', '\\x4f\\x'];
  for (const text of texts) {
    const json = JSON.stringify({ log: `${text}\n`, stream: 'stdout', time: '2026-01-02T03:04:05.5Z' });
    const line = Buffer.from(json);
    t.true(readShape(line, s));
    const end = fmt.format(line, s, 42, template, dst, 0);
    const want = sink.write(makeEvent({ message: prefix + text, offset: 42, timeNs: 1767323045500000000n }));
    t.is(dst.toString('utf8', 0, end), want, JSON.stringify(text));
  }
});
