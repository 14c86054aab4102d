import test from 'ava';
import fc from 'fast-check';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { L2tCsvSink } from '../../src/sinks/l2tcsv.js';
import { line } from './helpers/log-lines.ts';
import { Context } from '../../src/extractors/context.js';
import { jsonFileLog, jsonLogQuickOrder } from '../../src/extractors/json-file-log.js';
import { jsonLogItemsHere } from '../../src/extractors/json-file-log.fast.js';
import { jsonLogItemsParallel, logTemplates } from '../../src/extractors/json-file-log.parallel.js';
import { RawLine, type TimelineItem } from '../../src/events/raw-line.js';
import { LogWorkerPool } from '../../src/extractors/log-workers.js';
import type { ArtifactRef } from '../../src/extractors/extractor.js';
import type { ContainerConfigRecord } from '../../src/extractors/container-config.js';

const ID = 'f'.repeat(64);
const REL = `containers/${ID}/${ID}-json.log`;
const REF = { root: '', rel: REL, entry: { path: REL } } as unknown as ArtifactRef;

function context(name: string | null): Context {
  const ctx = new Context('/ev,idence', 'OS', null);
  if (name !== null) ctx.containers.set(ID, { name, imageId: 'sha256:' + 'c'.repeat(64) } as unknown as ContainerConfigRecord);
  return ctx;
}

interface Run { text: string; warnings: string[] }

/** The JSON path: extract → records → events → the sink, as `extract` has always written them. */
async function jsonPath(bytes: Buffer, ctx: Context, zone: string): Promise<Run> {
  const sink = new L2tCsvSink(zone, 'host');
  const warnings: string[] = [];
  let text = '';
  await jsonFileLog.extract(REF, Readable.from([bytes]), {
    record: (r) => { for (const e of jsonFileLog.toEvents(r, ctx)) text += sink.write(e); },
    warn: (w) => warnings.push(`${w.kind}@${w.offset}`),
  });
  return { text: text + sink.end(), warnings };
}

/** Items as writeTimeline writes them. */
function write(sink: L2tCsvSink, items: TimelineItem[]): string {
  let text = '';
  for (const e of items) {
    if (e instanceof RawLine) {
      const t = sink.writeRaw(e);
      text += t === null ? e.buf.toString('utf8', e.start, e.end) : t;
    } else {
      text += sink.write(e);
    }
  }
  return text;
}

/** The fast path on this thread. */
async function fastPath(bytes: Buffer, ctx: Context, zone: string, chunk = 7): Promise<Run & { raw: number }> {
  const sink = new L2tCsvSink(zone, 'host');
  const warnings: string[] = [];
  const items: TimelineItem[] = [];
  // small, odd chunks: lines cross chunk boundaries
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunk) parts.push(bytes.subarray(i, i + chunk));
  for await (const batch of jsonLogItemsHere(REF, Readable.from(parts), ctx, sink.rawLogs(), { record() {}, warn: (w) => warnings.push(`${w.kind}@${w.offset}`) })) items.push(...batch);
  return { text: write(sink, items) + sink.end(), warnings, raw: items.filter((i) => i instanceof RawLine).length };
}

test('the L2T fast path writes every json-file line byte for byte as the JSON path does (generated and damaged lines)', async (t) => {
  let raw = 0;
  await fc.assert(fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 25 }), fc.constantFrom('UTC', 'Europe/Berlin'), fc.option(fc.constantFrom('/web', '/n,a\nme', '/' + 'x'.repeat(70)), { nil: null }),
    fc.integer({ min: 1, max: 300 }), async (lines, zone, name, chunk) => {
      const bytes = Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')]));
      const ctx = context(name);
      const want = await jsonPath(bytes, ctx, zone);
      const got = await fastPath(bytes, ctx, zone, chunk);
      raw += got.raw;
      // compared as the bytes written (a lone surrogate of the JSON path's text is written as U+FFFD)
      t.true(Buffer.from(got.text).equals(Buffer.from(want.text)), `${got.text}\n---\n${want.text}`);
      t.deepEqual(got.warnings, want.warnings);
    }), { numRuns: 600 });
  t.true(raw > 1000, `the fast path itself ran (${raw} lines)`);
});

test('worker threads write a checked log byte for byte as the JSON path does, lines they pass back included', async (t) => {
  let checked = 0;
  await fc.assert(fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 30 }), fc.constantFrom('UTC', 'America/New_York'), fc.integer({ min: 1, max: 7 }), async (lines, zone, per) => {
    const bytes = Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')]));
    const ctx = context('/web');
    // only what the order pre-check lets through is ever given to the workers
    const quick = await jsonLogQuickOrder(REF, Readable.from([bytes]));
    if (!quick) return;
    checked++;
    const plan: number[] = [];
    let at = 0;
    lines.forEach((l, i) => { if (i % per === 0) plan.push(at); at += l.length + 1; });
    plan.push(bytes.length);
    const dir = mkdtempSync(path.join(tmpdir(), 'dt-raw-'));
    writeFileSync(path.join(dir, 'log'), bytes);
    const fh = await open(path.join(dir, 'log'), 'r');
    const sink = new L2tCsvSink(zone, 'host');
    const fmt = sink.rawLogs();
    const warnings: string[] = [];
    const items: TimelineItem[] = [];
    try {
      for await (const b of jsonLogItemsParallel(REF, fh, plan, logTemplates(REF, ctx, fmt), ctx, fmt, { record() {}, warn: (w) => warnings.push(`${w.kind}@${w.offset}`) }, 2)) items.push(...b);
    } finally {
      await fh.close();
    }
    const want = await jsonPath(bytes, ctx, zone);
    t.true(Buffer.from(write(sink, items) + sink.end()).equals(Buffer.from(want.text)));
    t.deepEqual(warnings, want.warnings);
  }), { numRuns: 25 });
  t.true(checked > 5, `logs that passed the pre-check: ${checked}`);
});

test.serial('when the worker threads fail, the log is read on this thread: the same bytes, and one notice saying so', async (t) => {
  const ctx = context('/web');
  const lines: string[] = [];
  for (let i = 0; i < 400; i++) lines.push(JSON.stringify({ log: `line ${i}, "q"\n`, stream: i % 3 ? 'stdout' : 'stderr', time: `2026-11-29T05:46:${String(10 + (i >> 4)).padStart(2, '0')}.${String(i).padStart(9, '0')}Z` }));
  const bytes = Buffer.from(lines.join('\n') + '\n');
  const plan: number[] = [];
  let at = 0;
  lines.forEach((l, i) => { if (i % 50 === 0) plan.push(at); at += Buffer.byteLength(l) + 1; });
  plan.push(bytes.length);
  const dir = mkdtempSync(path.join(tmpdir(), 'dt-raw-'));
  writeFileSync(path.join(dir, 'log'), bytes);
  const fh = await open(path.join(dir, 'log'), 'r');
  const sink = new L2tCsvSink('UTC', 'host');
  const fmt = sink.rawLogs();
  const notices: { kind: string; level?: string; offset: number; message: string }[] = [];
  const items: TimelineItem[] = [];
  const request = LogWorkerPool.prototype.request;
  LogWorkerPool.prototype.request = () => Promise.reject(new Error('worker gone'));
  try {
    for await (const b of jsonLogItemsParallel(REF, fh, plan, logTemplates(REF, ctx, fmt), ctx, fmt, { record() {}, warn: (w) => notices.push(w) }, 2)) items.push(...b);
  } finally {
    LogWorkerPool.prototype.request = request;
    await fh.close();
  }
  t.true(Buffer.from(write(sink, items) + sink.end()).equals(Buffer.from((await jsonPath(bytes, ctx, 'UTC')).text)));
  t.is(notices.length, 1);
  t.like(notices[0], { kind: 'worker-failed', level: 'notice', offset: 0 });
  t.regex(notices[0]!.message, /worker gone.*main thread/);
});

test('fast path: surrogate halves that meet once CR and LF are dropped make one character, as in the JSON path', async (t) => {
  const ctx = context('/web');
  const first = JSON.stringify({ log: 'first\n', stream: 'stderr', time: '2026-11-29T05:46:55Z' }) + '\n';
  for (const esc of ['\\ud800\\r\\udfff', '\\ud83d\\n\\r\\u000a\\ude00', '\\ud83d\\u000d\\ude00', '\\ud800\\t\\udfff', '\\ud800,\\udc00', '\\ud800\\r', '\\udfff\\ud800']) {
    const bytes = Buffer.from(first + `{"log":"a${esc}b\\n","stream":"stderr","time":"2026-11-29T05:46:55.1Z"}\n`);
    const got = await fastPath(bytes, ctx, 'UTC');
    t.is(got.raw, 1, esc);
    t.true(Buffer.from(got.text).equals(Buffer.from((await jsonPath(bytes, ctx, 'UTC')).text)), esc);
  }
});

test('fast path: the short message is cut at 77 code points past 80, counting astral characters once', async (t) => {
  const ctx = context('/web');
  for (const body of ['a'.repeat(66), 'a'.repeat(67), 'a'.repeat(68), '😀'.repeat(70), 'é'.repeat(100), 'a,'.repeat(60), 'x'.repeat(65) + '😀😀😀😀']) {
    // the first line of a stream takes the JSON path (its event makes the template)
    const first = JSON.stringify({ log: 'first\n', stream: 'stdout', time: '2026-11-29T05:46:55Z' }) + '\n';
    const bytes = Buffer.from(first + JSON.stringify({ log: body + '\n', stream: 'stdout', time: '2026-11-29T05:46:55.1Z' }) + '\n');
    const got = await fastPath(bytes, ctx, 'UTC');
    t.is(got.raw, 1);
    t.is(got.text, (await jsonPath(bytes, ctx, 'UTC')).text);
  }
  // characters beyond ASCII written as escapes, as dockerd writes invalid bytes (\ufffd) and U+2028: counted as characters, not bytes
  for (const escaped of ['binary: ' + '\\ufffd'.repeat(30) + ' end', 'x'.repeat(60) + '\\u2028'.repeat(30), '\\u00e9'.repeat(90)]) {
    const first = JSON.stringify({ log: 'first\n', stream: 'stdout', time: '2026-11-29T05:46:55Z' }) + '\n';
    const bytes = Buffer.from(first + `{"log":"${escaped}\\n","stream":"stdout","time":"2026-11-29T05:46:55.1Z"}\n`);
    const got = await fastPath(bytes, ctx, 'UTC');
    t.is(got.raw, 1, escaped);
    t.is(got.text, (await jsonPath(bytes, ctx, 'UTC')).text, escaped);
  }
});
