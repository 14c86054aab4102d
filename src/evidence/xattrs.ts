import { execFile } from 'node:child_process';

/** Undo getfattr's escaping of names: `\ooo` octal bytes and `\\`. */
export function unescapeGetfattr(s: string): string {
  const bytes: number[] = [];
  const raw = Buffer.from(s, 'utf8');
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === 0x5c && i + 3 < raw.length + 0 && /^[0-7]{3}$/.test(raw.toString('latin1', i + 1, i + 4))) {
      bytes.push(parseInt(raw.toString('latin1', i + 1, i + 4), 8));
      i += 3;
    } else if (raw[i] === 0x5c && raw[i + 1] === 0x5c) {
      bytes.push(0x5c);
      i += 1;
    } else bytes.push(raw[i]!);
  }
  return Buffer.from(bytes).toString('utf8');
}

let available: boolean | null = null;

/**
 * The directories under `absDir` (itself included) marked opaque by overlayfs
 * (`trusted.overlay.opaque=y`, or `user.overlay.opaque` for rootless), as absolute paths. Node has no
 * xattr API, so this asks Sleuth-free Debian `getfattr` (package `attr`), without a shell, never
 * following symlinks. Returns null when getfattr is not installed.
 */
export function opaqueDirs(absDir: string): Promise<Set<string> | null> {
  if (available === false) return Promise.resolve(null);
  return new Promise((resolve) => {
    execFile('getfattr', ['-R', '-P', '-h', '--absolute-names', '-d', '-m', '^(trusted|user)\\.overlay\\.opaque$', '-e', 'text', '--', absDir],
      { maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' }, (err, stdout) => {
        if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') {
          available = false;
          resolve(null);
          return;
        }
        available = true;
        const out = new Set<string>();
        let file: string | null = null;
        for (const line of (stdout ?? '').split('\n')) {
          if (line.startsWith('# file: ')) file = unescapeGetfattr(line.slice(8));
          else if (file && /^(trusted|user)\.overlay\.opaque="y"$/.test(line)) out.add(file);
        }
        resolve(out);
      });
  });
}
