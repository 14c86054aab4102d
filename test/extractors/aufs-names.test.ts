import test from 'ava';
import { ID, configV2, makeTree } from '../helpers/dataroot.ts';
import { extract } from '../helpers/run.ts';
import { aufsName } from '../../src/extractors/layer-layout.ts';

const M = 'f'.repeat(64);

test('aufs names: `.wh.<name>` whites out <name>, `.wh..wh..opq` makes its folder opaque, a name of exactly `.wh.` is an ordinary entry', (t) => {
  t.deepEqual(aufsName('/etc/.wh.hosts'), { kind: 'whiteout', target: '/etc/hosts' });
  t.deepEqual(aufsName('/.wh.etc'), { kind: 'whiteout', target: '/etc' });
  t.deepEqual(aufsName('/var/.wh..wh..opq'), { kind: 'opaque', dir: '/var' });
  t.deepEqual(aufsName('/.wh..wh.plnk/1.2'), { kind: 'meta' });
  // aufs lists `.wh.` as an ordinary entry (a whiteout is a name longer than the prefix): no empty name to delete
  t.is(aufsName('/etc/.wh.'), null);
  t.is(aufsName('/.wh.'), null);
  t.is(aufsName('/.wh./inner'), null);
});

test('a file named `.wh.` in a container\'s aufs layer is a file the container added, not the deletion of its own folder', async (t) => {
  const root = makeTree({
    [`containers/${ID}/config.v2.json`]: configV2(ID, { Driver: 'aufs' }),
    [`image/aufs/layerdb/mounts/${ID}/mount-id`]: M,
    [`image/aufs/layerdb/mounts/${ID}/init-id`]: `${M}-init`,
    [`aufs/diff/${M}-init/etc/hosts`]: '127.0.0.1 localhost\n',
    [`aufs/diff/${M}-init/etc/keep`]: 'kept\n',
    [`aufs/diff/${M}/etc/.wh.`]: '',
    [`aufs/diff/${M}/etc/.wh.hosts`]: '',
  });
  const { events, warnings } = await extract([root]);
  t.deepEqual(warnings.list, []);
  const drift = events.filter((e) => e.kind === 'container.drift').map((e) => `${e.fields.change} ${e.fields.path}`).sort();
  t.deepEqual(drift, ['A /etc/.wh.', 'C /etc', 'D /etc/hosts']);
  const file = events.find((e) => e.kind === 'file.mtime' && e.fields.path === '/etc/.wh.')!;
  t.notRegex(file.message, /aufs whiteout/);
});
