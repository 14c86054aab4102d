/**
 * SQLite files made by python3's sqlite3 module (the real SQLite library), and what that library reads
 * back from a file, for comparison with our reader. python3 is run with execFile (no shell).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { SqlValue } from '../../../src/formats/sqlite.ts';

const run = promisify(execFile);

const SCRIPT = String.raw`
import sqlite3, sys, json, struct, random

def enc(v):
    if v is None: return None
    if isinstance(v, int): return {'i': str(v)}
    if isinstance(v, float): return {'f': struct.pack('>d', v).hex()}
    if isinstance(v, str): return {'t': v}
    return {'b': bytes(v).hex()}

def dump(path):
    con = sqlite3.connect('file:' + path + '?mode=ro&immutable=1', uri=True)
    out = {}
    for name, sql in con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"):
        if 'WITHOUT ROWID' in sql.upper(): continue
        cur = con.execute('SELECT rowid, * FROM "%s" ORDER BY rowid' % name.replace('"', '""'))
        out[name] = {'columns': [d[0] for d in cur.description][1:], 'rows': [[enc(v) for v in r] for r in cur]}
    return out

def make(path, page_size, encoding, reserved, rows):
    con = sqlite3.connect(path)
    con.execute('PRAGMA page_size = %d' % page_size)
    con.execute("PRAGMA encoding = '%s'" % encoding)
    con.execute('CREATE TABLE x (a)'); con.commit(); con.execute('DROP TABLE x'); con.commit(); con.close()
    if reserved:
        # reserved bytes at the end of each page: set in the header of the (empty) database; SQLite keeps them
        b = bytearray(open(path, 'rb').read())
        b[20] = reserved
        b[105:107] = (page_size - reserved).to_bytes(2, 'big')
        open(path, 'wb').write(b)
    con = sqlite3.connect(path)
    rnd = random.Random(7)
    con.execute('CREATE TABLE kinds (v)')
    vals = [None, 0, 1, -1, 2, 127, -128, 128, -129, 32767, -32768, 32768, 2**23 - 1, -2**23, 2**23, 2**31 - 1, -2**31, 2**31,
            2**47 - 1, -2**47, 2**47, 2**63 - 1, -2**63, 0.5, -0.0, 2.0, 3.141592653589793, 1e308, -2.5e-308, 5e-324,
            float('inf'), float('-inf'), '', 'ascii', 'caf\u00e9 \u6f22\u5b57 \U0001f642', 'x' * (page_size * 3),
            b'', bytes(range(256)), rnd.randbytes(page_size * 2 + 77)]
    con.executemany('INSERT INTO kinds VALUES (?)', [(v,) for v in vals])
    con.execute('CREATE TABLE ipk (id INTEGER PRIMARY KEY, name TEXT, score REAL, note)')
    con.executemany('INSERT INTO ipk VALUES (?, ?, ?, ?)', [(1, 'a', 3.0, None), (5, 'b', 2.5, 7), (2**40, 'c', -1.0, 'n'), (-7, 'd', None, b'\x00\x01')])
    con.execute('CREATE TABLE big (k INTEGER, t TEXT, b BLOB, r REAL)')
    data = []
    for i in range(rows):
        t = ''.join(rnd.choice('abcdefghij\u00e9\u6f22') for _ in range(rnd.randint(0, 300)))
        b = rnd.randbytes(page_size + 1000 if i % 97 == 0 else rnd.randint(0, 40))
        data.append((rnd.randint(-2**62, 2**62), t, b, rnd.random() * 1e6))
    con.executemany('INSERT INTO big VALUES (?, ?, ?, ?)', data)
    con.execute('DELETE FROM big WHERE rowid % 7 = 0')
    con.execute('CREATE INDEX big_t ON big (t)')
    con.execute('CREATE TABLE gen (a INTEGER, b INTEGER GENERATED ALWAYS AS (a * 2) VIRTUAL, c TEXT, d GENERATED ALWAYS AS (a + 1) STORED)')
    con.executemany('INSERT INTO gen (a, c) VALUES (?, ?)', [(i, 'c%d' % i) for i in range(5)])
    con.execute('CREATE TABLE "odd ""name""" ("col one" TEXT, [col 2] INT, ${'`col3`'}, -- a comment, with a comma\n col4 VARCHAR(10) DEFAULT \'x,y\')')
    con.execute('INSERT INTO "odd ""name""" VALUES (?, ?, ?, ?)', ('one', 2, 3.5, 'four'))
    con.execute('CREATE TABLE wr (k TEXT PRIMARY KEY, v) WITHOUT ROWID')
    con.execute("INSERT INTO wr VALUES ('k', 1)")
    con.commit()
    con.close()

if sys.argv[1] == 'make':
    make(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]), int(sys.argv[6]))
elif sys.argv[1] == 'dump':
    json.dump(dump(sys.argv[2]), sys.stdout)
else:
    con = sqlite3.connect(sys.argv[2])
    con.executescript(sys.argv[3])
    con.commit()
`;

export interface MakeOptions {
  pageSize: number;
  encoding?: 'UTF-8' | 'UTF-16le' | 'UTF-16be';
  reserved?: number;
  /** Rows of table `big` (before every 7th is deleted). */
  rows?: number;
}

/** A database of several tables (every serial type, a rowid alias, REAL affinity, generated columns, big rows, an index, a WITHOUT ROWID table). */
export async function makeDb(file: string, o: MakeOptions): Promise<void> {
  await run('python3', ['-c', SCRIPT, 'make', file, String(o.pageSize), o.encoding ?? 'UTF-8', String(o.reserved ?? 0), String(o.rows ?? 3000)]);
}

/** Run SQL on a database file with python's sqlite3. */
export async function execSql(file: string, sql: string): Promise<void> {
  await run('python3', ['-c', SCRIPT, 'sql', file, sql]);
}

export type PyValue = null | { i: string } | { f: string } | { t: string } | { b: string };
export type PyDump = Record<string, { columns: string[]; rows: PyValue[][] }>;

/** Every rowid table as SQLite reads it: `SELECT rowid, *`, values tagged by type. */
export async function pyDump(file: string): Promise<PyDump> {
  const { stdout } = await run('python3', ['-c', SCRIPT, 'dump', file], { maxBuffer: 1 << 28 });
  return JSON.parse(stdout) as PyDump;
}

/** Our value in the same tagged form. */
export function tag(v: SqlValue): PyValue {
  if (v === null) return null;
  if (typeof v === 'bigint') return { i: v.toString() };
  if (typeof v === 'number') {
    const b = Buffer.alloc(8);
    b.writeDoubleBE(v);
    return { f: b.toString('hex') };
  }
  if (typeof v === 'string') return { t: v };
  return { b: v.toString('hex') };
}
