import test from 'ava';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { extract, FIXTURES } from './helpers/run.ts';
import { checker, checkImageHistory, checkLayerMembers, chains, jsonLines, readJson, removeArchiveCopies, tempArchive, tempUnpacked } from './helpers/real-archives.ts';

/**
 * Real third-party OCI image layouts (fixtures/oci-skopeo, see its README.md): Debian's skopeo 1.9.3
 * copied the lab's 20.10 `docker save` into an OCI layout with gzip layers (webapp:1.0 as ref `1.0`,
 * webapp:backdoored as `backdoored`; as a directory and as a tar) and into an oci-archive with zstd
 * layers (webapp:backdoored). skopeo rewrites the image config as an OCI config (no docker_version,
 * container, container_config), so the image ids are new: sha256 of the config skopeo wrote. Compared
 * with skopeo's own inspect/manifest/config, the engine's docker history of the images (the lab's
 * docker-save truth) and each layer blob's members (decompressed, Python's tarfile).
 */
const DIR = path.join(FIXTURES, 'oci-skopeo');
const TRUTH = path.join(DIR, 'truth');
const ENGINE = path.join(FIXTURES, 'docker-save/truth');
const EVIDENCE = [
  { label: 'layout directory, gzip layers', file: 'layout-gzip.tar', name: 'layout-gzip', unpacked: true, refs: ['1.0', 'backdoored'], compression: 'gzip' },
  { label: 'layout tar, gzip layers', file: 'layout-gzip.tar', name: 'layout-gzip', unpacked: false, refs: ['1.0', 'backdoored'], compression: 'gzip' },
  { label: 'oci-archive, zstd layers', file: 'backdoored-zstd.tar', name: 'backdoored-zstd', unpacked: false, refs: ['backdoored'], compression: 'zstd' },
];

test.after.always(removeArchiveCopies);

for (const ev of EVIDENCE) {
  test(`OCI image layout by skopeo (real, ${ev.label}): image ids, tags, Created, history and every member of every layer blob equal skopeo's and the engine's truth`, async (t) => {
    const { events, warnings } = await extract([ev.unpacked ? tempUnpacked(DIR, ev.file) : tempArchive(DIR, ev.file)]);
    t.deepEqual(warnings.list, []);
    const v = checker(t);
    const images = ev.refs.map((ref) => {
      const base = path.join(TRUTH, `${ev.name}@${ref}`);
      const configBytes = readFileSync(`${base}.config.json`);
      const manifest = readJson(`${base}.manifest.json`);
      const id = `sha256:${createHash('sha256').update(configBytes).digest('hex')}`;
      v.eq(manifest.config.digest, id, `${ref}: the manifest's config is the config skopeo shows`);
      v.eq(manifest.layers.map((l: any) => l.mediaType.split('+')[1]), manifest.layers.map(() => ev.compression), `${ref}: ${ev.compression} layers`);
      const config = JSON.parse(configBytes.toString('utf8'));
      return { ref, id, manifest, config, inspect: readJson(`${base}.inspect.json`), engine: readJson(path.join(ENGINE, `webapp-${ref}.inspect.json`)), chains: chains(config.rootfs.diff_ids) };
    });
    v.eq(events.filter((e) => e.kind === 'image.created').map((e) => e.imageId).sort(), images.map((i) => i.id).sort(), 'image ids');
    for (const im of images) {
      // skopeo inspect's Created and the engine's docker inspect Created are the same instant
      v.eq([im.inspect.Created, im.config.created], [im.engine.Created, im.engine.Created], `${im.ref}: Created kept by skopeo`);
      checkImageHistory(v, events, im.id, {
        created: im.inspect.Created, tags: [im.ref], diffIds: im.engine.RootFS.Layers, dockerVersion: im.inspect.DockerVersion || null,
        history: jsonLines(path.join(ENGINE, `webapp-${im.ref}.history.jsonl`)).reverse(),
      });
      im.manifest.layers.forEach((l: any, n: number) => {
        const hex = l.digest.slice('sha256:'.length);
        if (images.findIndex((o) => o.manifest.layers.some((x: any) => x.digest === l.digest)) !== images.indexOf(im)) return; // read once
        checkLayerMembers(v, events, hex, path.join(TRUTH, 'layers', `${hex}.tsv`), { chainId: im.chains[n]!, images: images.filter((o) => o.chains.includes(im.chains[n]!)).map((o) => o.ref) });
      });
    }
    const motd = events.find((e) => e.kind === 'layer.file.mtime' && e.fields.whiteout_target === '/etc/motd')!;
    v.eq([motd.evidence, motd.fields.images], [`blobs/sha256/${images.find((i) => i.ref === 'backdoored')!.manifest.layers.at(-1).digest.slice(7)}`, 'backdoored'], 'the commit layer holds the /etc/motd whiteout');
    t.log(`${v.count} values equal the truth`);
    t.true(v.count > 900, `${v.count}`);
  });
}
