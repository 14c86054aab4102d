import test from 'ava';
import fc from 'fast-check';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { JsonlSink } from '../../src/sinks/jsonl.js';
import { BodyfileSink } from '../../src/sinks/bodyfile.js';
import { TimesketchCsvSink, TimesketchJsonlSink } from '../../src/sinks/timesketch.js';
import type { Sink } from '../../src/sinks/sink.js';
import { jsonlText } from '../../src/sinks/jsonl-raw.js';
import { line } from './helpers/log-lines.ts';
import { Context } from '../../src/extractors/context.js';
import { jsonFileLog, jsonLogQuickOrder } from '../../src/extractors/json-file-log.js';
import { jsonLogItemsHere } from '../../src/extractors/json-file-log.fast.js';
import { jsonLogItemsParallel, logTemplates } from '../../src/extractors/json-file-log.parallel.js';
import { RawLine, type TimelineItem } from '../../src/events/raw-line.js';
import type { ArtifactRef } from '../../src/extractors/extractor.js';
import type { ContainerConfigRecord } from '../../src/extractors/container-config.js';

const ID = 'f'.repeat(64);
const REL = `containers/${ID}/${ID}-json.log`;
const REF = { root: '', rel: REL, entry: { path: REL } } as unknown as ArtifactRef;

function context(name: string | null): Context {
  const ctx = new Context('/ev,idence "q"', 'OS', null);
  if (name !== null) ctx.containers.set(ID, { name, imageId: 'sha256:' + 'c'.repeat(64) } as unknown as ContainerConfigRecord);
  return ctx;
}

interface Run { text: string; warnings: string[] }

/** The sinks with a JSON-lines fast path (nothing held back: a fast line goes out as its bytes). */
const FIELD_NAMES = ['attr_bytes_escaped', 'log_driver', 'offset_in', 'partial_chunks', 'rotation', 'time_raw', 'unterminated'];
const csv = (zone: string, guard: boolean) => (): Sink => {
  const sink = new TimesketchCsvSink(zone, guard);
  sink.header({ fieldNames: FIELD_NAMES });
  return sink;
};
const SINKS: [string, () => Sink][] = [['jsonl', () => new JsonlSink()], ['timesketch-jsonl UTC', () => new TimesketchJsonlSink('UTC')],
  ['timesketch-jsonl Berlin', () => new TimesketchJsonlSink('Europe/Berlin')], ['timesketch-jsonl Monrovia', () => new TimesketchJsonlSink('Africa/Monrovia')],
  ['timesketch-csv UTC guarded', csv('UTC', true)], ['timesketch-csv Monrovia', csv('Africa/Monrovia', false)], ['bodyfile', () => new BodyfileSink()]];

/** The JSON path: extract → records → events → the sink. */
async function jsonPath(bytes: Buffer, ctx: Context, make: () => Sink = () => new JsonlSink()): Promise<Run> {
  const sink = make();
  const warnings: string[] = [];
  let text = '';
  await jsonFileLog.extract(REF, Readable.from([bytes]), {
    record: (r) => { for (const e of jsonFileLog.toEvents(r, ctx)) text += sink.write(e); },
    warn: (w) => warnings.push(`${w.kind}@${w.offset}`),
  });
  return { text: text + sink.end(), warnings };
}

function write(sink: Sink, items: TimelineItem[]): string {
  let text = '';
  for (const e of items) text += e instanceof RawLine ? (sink.writeRaw!(e) ?? e.buf.toString('utf8', e.start, e.end)) : sink.write(e);
  return text;
}

async function fastPath(bytes: Buffer, ctx: Context, chunk: number, make: () => Sink = () => new JsonlSink()): Promise<Run & { raw: number }> {
  const sink = make();
  const warnings: string[] = [];
  const items: TimelineItem[] = [];
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunk) parts.push(bytes.subarray(i, i + chunk));
  for await (const batch of jsonLogItemsHere(REF, Readable.from(parts), ctx, sink.rawLogs!(), { record() {}, warn: (w) => warnings.push(`${w.kind}@${w.offset}`) })) items.push(...batch);
  return { text: write(sink, items) + sink.end(), warnings, raw: items.filter((i) => i instanceof RawLine).length };
}

test('jsonl, timesketch-jsonl, timesketch-csv and bodyfile fast paths: every json-file line byte for byte as the JSON path writes it (generated and damaged lines)', async (t) => {
  let raw = 0;
  await fc.assert(fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 25 }), fc.option(fc.constantFrom('/web', '/n,a\nme "q"', '/' + 'x'.repeat(70), '/\u0003odd'), { nil: null }),
    fc.integer({ min: 1, max: 300 }), fc.constantFrom(...SINKS), async (lines, name, chunk, [, make]) => {
      const bytes = Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')]));
      const ctx = context(name);
      const want = await jsonPath(bytes, ctx, make);
      const got = await fastPath(bytes, ctx, chunk, make);
      raw += got.raw;
      t.true(Buffer.from(got.text).equals(Buffer.from(want.text)), `${got.text}\n---\n${want.text}`);
      t.deepEqual(got.warnings, want.warnings);
    }), { numRuns: 1800 });
  t.true(raw > 2000, `the fast path itself ran (${raw} lines)`);
});

test('jsonl, timesketch-jsonl, timesketch-csv and bodyfile fast paths on worker threads: a checked log byte for byte as the JSON path writes it', async (t) => {
  let checked = 0;
  await fc.assert(fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 30 }), fc.integer({ min: 1, max: 7 }), fc.constantFrom(...SINKS), async (lines, per, [, make]) => {
    const bytes = Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')]));
    const ctx = context('/web');
    const quick = await jsonLogQuickOrder(REF, Readable.from([bytes]));
    if (!quick) return;
    checked++;
    const plan: number[] = [];
    let at = 0;
    lines.forEach((l, i) => { if (i % per === 0) plan.push(at); at += l.length + 1; });
    plan.push(bytes.length);
    const dir = mkdtempSync(path.join(tmpdir(), 'dt-jsonl-raw-'));
    writeFileSync(path.join(dir, 'log'), bytes);
    const fh = await open(path.join(dir, 'log'), 'r');
    const sink = make();
    const fmt = sink.rawLogs!();
    const warnings: string[] = [];
    const items: TimelineItem[] = [];
    try {
      for await (const b of jsonLogItemsParallel(REF, fh, plan, logTemplates(REF, ctx, fmt), ctx, fmt, { record() {}, warn: (w) => warnings.push(`${w.kind}@${w.offset}`) }, 2)) items.push(...b);
    } finally {
      await fh.close();
    }
    const want = await jsonPath(bytes, ctx, make);
    t.true(Buffer.from(write(sink, items) + sink.end()).equals(Buffer.from(want.text)));
    t.deepEqual(warnings, want.warnings);
  }), { numRuns: 60 });
  t.true(checked > 5, `logs that passed the pre-check: ${checked}`);
});

test('jsonl text: Go\'s escapes re-made as JSON.stringify makes them', (t) => {
  const cases: [string, string][] = [
    ['a\\u003cb\\u003e\\u0026', 'a<b>&'], ['\\u2028\\u2029', '\u2028\u2029'], ['\\/', '/'], ['\\u0008\\u000c\\u0001\\u007f', '\\b\\f\\u0001\u007f'],
    ['\\uD83D\\uDE00', '\u{1F600}'], ['\\ud800x', '\\ud800x'], ['\\udfff', '\\udfff'], ['\\ud800\\n\\udc00', '\\ud800\\n\\udc00'], ['\\u0022\\u005c', '\\"\\\\'],
  ];
  for (const [src, want] of cases) {
    const dst = Buffer.alloc(64);
    const end = jsonlText(Buffer.from(src), 0, Buffer.byteLength(src), dst, 0);
    t.is(dst.toString('utf8', 0, end), want, src);
    t.is(JSON.stringify(JSON.parse(`"${src}"`)).slice(1, -1), want, `JSON.stringify agrees: ${src}`);
  }
  t.is(jsonlText(Buffer.from('bad \\x'), 0, 6, Buffer.alloc(16), 0), -1);
  t.is(jsonlText(Buffer.from([0x61, 0x01]), 0, 2, Buffer.alloc(16), 0), -1);
});
