import type { Extractor } from './extractor.js';
import type { Context } from './context.js';
import type { FieldValue } from '../events/event.js';
import { readBounded } from './read-bounded.js';
import { SqliteError, SqliteReader, type SqliteTable } from '../formats/sqlite.js';

/** One row of `edge`: `entity` is reachable as `name` below `parent` (`0` is the root `/`). */
export interface LinkgraphEdge {
  entity: string;
  parent: string | null;
  name: string;
  /** Byte offset of the row's cell in linkgraph.db. */
  offset: number;
}

export interface LinkgraphRecord {
  edges: LinkgraphEdge[];
  evidence: string;
}

/** What linkgraph.db says about one container. */
export interface LinkgraphInfo {
  /** Names (edges from the root), without the leading `/` (as `container_name`). */
  names: string[];
  /** Links this container holds, as Docker writes them in HostConfig.Links: `/db:/web/db`. */
  links: string[];
  /** Where this container is linked into others: `/web/db`. */
  linkedAs: string[];
  evidence: string;
  /** Offset of the container's name row (else of its first row). */
  offset: number;
}

/**
 * `linkgraph.db` of a pre-1.10 data root (SQLite; Docker's graphdb): `edge(entity_id, parent_id, name)`.
 * A container's name is its edge from the root entity `0` (`/angry_rosalind` is stored as parent `0`,
 * name `angry_rosalind`); a link `--link db:db` of container web is an edge entity = db, parent = web,
 * name = the alias (full name `/web/db`). It holds no times: no events of its own; the names and links
 * ride on the container's events (context fields).
 */
export const linkgraph: Extractor<LinkgraphRecord> = {
  name: 'linkgraph',
  artifact: 'linkgraph.db (pre-1.10 names and links)',
  phase: 'context',
  needs: 'content',
  match(rel, entry) {
    return entry.type === 'file' && rel === 'linkgraph.db';
  },
  async extract(ref, input, out) {
    if (!input) return;
    const raw = await readBounded(input);
    if (!raw) {
      out.warn({ kind: 'too-large', offset: 0, message: 'linkgraph.db larger than the 64 MiB read limit; not read' });
      return;
    }
    const edges: LinkgraphEdge[] = [];
    try {
      const db = new SqliteReader(raw);
      if (db.header.pageCount > db.header.pagesInFile) {
        out.warn({ kind: 'truncated', offset: raw.length, message: `linkgraph.db holds ${db.header.pagesInFile} of the ${db.header.pageCount} pages its header counts` });
      }
      const t = db.table('edge');
      const col = (c: string): number => t?.columns.indexOf(c) ?? -1;
      if (!t || col('entity_id') < 0 || col('parent_id') < 0 || col('name') < 0) {
        out.warn({ kind: 'not-linkgraph', offset: 0, message: 'no edge(entity_id, parent_id, name) table: not Docker\'s linkgraph.db' });
      } else {
        readEdges(t, [col('entity_id'), col('parent_id'), col('name')], edges);
      }
    } catch (e) {
      if (!(e instanceof SqliteError)) throw e;
      out.warn({ kind: 'bad-sqlite', offset: e.offset, message: `${e.message}; ${edges.length} edge row(s) read before it` });
    }
    out.record({ edges, evidence: ref.entry.path });
  },
  remember(r, ctx) {
    for (const [id, info] of linkgraphInfo(r)) ctx.linkgraph.set(id, info);
  },
  toEvents() {
    return [];
  },
  /** No events (linkgraph.db holds no times): a name the config contradicts, or a container with no config, is a warning. */
  finish(ctx, warn) {
    for (const [id, g] of ctx.linkgraph) {
      const c = ctx.containers.get(id);
      if (!c) {
        if (g.names.length) {
          warn({ kind: 'linkgraph-orphan', evidence: g.evidence, offset: g.offset, message: `linkgraph.db names container ${id} /${g.names.join(', /')}, but this data root has no config for it (removed container, or a stale linkgraph.db)` });
        }
      } else if (c.name && g.names.length && !g.names.includes(c.name)) {
        warn({ kind: 'name-mismatch', evidence: g.evidence, offset: g.offset, message: `container ${id}: its ${c.legacy ? 'config.json' : 'config.v2.json'} names it /${c.name}, linkgraph.db /${g.names.join(', /')}; both kept (container_name from the config, linkgraph_name from linkgraph.db)` });
      }
    }
    return [];
  },
};

function readEdges(t: SqliteTable, [e, p, n]: number[], edges: LinkgraphEdge[]): void {
  for (const r of t.rows()) {
    const entity = r.values[e!];
    const parent = r.values[p!];
    const name = r.values[n!];
    if (typeof entity !== 'string' || typeof name !== 'string') continue;
    edges.push({ entity, parent: typeof parent === 'string' ? parent : null, name, offset: r.offset });
  }
}

/** Per container id: its names, the links it holds and where it is linked. */
export function linkgraphInfo(r: LinkgraphRecord): Map<string, LinkgraphInfo> {
  const out = new Map<string, LinkgraphInfo>();
  const info = (id: string, offset: number): LinkgraphInfo => {
    let g = out.get(id);
    if (!g) out.set(id, (g = { names: [], links: [], linkedAs: [], evidence: r.evidence, offset }));
    return g;
  };
  for (const e of r.edges) {
    if (e.parent === '0' && e.entity !== '0') {
      const g = info(e.entity, e.offset);
      g.names.push(e.name);
      if (g.names.length === 1) g.offset = e.offset;
    }
  }
  const path = (id: string): string => {
    const g = out.get(id);
    return g?.names.length ? `/${g.names[0]}` : `/${id.slice(0, 12)}`;
  };
  for (const e of r.edges) {
    if (e.parent === null || e.parent === '0' || e.entity === '0') continue;
    const full = `${path(e.parent)}/${e.name}`;
    info(e.parent, e.offset).links.push(`${path(e.entity)}:${full}`);
    info(e.entity, e.offset).linkedAs.push(full);
  }
  return out;
}

/** Fields of a container's lifecycle events from linkgraph.db (none when it is not there). */
export function linkgraphFields(ctx: Context, id: string): Record<string, FieldValue> {
  const g = ctx.linkgraph.get(id);
  if (!g) return {};
  const c = ctx.containers.get(id);
  const f: Record<string, FieldValue> = {};
  if (g.names.length) {
    f.linkgraph_name = g.names.join(', ');
    const config = c?.legacy ? 'config.json' : 'config.v2.json';
    f.name_source = !c?.name ? 'linkgraph.db'
      : g.names.includes(c.name) ? `${config}, same in linkgraph.db` : `${config}; linkgraph.db says ${g.names.map((x) => `/${x}`).join(', ')} (MISMATCH)`;
  }
  if (g.links.length) f.links = g.links.join(', ');
  if (g.linkedAs.length) f.linked_as = g.linkedAs.join(', ');
  return f;
}

/** Text for a lifecycle message: links, and a name linkgraph.db contradicts. */
export function linkgraphNote(ctx: Context, id: string): string {
  const g = ctx.linkgraph.get(id);
  if (!g) return '';
  const c = ctx.containers.get(id);
  const parts: string[] = [];
  if (g.links.length) parts.push(`links ${g.links.join(', ')}`);
  if (g.linkedAs.length) parts.push(`linked as ${g.linkedAs.join(', ')}`);
  if (c?.name && g.names.length && !g.names.includes(c.name)) parts.push(`NAME MISMATCH: linkgraph.db names it /${g.names.join(', /')}`);
  return parts.length ? `; ${parts.join('; ')}` : '';
}

/** A `-wal` or `-journal` beside linkgraph.db: it is not applied (names or links changed after the last checkpoint may be missing). */
export const linkgraphJournal: Extractor<never> = {
  name: 'linkgraph_journal',
  artifact: 'linkgraph.db (pre-1.10 names and links)',
  phase: 'content',
  needs: 'meta',
  match(rel, entry) {
    return entry.type === 'file' && (rel === 'linkgraph.db-wal' || rel === 'linkgraph.db-journal');
  },
  async extract(ref, _input, out) {
    const wal = ref.rel.endsWith('-wal');
    const what = wal
      ? 'its write-ahead log was not applied: names or links set after the last checkpoint may be missing from what linkgraph.db gave'
      : 'its rollback journal was not applied: linkgraph.db was read as it is, even if a transaction was left unfinished';
    out.warn({ kind: 'not-applied', offset: 0, level: 'notice', message: `${ref.rel} (${ref.entry.size} bytes) beside linkgraph.db: ${what}` });
  },
  toEvents() {
    return [];
  },
};
