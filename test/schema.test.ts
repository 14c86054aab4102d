import test from 'ava';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { extract, INCIDENT, ROOT, FIXTURES } from './helpers/run.ts';
import { jsonlObject } from '../src/sinks/jsonl.ts';
import { makeDevicemapperRoot } from './helpers/devicemapper.ts';

const schema = JSON.parse(readFileSync(path.join(ROOT, 'schemas/event.schema.json'), 'utf8'));
const validate = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true }).compile(schema);

for (const fixture of [path.join(INCIDENT, 'dataroot.tar.gz'), path.join(INCIDENT, 'dataroot-live.tar.gz'), path.join(FIXTURES, 'docker-explorer/overlay2.v2.tgz')]) {
  test(`every jsonl event of ${path.basename(fixture)} validates against schemas/event.schema.json`, async (t) => {
    const { events } = await extract([fixture]);
    t.true(events.length > 50);
    const bad = events.map((e) => JSON.parse(JSON.stringify(jsonlObject(e)))).filter((o) => !validate(o)).slice(0, 3);
    t.deepEqual(bad, [], JSON.stringify(validate.errors));
  });
}

test('every jsonl event of a devicemapper data root built as deviceset.go writes it (hostile values too) validates', async (t) => {
  const { root } = makeDevicemapperRoot({
    loop: 'none',
    extra: {
      'devicemapper/metadata/huge': '{"device_id":16777216,"size":18446744073709551615,"transaction_id":99999999999999999999,"initialized":false,"deleted":false}',
      'devicemapper/metadata/cut': '{"device_id":1,"si',
    },
  });
  try {
    const { events } = await extract([root]);
    const dm = events.filter((e) => e.kind.startsWith('devicemapper.'));
    t.is(dm.length, 9);
    const bad = dm.map((e) => JSON.parse(JSON.stringify(jsonlObject(e)))).filter((o) => !validate(o)).slice(0, 3);
    t.deepEqual(bad, [], JSON.stringify(validate.errors));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the schema rejects an event whose time lacks nanoseconds', (t) => {
  t.false(validate({ time: '2026-11-29T05:46:55.123Z', timestamp_desc: 'x', kind: 'container.log', message: '', source: 'DOCKER', sourcetype: 'x', data_type: 'x', parser: 'docker_timeline/x', evidence_source: '/e', evidence: 'a', offset: 0 }));
});
