import type { FieldValue } from '../../events/event.js';
import { secondsFractionToNs } from '../../time/nanotime.js';
import { chomp, mergedEvent, type Reader } from '../reader.js';
import { epochInZone } from '../times.js';
import { MACB, decodeBodyName, entryMessage, numOrText, splitEntryName } from './file-entry.js';

const TIME = /^-?\d+(?:\.\d+)?$/;
const KIND = 'host.bodyfile';

/** The shape of a bodyfile line: at least 11 `|`-separated fields, the last four numeric times. */
function looksLikeBodyLine(line: string): boolean {
  const f = line.split('|');
  return f.length >= 11 && f.slice(-4).every((t) => TIME.test(t.trim()));
}

/**
 * Sleuth Kit bodyfile 3.x (`fls -m`, `ils -m`, this tool's bodyfile output):
 * `MD5|name|inode|mode|UID|GID|size|atime|mtime|ctime|crtime`. As plaso does, the last nine fields are
 * taken from the right and what is left between MD5 and them is the name, so a `|` that fls did not
 * escape stays in the name. Each non-zero time is one event (mactime's `m`, `a`, `c`, `b`).
 */
export const bodyfileReader: Reader = {
  format: 'bodyfile',
  kind: KIND,
  artifact: 'bodyfile',
  detect(lines) {
    const first = lines.find((l) => !l.startsWith('#'));
    return first !== undefined && looksLikeBodyLine(chomp(first));
  },
  open(ctx) {
    return {
      line(raw, offset) {
        const text = chomp(raw);
        if (text.trim() === '' || text.startsWith('#')) return;
        const f = text.split('|');
        if (f.length < 11) {
          ctx.warn('malformed', offset, `bodyfile line has ${f.length} |-separated fields, 11 needed; skipped`);
          return;
        }
        const [inode, mode, uid, gid, size, ...times] = f.slice(-9) as [string, string, string, string, string, string, string, string, string];
        const md5 = f[0]!.trim();
        const rawName = f.slice(1, -9).join('|');
        // column order in the line: atime, mtime, ctime, crtime
        const byColumn: Record<string, string> = { atime: times[0]!.trim(), mtime: times[1]!.trim(), ctime: times[2]!.trim(), crtime: times[3]!.trim() };
        const bad = Object.entries(byColumn).find(([, v]) => v !== '' && !TIME.test(v));
        if (bad) {
          ctx.warn('malformed', offset, `bodyfile ${bad[0]} ${JSON.stringify(bad[1].slice(0, 40))} is not a number; line skipped`);
          return;
        }
        const name = decodeBodyName(rawName);
        const entry = splitEntryName(name, mode);
        const md5Field = md5 && md5 !== '0' ? md5 : null;
        const message = entryMessage(name, uid, gid, mode, md5Field);
        let any = false;
        for (const t of MACB) {
          const v = byColumn[t.column]!;
          const epoch = v === '' ? 0n : secondsFractionToNs(v);
          if (epoch === null || epoch === 0n) continue;
          any = true;
          const local = epochInZone(epoch, ctx.zone);
          if (!local) {
            ctx.warn('bad-time', offset, `${t.column} ${v} read as ${ctx.zone.name} local time falls in a summer-time gap; no ${t.desc} event`);
            continue;
          }
          const fields: Record<string, FieldValue> = { filename: entry.path };
          if (entry.linkTarget !== undefined) fields.symbolic_link_target = entry.linkTarget;
          if (entry.deleted) fields.deleted = entry.deleted;
          fields.mode = mode;
          if (uid !== '') fields.uid = numOrText(uid);
          if (gid !== '') fields.gid = numOrText(gid);
          if (size !== '') fields.size = size;
          if (md5Field) fields.md5 = md5Field;
          fields.bodyfile_column = t.column;
          fields.time_raw = v;
          if (local.note) fields.time_zone_note = local.note;
          ctx.emit(mergedEvent(ctx, KIND, offset, {
            timeNs: local.ns, timestampDesc: t.desc, message,
            source: 'FILE', sourcetype: 'Bodyfile', dataType: 'fs:bodyfile:entry', parser: 'docker_timeline/merge_bodyfile',
            inode: inode || null, fields,
          }), entry.path.startsWith('[docker:') ? null : entry.path);
        }
        if (!any) ctx.untimed();
      },
      end() {},
    };
  },
};
