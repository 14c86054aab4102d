import test from 'ava';
import fc from 'fast-check';
import { closeSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { jsonLogQuickOrder } from '../../src/extractors/json-file-log.js';
import { checkChunk } from '../../src/extractors/json-file-log.check.js';
import { combineChecks } from '../../src/extractors/json-file-log.parallel.js';
import type { ArtifactRef } from '../../src/extractors/extractor.js';

const ID = 'e'.repeat(64);
const REL = `containers/${ID}/${ID}-json.log`;
const REF = { root: '', rel: REL, entry: { path: REL } } as unknown as ArtifactRef;

/** Lines as dockerd writes them, with the odd ones (another shape, another zone, empty, long, unterminated). */
const line = fc.record({
  s: fc.integer({ min: 1_700_000_000, max: 1_700_000_100 }), ns: fc.integer({ min: 0, max: 999_999_999 }),
  text: fc.oneof(fc.string({ maxLength: 40 }), fc.constant('"quoted", \\ back'), fc.constant('x'.repeat(3000))),
  kind: fc.oneof({ weight: 40, arbitrary: fc.constant('ok') }, { weight: 1, arbitrary: fc.constantFrom('zone', 'empty', 'attrs', 'split', 'zero') }),
});

const render = (l: { s: number; ns: number; text: string; kind: string }): string => {
  const time = new Date(l.s * 1000).toISOString().slice(0, 19) + '.' + String(l.ns).padStart(9, '0') + 'Z';
  switch (l.kind) {
    case 'zone': return JSON.stringify({ log: l.text + '\n', stream: 'stdout', time: time.replace('Z', '+00:00') });
    case 'empty': return '';
    case 'attrs': return JSON.stringify({ log: l.text + '\n', stream: 'stdout', attrs: { a: 'b' }, time });
    case 'split': return JSON.stringify({ log: l.text, stream: 'stderr', time });
    case 'zero': return JSON.stringify({ log: l.text + '\n', stream: 'stdout', time: '0001-01-01T00:00:00Z' });
    default: return JSON.stringify({ log: l.text + '\n', stream: 'stderr', time });
  }
};

test('the pre-check in parts (any cut, lines across parts) finds what the serial pre-check finds', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dt-check-'));
  let runs = 0;
  const seen = { doubt: 0, ordered: 0, unordered: 0 };
  await fc.assert(fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 40 }), fc.boolean(), fc.boolean(), fc.integer({ min: 1, max: 5000 }), async (ls, sorted, newlineAtEnd, part) => {
    const lines = (sorted ? [...ls].sort((a, b) => a.s - b.s || a.ns - b.ns) : ls).map(render);
    const body = Buffer.from(lines.join('\n') + (newlineAtEnd ? '\n' : ''));
    const file = path.join(dir, `log-${runs++}`);
    writeFileSync(file, body);
    const serial = await jsonLogQuickOrder(REF, Readable.from([body]));
    const fd = openSync(file, 'r');
    try {
      const results = [];
      for (let start = 0; start < body.length; start += part) results.push(checkChunk({ fd, start, end: Math.min(body.length, start + part), size: body.length }));
      const parallel = combineChecks(results, body.length, 0);
      seen[serial === null ? 'doubt' : serial.ordered ? 'ordered' : 'unordered']++;
      if (serial === null) {
        t.is(parallel, null);
      } else {
        t.not(parallel, null);
        t.is(parallel!.ordered, serial.ordered);
        t.is(parallel!.count, serial.count);
        // the plan cuts at line starts, in order, from 0 to the end
        const plan = parallel!.plan!;
        t.is(plan[0], 0);
        t.is(plan.at(-1), body.length);
        for (let i = 1; i < plan.length - 1; i++) t.is(body[plan[i]! - 1], 10, 'a cut is at a line start');
      }
    } finally {
      closeSync(fd);
    }
  }), { numRuns: 400 });
  t.true(seen.doubt > 20 && seen.ordered > 50 && seen.unordered > 50, JSON.stringify(seen));
});
