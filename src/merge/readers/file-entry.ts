/** What bodyfile and mactime rows share: the four times, and how a Sleuth Kit name is written. */
import { decodeBytes } from '../../extractors/bytes-text.js';

/** The four bodyfile times, in mactime's `macb` order, with plaso's descriptions. */
export const MACB = [
  { letter: 'm', column: 'mtime', desc: 'Content Modification Time' },
  { letter: 'a', column: 'atime', desc: 'Last Access Time' },
  { letter: 'c', column: 'ctime', desc: 'Metadata Modification Time' },
  { letter: 'b', column: 'crtime', desc: 'Creation Time' },
] as const;

const ESCAPE = /%([0-9A-Fa-f]{2})|\\(x[0-9A-Fa-f]{2}|\\|\||n)/g;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f\x7f]/;

/**
 * Decode a bodyfile name: `%XX` as mactime decodes it (this tool's bodyfile writes `%7C` for `|`),
 * and, as plaso's bodyfile parser does when the name holds no raw control character, `\|`, `\\` and
 * `\xNN` (newer fls and dfimagetools), and `\n` as a line feed (this tool's bodyfile writes one so). One pass, so a decoded character is never decoded again;
 * the decoded bytes are made text as every name is (decodeBytes: invalid UTF-8 as `\xNN`, a literal
 * `\xNN` as `\x5cxNN`), so no byte is lost.
 */
export function decodeBodyName(name: string): string {
  if (!name.includes('%') && !name.includes('\\')) return name;
  const backslash = !CONTROL.test(name);
  const parts: Buffer[] = [];
  let last = 0;
  for (const m of name.matchAll(ESCAPE)) {
    if (m[2] !== undefined && !backslash) continue;
    parts.push(Buffer.from(name.slice(last, m.index), 'utf8'));
    if (m[1] !== undefined) parts.push(Buffer.from([parseInt(m[1], 16)]));
    else if (m[2]!.startsWith('x')) parts.push(Buffer.from([parseInt(m[2]!.slice(1), 16)]));
    else if (m[2] === 'n') parts.push(Buffer.from('\n'));
    else parts.push(Buffer.from(m[2]!, 'utf8'));
    last = m.index + m[0].length;
  }
  parts.push(Buffer.from(name.slice(last), 'utf8'));
  return decodeBytes(Buffer.concat(parts)).text;
}

export interface EntryName {
  /** The path alone: no ` -> target`, no ` (deleted)`. */
  path: string;
  linkTarget?: string;
  /** `deleted` or `deleted-realloc` (fls). */
  deleted?: string;
}

/**
 * Split what fls appends to a name: ` (deleted)` / ` (deleted-realloc)` at the end, and for a
 * symbolic link (mode starting with `l`, as plaso checks) the ` -> target`.
 */
export function splitEntryName(name: string, mode: string): EntryName {
  let rest = name;
  const out: EntryName = { path: name };
  const del = / \((deleted(?:-realloc)?)\)$/.exec(rest);
  if (del) {
    out.deleted = del[1];
    rest = rest.slice(0, del.index);
  }
  const arrow = mode.startsWith('l') ? rest.indexOf(' -> ') : -1;
  if (arrow >= 0) {
    out.linkTarget = rest.slice(arrow + 4);
    rest = rest.slice(0, arrow);
  }
  out.path = rest;
  return out;
}

/** plaso's bodyfile message: the name, then owner, group, mode and MD5. */
export function entryMessage(name: string, uid: string, gid: string, mode: string, md5: string | null): string {
  return `${name} Owner identifier: ${uid || '-'} Group identifier: ${gid || '-'} Mode: ${mode || '-'}${md5 ? ` MD5: ${md5}` : ''}`;
}

/** A numeric text as a number field where it is a safe integer, else kept as text. */
export function numOrText(s: string): number | string {
  return /^\d{1,15}$/.test(s) ? Number(s) : s;
}
