/**
 * Review: a json-file line Docker split in two, escaped because one chunk is not UTF-8, whose split
 * falls inside a literal `\xHH`: the joined text must still read back to the line's exact bytes.
 */
import test from 'ava';
import { ID, configV2, makeTree } from '../helpers/dataroot.ts';
import { extract } from '../helpers/run.ts';
import { unescapeBytes } from '../../src/extractors/bytes-text.ts';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const line = (log: Buffer, time: string): Buffer =>
  Buffer.concat([b('{"log":"'), log, b(`","stream":"stdout","time":"${time}"}\n`)]);

for (const [label, first, second, bytes] of [
  // chunk 1 holds a byte that is not UTF-8 and ends with a backslash; chunk 2 starts with x41
  ['escaped chunk, then a plain one', b('\xff\\\\'), b('x41\\n'), b('\xff\\x41')],
  ['plain chunk, then an escaped one', b('a\\\\'), b('x41\xff\\n'), b('a\\x41\xff')],
  ['both escaped, the split after \\x4', b('\xff\\\\x4'), b('1\xfe\\n'), b('\xff\\x41\xfe')],
] as const) {
  test(`json-file split line (${label}): the joined text reads back to its bytes`, async (t) => {
    const log = Buffer.concat([line(first, '2026-01-02T03:04:05.000000001Z'), line(second, '2026-01-02T03:04:05.000000002Z')]);
    const root = makeTree({ [`containers/${ID}/config.v2.json`]: configV2(ID), [`containers/${ID}/${ID}-json.log`]: log });
    const { events } = await extract([root]);
    const logs = events.filter((e) => e.kind === 'container.log');
    t.is(logs.length, 1);
    t.truthy(logs[0]!.fields.attr_bytes_escaped);
    const text = logs[0]!.message.slice(logs[0]!.message.indexOf(': ') + 2);
    t.deepEqual(unescapeBytes(text).toString('latin1'), bytes.toString('latin1'), text);
  });
}

test('a name starting with a byte order mark keeps it: it does not come out as the name without it', async (t) => {
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const L = 'e'.repeat(26);
  const root = makeTree({ [`containers/${ID}/config.v2.json`]: configV2(ID) });
  const diff = `${root}/overlay2/${L}/diff`;
  mkdirSync(diff, { recursive: true });
  writeFileSync(`${diff}/passwd`, 'x');
  writeFileSync(`${diff}/\ufeffpasswd`, 'x');
  const { events } = await extract([root]);
  const paths = events.filter((e) => e.kind === 'file.mtime' && e.fields.layer === L && e.evidence !== `overlay2/${L}/diff`).map((e) => e.evidence).sort();
  t.deepEqual(paths, [`overlay2/${L}/diff/passwd`, `overlay2/${L}/diff/\ufeffpasswd`]);
});
