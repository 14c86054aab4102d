import test from 'ava';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { read } from './helpers.ts';

const made: string[] = [];
test.after.always(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

test('a numeric bodyfile time too large to be read drops its event with a warning, not silently', async (t) => {
  const d = mkdtempSync(path.join(tmpdir(), 'dt-merge-bodytimes-'));
  made.push(d);
  const f = path.join(d, 'host.body');
  // ctime has 21 digits of seconds: a number, but beyond what the tool reads (secondsFractionToNs)
  writeFileSync(f, '0|/etc/passwd|2|r/rrw-r--r--|0|0|10|0|1700000000|123456789012345678901|0\n');
  const { events, warnings } = await read(f, { format: 'bodyfile' });
  t.deepEqual(events.map((e) => e.fields.bodyfile_column), ['mtime']);
  t.true(warnings.list.some((w) => /ctime/.test(w.message)), JSON.stringify(warnings.list));
});
