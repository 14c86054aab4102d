import { Readable } from 'node:stream';
import tar from 'tar-stream';
import type { TarHeader } from './tar-header.js';
import { secondsFractionToNs, NS_PER_SECOND } from '../time/nanotime.js';

const TYPEFLAG: Record<string, string> = {
  file: '0', link: '1', symlink: '2', 'character-device': '3', 'block-device': '4', directory: '5', fifo: '6', 'contiguous-file': '7',
};

/**
 * The member headers of a tar stream (an inner layer tar, read in place), contents skipped.
 * `offset` is the member's number in the archive (tar-stream does not tell byte offsets).
 */
export async function* tarMembers(input: AsyncIterable<Buffer>): AsyncGenerator<TarHeader> {
  const extract = tar.extract();
  const source = Readable.from(input, { objectMode: false });
  source.on('error', (e) => extract.destroy(e));
  source.pipe(extract);
  let n = 0;
  for await (const member of extract) {
    const h = member.header;
    const pax = (h.pax ?? {}) as Record<string, string>;
    const time = (k: string): bigint | undefined => (pax[k] !== undefined ? secondsFractionToNs(pax[k]!) ?? undefined : undefined);
    const header: TarHeader = {
      name: h.name, typeflag: TYPEFLAG[h.type ?? 'file'] ?? '0', mode: h.mode ?? 0, uid: h.uid ?? 0, gid: h.gid ?? 0, size: h.size ?? 0,
      mtime: time('mtime') ?? BigInt(Math.floor((h.mtime?.getTime() ?? 0) / 1000)) * NS_PER_SECOND,
      linkname: h.linkname ?? '', uname: h.uname ?? '', gname: h.gname ?? '', devmajor: h.devmajor ?? 0, devminor: h.devminor ?? 0,
      xattrs: {}, offset: n++,
    };
    const atime = time('atime');
    const ctime = time('ctime');
    if (atime !== undefined) header.atime = atime;
    if (ctime !== undefined) header.ctime = ctime;
    for (const k of Object.keys(pax)) if (k.startsWith('SCHILY.xattr.')) header.xattrs[k.slice(13)] = Buffer.from(pax[k]!, 'utf8').toString('base64');
    member.resume();
    yield header;
  }
}
