import test from 'ava';
import path from 'node:path';
import { extract, FIXTURES, type Extracted } from './helpers/run.ts';
import { checker, checkImageHistory, checkLayerMembers, chains, jsonLines, readJson, removeArchiveCopies, tempArchive, tempUnpacked } from './helpers/real-archives.ts';

/**
 * A real Engine 25+ `docker save` (fixtures/docker-save-oci, see its README.md): Debian trixie's
 * docker.io 26.1.5, run from a chroot, loaded the lab's 20.10 save, imported the lab rootfs, built
 * e26:1.0 with the classic builder and saved webapp:1.0, :latest, :backdoored and e26:1.0. The
 * archive is an OCI image layout (oci-layout, index.json, blobs/sha256/) with manifest.json beside it.
 * Compared with that engine's `docker image inspect`, `docker history --no-trunc --format json`, the
 * save's manifest.json and each layer blob's members (Python's tarfile).
 */
const DIR = path.join(FIXTURES, 'docker-save-oci');
const TRUTH = path.join(DIR, 'truth');
const manifest = readJson(path.join(TRUTH, 'manifest.json')) as { Config: string; RepoTags: string[]; Layers: string[] }[];
const hexOf = (member: string): string => member.slice('blobs/sha256/'.length);
const inspectOf = (hex: string): any => readJson(path.join(TRUTH, 'images', `${hex.slice(0, 12)}.inspect.json`));

test.after.always(removeArchiveCopies);

for (const unpacked of [false, true]) {
  test(`docker save of Engine 26 (real, OCI layout + manifest.json), ${unpacked ? 'unpacked' : 'tar'}: images, tags, Created, every history step and every member of every layer blob equal the engine truth`, async (t) => {
    const { events, warnings }: Extracted = await extract([unpacked ? tempUnpacked(DIR, 'save26.tar') : tempArchive(DIR, 'save26.tar')]);
    t.deepEqual(warnings.list, []);
    const v = checker(t);
    // one image per manifest.json entry (index.json lists the same manifests again: no second copy)
    v.eq(events.filter((e) => e.kind === 'image.created').map((e) => `${e.imageId} ${e.evidence}`).sort(),
      manifest.map((m) => `sha256:${hexOf(m.Config)} ${m.Config}`).sort(), 'images = manifest.json configs');
    const imageChains = manifest.map((m) => ({ tags: m.RepoTags, chains: chains(inspectOf(hexOf(m.Config)).RootFS.Layers) }));
    for (const m of manifest) {
      const i = inspectOf(hexOf(m.Config));
      v.eq(i.Id, `sha256:${hexOf(m.Config)}`, 'the config blob is the image');
      v.eq([...i.RepoTags].sort(), [...m.RepoTags].sort(), `${i.Id} tags: inspect = manifest.json`);
      checkImageHistory(v, events, i.Id, {
        created: i.Created, tags: i.RepoTags, diffIds: i.RootFS.Layers, dockerVersion: i.DockerVersion || null,
        history: jsonLines(path.join(TRUTH, 'images', `${hexOf(m.Config).slice(0, 12)}.history.jsonl`)).reverse(),
      });
      const created = events.find((e) => e.kind === 'image.created' && e.imageId === i.Id)!;
      // docker inspect's Comment is the config's comment, or else the last history step's (a commit's -m)
      const last = events.filter((e) => e.kind === 'image.history' && e.imageId === i.Id).sort((a, b) => Number(b.fields.step) - Number(a.fields.step))[0]!;
      v.eq([created.fields.architecture, created.fields.os, created.fields.config_cmd, created.fields.comment || last.fields.comment || ''], [i.Architecture, i.Os, i.Config.Cmd.join(' '), i.Comment], `${i.Id} fields`);
    }
    // every layer blob (each read once, however many images hold it), against its members
    const layers = [...new Set(manifest.flatMap((m) => m.Layers))];
    for (const member of layers) {
      const owner = manifest.find((m) => m.Layers.includes(member))!;
      const chainId = chains(inspectOf(hexOf(owner.Config)).RootFS.Layers)[owner.Layers.indexOf(member)]!;
      checkLayerMembers(v, events, hexOf(member), path.join(TRUTH, 'layers', `${hexOf(member)}.tsv`), { chainId, images: imageChains.filter((c) => c.chains.includes(chainId)).flatMap((c) => c.tags) });
    }
    v.eq(events.filter((e) => e.kind.startsWith('layer.file.')).every((e) => e.parser === 'docker_timeline/layer_tar'), true, 'layer events from the layer tars');
    // what the engine 26 build did: RUN rm /etc/motd is a whiteout in e26's third layer; the COPY keeps the context's mtime
    const e26 = manifest.find((m) => m.RepoTags.includes('e26:1.0'))!;
    const motd = events.filter((e) => e.fields.whiteout_target === '/etc/motd' && e.kind === 'layer.file.mtime');
    v.eq(motd.map((e) => `${e.evidence} ${e.fields.images}`).sort(), [`${e26.Layers[1]} e26:1.0`, `${manifest.find((m) => m.RepoTags.includes('webapp:backdoored'))!.Layers.at(-1)} webapp:backdoored`].sort(), '/etc/motd whiteouts');
    v.eq(events.find((e) => e.fields.path === '/opt/app/notes.txt')?.timeNs, 1717243200000000000n, 'COPY keeps the mtime (2024-06-01T12:00:00Z)');
    t.log(`${v.count} values equal the engine truth`);
    t.true(v.count > 900, `${v.count}`);
  });
}
