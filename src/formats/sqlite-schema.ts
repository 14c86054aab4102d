/**
 * Column names of a `CREATE TABLE` statement (from `sqlite_master.sql`), and what a reader needs to
 * turn a stored record into the row SQLite would return: the rowid alias (`INTEGER PRIMARY KEY`, stored
 * as NULL), REAL affinity (whole REAL values are stored as integers) and VIRTUAL generated columns (not
 * stored at all). A small tokenizer, not an SQL parser: enough for what SQLite itself wrote.
 */
import type { SqlValue } from './sqlite.js';

export type Affinity = 'INTEGER' | 'TEXT' | 'BLOB' | 'REAL' | 'NUMERIC';

export interface ColumnInfo {
  name: string;
  /** Declared type as written (`VARCHAR(20)` keeps its words only: `VARCHAR`). */
  type: string;
  affinity: Affinity;
  /** false for a VIRTUAL generated column (computed on read; not in the record). */
  stored: boolean;
}

export interface TableColumns {
  /** Column names in declaration order; empty when the statement gives none (`CREATE TABLE t AS SELECT`). */
  columns: string[];
  info: ColumnInfo[];
  /** Index of the `INTEGER PRIMARY KEY` column, whose value is the rowid. */
  rowidColumn: number | null;
  withoutRowid: boolean;
}

const CONSTRAINT_WORDS = new Set(['CONSTRAINT', 'PRIMARY', 'NOT', 'NULL', 'UNIQUE', 'CHECK', 'DEFAULT', 'COLLATE', 'REFERENCES', 'GENERATED', 'AS']);
const TABLE_CONSTRAINTS = new Set(['CONSTRAINT', 'PRIMARY', 'UNIQUE', 'CHECK', 'FOREIGN']);

interface Token { text: string; quoted: boolean }

/** Words, quoted names and strings, and single punctuation characters. */
function tokens(sql: string): Token[] {
  const out: Token[] = [];
  const close: Record<string, string> = { '"': '"', '`': '`', '[': ']', "'": "'" };
  for (let i = 0; i < sql.length;) {
    const c = sql[i]!;
    if (/\s/.test(c)) { i++; continue; }
    if (c === '-' && sql[i + 1] === '-') { const nl = sql.indexOf('\n', i); i = nl < 0 ? sql.length : nl; continue; }
    if (c === '/' && sql[i + 1] === '*') { const e = sql.indexOf('*/', i + 2); i = e < 0 ? sql.length : e + 2; continue; }
    const q = close[c];
    if (q) {
      let text = '';
      let j = i + 1;
      for (; j < sql.length; j++) {
        if (sql[j] === q) {
          if (q !== ']' && sql[j + 1] === q) { text += q; j++; continue; }
          break;
        }
        text += sql[j];
      }
      out.push({ text, quoted: true });
      i = j + 1;
      continue;
    }
    const m = /^[A-Za-z0-9_$\u0080-\uffff]+/.exec(sql.slice(i, i + 256));
    if (m) { out.push({ text: m[0], quoted: false }); i += m[0].length; continue; }
    out.push({ text: c, quoted: false });
    i++;
  }
  return out;
}

const word = (t: Token | undefined, w: string): boolean => !!t && !t.quoted && t.text.toUpperCase() === w;

/** Split a token list at commas outside parentheses. */
function splitTop(ts: Token[]): Token[][] {
  const parts: Token[][] = [[]];
  let depth = 0;
  for (const t of ts) {
    if (!t.quoted && t.text === '(') depth++;
    if (!t.quoted && t.text === ')') depth--;
    if (depth === 0 && !t.quoted && t.text === ',') parts.push([]);
    else parts.at(-1)!.push(t);
  }
  return parts.filter((p) => p.length);
}

/** The tokens at parenthesis depth 0 of a definition (parentheses and what they hold left out). */
function topLevel(ts: Token[]): Token[] {
  const out: Token[] = [];
  let depth = 0;
  for (const t of ts) {
    if (!t.quoted && t.text === '(') depth++;
    else if (!t.quoted && t.text === ')') depth--;
    else if (depth === 0) out.push(t);
  }
  return out;
}

export function affinityOf(type: string): Affinity {
  const t = type.toUpperCase();
  if (t.includes('INT')) return 'INTEGER';
  if (t.includes('CHAR') || t.includes('CLOB') || t.includes('TEXT')) return 'TEXT';
  if (t === '' || t.includes('BLOB')) return 'BLOB';
  if (t.includes('REAL') || t.includes('FLOA') || t.includes('DOUB')) return 'REAL';
  return 'NUMERIC';
}

export function tableColumns(sql: string): TableColumns {
  const ts = tokens(sql);
  const open = ts.findIndex((t) => !t.quoted && t.text === '(');
  const none: TableColumns = { columns: [], info: [], rowidColumn: null, withoutRowid: false };
  if (open < 0) return none;
  let depth = 0;
  let close = -1;
  for (let i = open; i < ts.length; i++) {
    if (!ts[i]!.quoted && ts[i]!.text === '(') depth++;
    if (!ts[i]!.quoted && ts[i]!.text === ')' && --depth === 0) { close = i; break; }
  }
  if (close < 0) return none;
  const after = ts.slice(close + 1);
  const withoutRowid = after.some((t, i) => word(t, 'WITHOUT') && word(after[i + 1], 'ROWID'));
  const info: ColumnInfo[] = [];
  let pk: { name: string; desc: boolean }[] = [];
  for (const def of splitTop(ts.slice(open + 1, close))) {
    const first = def[0]!;
    if (!first.quoted && TABLE_CONSTRAINTS.has(first.text.toUpperCase())) {
      const top = topLevel(def);
      const at = top.findIndex((t, i) => word(t, 'PRIMARY') && word(top[i + 1], 'KEY'));
      if (at >= 0) {
        const p = def.findIndex((t) => !t.quoted && t.text === '(');
        const end = def.findIndex((t, i) => i > p && !t.quoted && t.text === ')');
        if (p >= 0 && end > p) pk = splitTop(def.slice(p + 1, end)).map((c) => ({ name: c[0]!.text, desc: false }));
      }
      continue;
    }
    const top = topLevel(def);
    const typeWords: string[] = [];
    for (const t of top.slice(1)) {
      if (t.quoted || CONSTRAINT_WORDS.has(t.text.toUpperCase()) || !/^[A-Za-z0-9_$]/.test(t.text)) break;
      typeWords.push(t.text);
    }
    const type = typeWords.join(' ');
    const k = top.findIndex((t, i) => word(t, 'PRIMARY') && word(top[i + 1], 'KEY'));
    if (k >= 0) pk = [{ name: first.text, desc: word(top[k + 2], 'DESC') }];
    const generated = top.some((t, i) => word(t, 'AS') && def[def.indexOf(t) + 1]?.text === '(' && i > 0);
    info.push({ name: first.text, type, affinity: affinityOf(type), stored: !generated || top.some((t) => word(t, 'STORED')) });
  }
  const alias = pk.length === 1 && !pk[0]!.desc && !withoutRowid
    ? info.findIndex((c) => c.name.toLowerCase() === pk[0]!.name.toLowerCase() && c.type.toUpperCase() === 'INTEGER') : -1;
  return { columns: info.map((c) => c.name), info, rowidColumn: alias >= 0 ? alias : null, withoutRowid };
}

/**
 * The row SQLite would return for a stored record: stored values in the stored columns, the rowid in
 * the rowid alias, whole REAL values as numbers; a VIRTUAL column (not stored) or one added after the
 * record was written reads as null here. Values beyond the declared columns are kept at the end.
 */
export function placeValues(t: TableColumns, stored: SqlValue[], rowid: bigint): SqlValue[] {
  if (t.info.length === 0) return stored;
  const out: SqlValue[] = [];
  let i = 0;
  t.info.forEach((c, n) => {
    let v: SqlValue = c.stored ? stored[i++] ?? null : null;
    if (n === t.rowidColumn && v === null) v = rowid;
    else if (c.affinity === 'REAL' && typeof v === 'bigint') v = Number(v);
    out.push(v);
  });
  return [...out, ...stored.slice(i)];
}
