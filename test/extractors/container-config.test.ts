import test from 'ava';
import { extract } from '../helpers/run.ts';
import { ID, ID2, configV2, makeTree } from '../helpers/dataroot.ts';

test('Go zero times make no event; a truncated config is a warning and the other container is still read', async (t) => {
  const root = makeTree({
    [`containers/${ID}/config.v2.json`]: configV2(ID, {}, { StartedAt: '0001-01-01T00:00:00Z', FinishedAt: '0001-01-01T00:00:00Z' }),
    [`containers/${ID2}/config.v2.json`]: configV2(ID2).slice(0, 100),
  });
  const { events, warnings } = await extract([root]);
  t.deepEqual(events.filter((e) => e.containerId === ID && e.kind.startsWith('container.')).map((e) => e.kind), ['container.created']);
  t.is(warnings.list.length, 1);
  t.is(warnings.list[0]!.kind, 'bad-json');
  t.is(warnings.list[0]!.evidence, `containers/${ID2}/config.v2.json`);
  t.is(warnings.list[0]!.artifact, 'container config');
});

test('health probe times written in a local zone are converted to UTC and say so', async (t) => {
  const health = { Status: 'healthy', FailingStreak: 0, Log: [{ Start: '2026-01-02T05:04:05.1+02:00', End: '2026-01-02T05:04:05.2+02:00', ExitCode: 0, Output: 'ok\n' }] };
  const root = makeTree({ [`containers/${ID}/config.v2.json`]: configV2(ID, {}, { Health: health }) });
  const { events } = await extract([root]);
  const probe = events.find((e) => e.kind === 'container.health_probe')!;
  t.is(probe.timeNs, 1767323045100000000n);
  t.is(probe.fields.probe_start_raw, '2026-01-02T05:04:05.1+02:00');
  t.is(probe.fields.probe_end, '2026-01-02T03:04:05.200000000Z');
  t.regex(String(probe.fields.time_zone_note), /local zone \(offset 120 min\)/);
  t.is(probe.timestampDesc, 'Health Check Start Time');
});

test('offsets point at the exact bytes of each time in config.v2.json', async (t) => {
  const text = configV2(ID);
  const root = makeTree({ [`containers/${ID}/config.v2.json`]: text });
  const { events } = await extract([root]);
  for (const [kind, key] of [['container.created', 'Created'], ['container.started', 'StartedAt'], ['container.finished', 'FinishedAt']] as const) {
    const e = events.find((x) => x.kind === kind)!;
    t.true(text.slice(e.offset).startsWith(`"${key}":"`), kind);
  }
});

test('JSON that is not a container config is a warning and makes no event', async (t) => {
  const root = makeTree({ [`containers/${ID}/config.v2.json`]: '[1,2,3]' });
  const { events, warnings } = await extract([root]);
  t.false(events.some((e) => e.kind.startsWith('container.')));
  t.is(warnings.list[0]!.kind, 'not-config');
});

test('the pre-1.10 config.json is read when no config.v2.json exists, and ignored when one does', async (t) => {
  const legacy = makeTree({ [`containers/${ID}/config.json`]: configV2(ID, { Name: '/old' }) });
  const a = await extract([legacy]);
  t.is(a.events.filter((e) => e.kind === 'container.created').length, 1);
  t.is(a.events.find((e) => e.kind === 'container.created')!.fields.config_format, 'config.json (pre-1.10)');
  const both = makeTree({ [`containers/${ID}/config.json`]: configV2(ID, { Name: '/old' }), [`containers/${ID}/config.v2.json`]: configV2(ID, { Name: '/new' }) });
  const b = await extract([both]);
  t.deepEqual(b.events.filter((e) => e.kind === 'container.created').map((e) => e.containerName), ['new']);
});
