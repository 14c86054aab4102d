import test from 'ava';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { ROOT, extract } from '../helpers/run.ts';
import { ID, configV2, makeTree } from '../helpers/dataroot.ts';

/** Every source file of src/, with its text. */
function sources(dir = path.join(ROOT, 'src')): [string, string][] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : n.endsWith('.ts') ? [[path.relative(ROOT, p), readFileSync(p, 'utf8')] as [string, string]] : [];
  });
}

test('nothing from the evidence can run: no shell, no eval, no dynamic import or require; the one child process is getfattr with argv', (t) => {
  const all = sources();
  t.true(all.length > 50);
  const hits = (re: RegExp) => all.filter(([, text]) => re.test(text)).map(([f]) => f);
  t.deepEqual(hits(/\beval\s*\(|new Function\s*\(|\brequire\s*\(/), []);
  t.deepEqual(hits(/\bimport\s*\(\s*[^'")]/), [], 'no import() of a computed name');
  const run = /(^|[^.\w])(exec|execSync|spawn|spawnSync|execFile|execFileSync|fork)\s*\(|shell\s*:/m;
  t.deepEqual(hits(run).filter((f) => f !== 'src/evidence/xattrs.ts'), [], 'no shell or other child process (RegExp .exec is fine)');
  t.deepEqual(hits(/node:child_process/), ['src/evidence/xattrs.ts']);
  const xattrs = all.find(([f]) => f === 'src/evidence/xattrs.ts')![1];
  t.is([...xattrs.matchAll(new RegExp(run.source, 'gm'))].length, 1, 'one child process, no shell option');
  // every argument a constant, ending with -- and `.`: the folder is given as a descriptor (fd 3, the
  // working directory), so no text of the evidence is ever in the command line
  t.regex(xattrs, /spawn\('getfattr', \[(?:'[^'\n]*', )+'--', '\.'\], \{\s*cwd: '\/proc\/self\/fd\/3',/, 'argv of constants ending with -- and .: no option injection, no shell');
});

test('a regular expression is never built from evidence: every RegExp constructor takes a constant pattern', (t) => {
  const built = sources().flatMap(([f, text]) => [...text.matchAll(/new RegExp\(([^,)]+)/g)].map((m) => `${f}: ${m[1]}`));
  // the only ones: layer-layout's patterns from its constant ID fragment, and tests' own
  t.true(built.every((b) => b.startsWith('src/extractors/layer-layout.ts: `^')), built.join('\n'));
});

test('a config of 100 MB is not read into memory: a too-large warning, memory bounded, the rest still read', async (t) => {
  const big = Buffer.alloc(100 * 1024 * 1024, 0x20);
  big.write('{"ID":"', 0);
  const root = makeTree({ [`containers/${ID}/config.v2.json`]: big, [`containers/${'b'.repeat(64)}/config.v2.json`]: configV2('b'.repeat(64)) });
  const before = process.memoryUsage().rss;
  const { events, warnings } = await extract([root]);
  const grown = process.memoryUsage().rss - before;
  t.deepEqual(warnings.list.map((w) => [w.kind, w.evidence]), [['too-large', `containers/${ID}/config.v2.json`]]);
  t.true(events.some((e) => e.kind === 'container.created' && e.containerId === 'b'.repeat(64)));
  t.true(grown < 200 * 1024 * 1024, `rss grew ${Math.round(grown / 1048576)} MB`);
});
