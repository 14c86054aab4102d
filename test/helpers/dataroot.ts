import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

export const ID = 'a'.repeat(64);
export const ID2 = 'b'.repeat(64);

/** A minimal config.v2.json as Docker writes it. */
export function configV2(id: string, over: Record<string, unknown> = {}, state: Record<string, unknown> = {}): string {
  return JSON.stringify({
    StreamConfig: {},
    State: { Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 0, ExitCode: 0, Error: '', StartedAt: '2026-01-02T03:04:05.5Z', FinishedAt: '2026-01-02T03:05:00Z', ...state },
    ID: id, Created: '2026-01-02T03:04:05.123456789Z', Path: 'sh', Args: ['-c', 'true'],
    Config: { Hostname: id.slice(0, 12), Image: 'busybox', Cmd: ['sh'] }, Image: 'sha256:' + 'c'.repeat(64),
    LogPath: `/var/lib/docker/containers/${id}/${id}-json.log`, Name: '/test', Driver: 'overlay2', ...over,
  });
}

export function logLine(text: string, time: string, stream = 'stdout'): string {
  return JSON.stringify({ log: text, stream, time }) + '\n';
}

/** Write a tree of files (string or Buffer contents; `{ symlink: target }` for links) into a fresh temp folder. */
export function makeTree(files: Record<string, string | Buffer | { symlink: string }>, base?: string): string {
  const root = base ?? mkdtempSync(path.join(tmpdir(), 'dt-tree-'));
  for (const [rel, content] of Object.entries(files)) {
    const abs = path.join(root, rel);
    mkdirSync(path.dirname(abs), { recursive: true });
    if (typeof content === 'object' && !Buffer.isBuffer(content)) symlinkSync(content.symlink, abs);
    else writeFileSync(abs, content);
  }
  return root;
}

/** A gzip member with Docker's FEXTRA `{"lastTime":...}` (`level` 0: stored, as large as the data). */
export function dockerGzip(data: string | Buffer, lastTime: string, level?: number): Buffer {
  const gz = gzipSync(data, level === undefined ? {} : { level });
  const extra = Buffer.from(JSON.stringify({ lastTime }));
  const head = Buffer.from(gz.subarray(0, 10));
  head[3] = head[3]! | 4;
  const xlen = Buffer.alloc(2);
  xlen.writeUInt16LE(extra.length);
  return Buffer.concat([head, xlen, extra, gz.subarray(10)]);
}
