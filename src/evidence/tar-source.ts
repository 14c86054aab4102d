import { createReadStream, constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { Readable, Transform } from 'node:stream';
import tar from 'tar-stream';
import type { EntryType, EvidenceEntry, EvidenceSource, WalkVisitor } from './entry.js';
import { normaliseMemberName } from './entry.js';
import type { Warnings } from '../warnings.js';
import { NS_PER_SECOND, secondsFractionToNs } from '../time/nanotime.js';

const TYPES: Record<string, EntryType> = {
  file: 'file', 'contiguous-file': 'file', directory: 'dir', symlink: 'symlink', link: 'hardlink',
  'character-device': 'char', 'block-device': 'block', fifo: 'fifo',
};

/** Counts bytes that pass, so a corrupt archive can be reported with an offset. */
class Counter extends Transform {
  bytes = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.bytes += chunk.length;
    this.push(chunk);
    cb();
  }
}

async function isGzip(file: string): Promise<boolean> {
  const fh = await open(file, constants.O_RDONLY);
  try {
    const buf = Buffer.alloc(2);
    await fh.read(buf, 0, 2, 0);
    return buf[0] === 0x1f && buf[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

function paxTime(pax: Record<string, string> | undefined, key: string): bigint | undefined {
  const v = pax?.[key];
  if (v === undefined) return undefined;
  return secondsFractionToNs(v) ?? undefined;
}

/**
 * A `.tar`, `.tar.gz` or `.tgz` read in place, one pass per walk, never unpacked.
 * Times come from pax `mtime`/`atime`/`ctime` records (nanoseconds) where present, else the ustar mtime.
 * Member names are data: `../` and absolute names are normalised to evidence-relative paths and
 * never resolved on the host; hardlinks and symlinks are recorded, not followed.
 */
export class TarSource implements EvidenceSource {
  readonly kind = 'TAR' as const;
  constructor(readonly label: string, readonly file: string, private readonly warnings: Warnings) {}

  async walk(visitor: WalkVisitor): Promise<void> {
    const gz = await isGzip(this.file);
    const raw = createReadStream(this.file, { highWaterMark: 1 << 20 });
    const counter = new Counter();
    const extract = tar.extract();
    let input: Readable = raw;
    if (gz) {
      const gunzip = createGunzip();
      gunzip.on('error', (e) => extract.destroy(e));
      input = raw.pipe(gunzip);
    }
    input.pipe(counter).pipe(extract);
    raw.on('error', (e) => extract.destroy(e));
    try {
      for await (const member of extract) {
        const h = member.header;
        const type = TYPES[h.type ?? 'file'] ?? 'other';
        const pax = h.pax as Record<string, string> | undefined;
        const entry: EvidenceEntry = {
          path: normaliseMemberName(h.name),
          type,
          size: BigInt(h.size ?? 0),
          mode: h.mode ?? 0,
          uid: h.uid ?? null,
          gid: h.gid ?? null,
          inode: null,
          mtime: paxTime(pax, 'mtime') ?? (h.mtime ? BigInt(Math.floor(h.mtime.getTime() / 1000)) * NS_PER_SECOND : undefined),
          atime: paxTime(pax, 'atime'),
          ctime: paxTime(pax, 'ctime'),
        };
        if (h.linkname) entry.linkTarget = h.linkname;
        if (type === 'char' || type === 'block') entry.rdev = { major: h.devmajor ?? 0, minor: h.devminor ?? 0 };
        if (pax) {
          for (const k of Object.keys(pax)) {
            if (k.startsWith('SCHILY.xattr.')) (entry.xattrs ??= {})[k.slice(13)] = pax[k]!;
          }
        }
        const want = visitor.want(entry);
        if (want === 'content' && type === 'file') {
          // tar-stream entries are streamx streams; extractors get a Node Readable over them.
          await visitor.visit(entry, Readable.from(member as AsyncIterable<Buffer>, { objectMode: false }));
        } else if (want !== 'skip') {
          await visitor.visit(entry, null);
        }
        member.resume(); // drain what was not read; the iterator then moves to the next member
      }
    } catch (e) {
      this.warnings.add({
        kind: 'bad-archive', artifact: 'tar archive', evidence: '', offset: counter.bytes,
        message: `archive unreadable past this point (${gz ? 'decompressed ' : ''}offset ${counter.bytes}): ${(e as Error).message}; entries before it were read`,
      });
    } finally {
      raw.destroy();
    }
  }
}
