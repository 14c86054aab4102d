import { spawn } from 'node:child_process';

/** Undo getfattr's quoting of a name: `\ooo` octal bytes and `\\`; other bytes (UTF-8 or not) are as they were. */
export function unescapeGetfattr(raw: Buffer): Buffer {
  if (!raw.includes(0x5c)) return raw;
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === 0x5c && i + 3 < raw.length && /^[0-7]{3}$/.test(raw.toString('latin1', i + 1, i + 4))) {
      bytes.push(parseInt(raw.toString('latin1', i + 1, i + 4), 8) & 0xff);
      i += 3;
    } else if (raw[i] === 0x5c && raw[i + 1] === 0x5c) {
      bytes.push(0x5c);
      i += 1;
    } else bytes.push(raw[i]!);
  }
  return Buffer.from(bytes);
}

const FILE = Buffer.from('# file: ');
const OPAQUE = /^(?:trusted|user)\.overlay\.opaque="y"$/;

/** The folders getfattr's output names as opaque, as raw relative paths (`.` → empty). */
export function parseGetfattr(out: Buffer): Buffer[] {
  const dirs: Buffer[] = [];
  let file: Buffer | null = null;
  let at = 0;
  while (at < out.length) {
    let end = out.indexOf(0x0a, at);
    if (end < 0) end = out.length;
    const line = out.subarray(at, end);
    at = end + 1;
    if (line.subarray(0, FILE.length).equals(FILE)) {
      let name = unescapeGetfattr(line.subarray(FILE.length));
      if (name.length === 1 && name[0] === 0x2e) name = Buffer.alloc(0);
      else if (name[0] === 0x2e && name[1] === 0x2f) name = name.subarray(2);
      file = name;
    } else if (file && OPAQUE.test(line.toString('latin1'))) {
      dirs.push(file);
      file = null;
    }
  }
  return dirs;
}

export interface OpaqueScan {
  /** Opaque folders below (and including, as an empty path) the folder, as raw paths relative to it. */
  dirs: Buffer[];
  /** getfattr's complaints (first lines of stderr), e.g. a folder it could not read. */
  errors: string[];
}

let available: boolean | null = null;

/**
 * The folders under an open directory (itself included) marked opaque by overlayfs
 * (`trusted.overlay.opaque=y`, or `user.overlay.opaque` for rootless). Node has no xattr API, so
 * this runs Debian's `getfattr` (package `attr`), without a shell, never following symlinks (`-P
 * -h`). The folder is given by its descriptor, never by its path: the descriptor is the child's fd
 * 3, its working directory `/proc/self/fd/3` (libuv changes directory in the child after it has set
 * up the descriptors), and getfattr reads `.`. So the folder's own path may be of any length; the
 * paths getfattr builds below it stop at PATH_MAX (4096 bytes; it says "File name too long"), which
 * the caller covers by scanning again from a folder deeper down. Null when getfattr is not installed.
 */
export function opaqueDirsAt(dirFd: number): Promise<OpaqueScan | null> {
  if (available === false) return Promise.resolve(null);
  return new Promise((resolve) => {
    const child = spawn('getfattr', ['-R', '-P', '-h', '-d', '-m', '^(trusted|user)\\.overlay\\.opaque$', '-e', 'text', '--', '.'], {
      cwd: '/proc/self/fd/3',
      stdio: ['ignore', 'pipe', 'pipe', dirFd],
      env: { ...process.env, LC_ALL: 'C' },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let errBytes = 0;
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => {
      if (errBytes < 64 * 1024) err.push(b);
      errBytes += b.length;
    });
    let done = false;
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (done) return;
      done = true;
      if (e.code === 'ENOENT') available = false;
      resolve(e.code === 'ENOENT' ? null : { dirs: [], errors: [`getfattr did not run: ${e.message}`] });
    });
    child.on('close', (code: number | null, signal: NodeJS.Signals | null) => {
      if (done) return;
      done = true;
      available = true;
      const errors = Buffer.concat(err).toString('utf8').split('\n').filter(Boolean);
      if (errBytes > 64 * 1024) errors.push(`(getfattr wrote ${errBytes} bytes of complaints; the first 64 KiB are listed)`);
      // killed, or failed without a word: the list it gave may be cut short, and must not pass for whole
      if (signal || (code !== 0 && errors.length === 0)) errors.push(`getfattr ended ${signal ? `by signal ${signal}` : `with exit code ${code}`}; the opaque folders it listed may be incomplete`);
      resolve({ dirs: parseGetfattr(Buffer.concat(out)), errors });
    });
  });
}
