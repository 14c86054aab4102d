import test from 'ava';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { extract, unpack, FIXTURES } from '../helpers/run.ts';
import { execSql } from '../formats/helpers/sqlite-python.ts';

// google/docker-explorer's real pre-1.10 aufs data root; names from its README and configs
const AUFS = path.join(FIXTURES, 'docker-explorer/aufs.v1.tgz');
const ANGRY = 'de44dd97cfd1c8d1c1aad7f75a435603991a7a39fa4f6b20a69bf4458809209c';
const INSANE = '3b03d0958390ccfb92e9f1ee67de628ab315c532120d4512cb72a1805465fb35';
const KICKASS = 'fbb6711cefc70193cb6cb0b113fc9ed6b9eaddcdd33667adb5cb690a4dca413a';
const NAMES: Record<string, string> = { [ANGRY]: 'angry_rosalind', [INSANE]: 'insane_rosalind', [KICKASS]: 'kickass_mestorf' };
const LIFECYCLE = new Set(['container.created', 'container.started', 'container.finished']);
/** The unpacked data root: container folders and linkgraph.db (a directory evidence). */
const dir = (): string => unpack(AUFS, ['docker/containers', 'docker/linkgraph.db']);

test('aufs.v1.tgz: the three pre-1.10 containers have their names', async (t) => {
  const { events, warnings } = await extract([AUFS]);
  t.deepEqual(warnings.list, []);
  const created = events.filter((e) => e.kind === 'container.created');
  t.deepEqual(Object.fromEntries(created.map((e) => [e.containerId, e.containerName])), NAMES);
  t.false(events.some((e) => e.evidence.endsWith('linkgraph.db')), 'linkgraph.db holds no times: no event of its own');
});

// In an archive the first pass finds artifacts by the marks of a data root (src/evidence/locate.ts ROOT_MARK);
// linkgraph.db is one of them.
test('aufs.v1.tgz (archive): linkgraph.db confirms the names', async (t) => {
  const { events } = await extract([AUFS]);
  const created = events.filter((e) => e.kind === 'container.created');
  t.deepEqual(Object.fromEntries(created.map((e) => [e.containerId, e.fields.linkgraph_name])), NAMES);
});

test('unpacked aufs.v1: linkgraph.db confirms every name on every lifecycle event, no warnings, no event of its own', async (t) => {
  const { events, warnings } = await extract([dir()]);
  t.deepEqual(warnings.list, []);
  t.deepEqual(warnings.notices, []);
  const life = events.filter((e) => LIFECYCLE.has(e.kind));
  t.is(life.length, 6); // three created, two started, one finished
  for (const e of life) {
    t.is(e.containerName, NAMES[e.containerId!]);
    t.is(e.fields.linkgraph_name, NAMES[e.containerId!]);
    t.is(e.fields.name_source, 'config.json, same in linkgraph.db');
    t.is(e.fields.links, undefined);
  }
  t.false(events.some((e) => e.evidence.endsWith('linkgraph.db')));
});

test('linkgraph.db gives a name the config lacks, adds links, keeps a contradicting name visible, and invents no time', async (t) => {
  const base = await extract([dir()]);
  const root = mkdtempSync(path.join(tmpdir(), 'dt-linkgraph-'));
  cpSync(dir(), root, { recursive: true });
  const docker = path.join(root, 'docker');
  const config = (id: string, edit: (c: Record<string, unknown>) => void): void => {
    const f = path.join(docker, 'containers', id, 'config.json');
    const c = JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown>;
    edit(c);
    writeFileSync(f, JSON.stringify(c));
  };
  config(INSANE, (c) => { delete c.Name; });
  config(KICKASS, (c) => { c.Name = '/renamed'; });
  // `docker run --link insane_rosalind:db` on angry_rosalind, and a container whose folder is gone
  const ghost = 'f'.repeat(64);
  await execSql(path.join(docker, 'linkgraph.db'), `INSERT INTO entity VALUES ('${ghost}');
    INSERT INTO edge (entity_id, parent_id, name) VALUES ('${INSANE}', '${ANGRY}', 'db'), ('${ghost}', '0', 'ghost');`);
  writeFileSync(path.join(docker, 'linkgraph.db-wal'), Buffer.alloc(32));

  const { events, warnings } = await extract([root]);
  const life = (id: string): typeof events => events.filter((e) => e.containerId === id && LIFECYCLE.has(e.kind));

  // no name in config.json: the name comes from linkgraph.db, on lifecycle events and on the log's lines
  for (const e of events.filter((x) => x.containerId === INSANE)) t.is(e.containerName, 'insane_rosalind', e.kind);
  t.is(life(INSANE)[0]!.fields.name_source, 'linkgraph.db');
  t.regex(life(INSANE)[0]!.message, /^Container insane_rosalind created/);
  t.is(life(INSANE)[0]!.fields.linked_as, '/angry_rosalind/db');

  // the link, on the events of the container holding it, in Docker's HostConfig.Links form
  for (const e of life(ANGRY)) {
    t.is(e.fields.links, '/insane_rosalind:/angry_rosalind/db');
    t.regex(e.message, /; links \/insane_rosalind:\/angry_rosalind\/db/);
  }

  // a contradicting name: the config's is kept, linkgraph.db's is beside it, and it is a warning at the row
  const k = life(KICKASS)[0]!;
  t.is(k.containerName, 'renamed');
  t.is(k.fields.linkgraph_name, 'kickass_mestorf');
  t.regex(String(k.fields.name_source), /MISMATCH/);
  t.regex(k.message, /NAME MISMATCH: linkgraph\.db names it \/kickass_mestorf/);
  const db = readFileSync(path.join(docker, 'linkgraph.db'));
  const byKind = (kind: string) => warnings.list.filter((w) => w.kind === kind);
  t.is(byKind('name-mismatch').length, 1);
  const mis = byKind('name-mismatch')[0]!;
  t.is(mis.evidence, 'docker/linkgraph.db');
  t.true(db.subarray(mis.offset, mis.offset + 120).includes('kickass_mestorf'), 'the offset is the name row');
  t.is(byKind('linkgraph-orphan').length, 1);
  t.true(byKind('linkgraph-orphan')[0]!.message.startsWith(`linkgraph.db names container ${ghost} /ghost, but this data root has no config for it`));
  t.is(warnings.total, 2);

  // the -wal beside it: a notice that it was not applied
  t.deepEqual(warnings.notices.map((w) => [w.kind, w.evidence]), [['not-applied', 'docker/linkgraph.db-wal']]);
  t.regex(warnings.notices[0]!.message, /write-ahead log was not applied/);

  // linkgraph.db holds no times: the same instants as without the changes (file times aside: the files were rewritten)
  const instants = (es: typeof events): string[] => es.filter((e) => !e.kind.startsWith('file.')).map((e) => `${e.timeNs} ${e.kind} ${e.containerId}`);
  t.deepEqual(instants(events), instants(base.events));
  t.false(events.some((e) => e.evidence.endsWith('linkgraph.db')));
});

test('a damaged linkgraph.db is a warning at its offset; the names from the configs stay', async (t) => {
  const root = mkdtempSync(path.join(tmpdir(), 'dt-linkgraph-bad-'));
  cpSync(dir(), root, { recursive: true });
  const f = path.join(root, 'docker', 'linkgraph.db');
  const b = readFileSync(f);
  // page 4 (table edge, a leaf) made an interior page with no cells whose right-most child is past the file
  b[3 * 1024] = 0x05;
  b.writeUInt16BE(0, 3 * 1024 + 3);
  b.writeUInt32BE(999, 3 * 1024 + 8);
  writeFileSync(f, b);
  const { events, warnings } = await extract([root]);
  t.deepEqual(warnings.list.map((w) => [w.kind, w.evidence, w.offset]), [['bad-sqlite', 'docker/linkgraph.db', 3 * 1024 + 8]]);
  t.regex(warnings.list[0]!.message, /page 999 is out of range/);
  const created = events.filter((e) => e.kind === 'container.created');
  t.deepEqual(Object.fromEntries(created.map((e) => [e.containerId, e.containerName])), NAMES);
});
