import type { FlatMember } from '../formats/flat-json.js';
import { parseJsonBytes } from './json-bytes.js';

/** The Go type a struct field has: how encoding/json writes it and which JSON it accepts back. */
export type GoType = 'int' | 'uint64' | 'bool' | 'string';

export type GoValue = bigint | boolean | string;

export interface GoFieldProblem {
  kind: 'bad-value' | 'odd-key' | 'duplicate-key';
  offset: number;
  message: string;
}

export interface GoFields {
  values: Map<string, GoValue>;
  /** Byte offset of the value each field was last stored from. */
  offsets: Map<string, number>;
  /** Keys of no field (json.Unmarshal ignores them; json.Marshal of the struct never writes them), and where the first is. */
  unexpected: string[];
  unexpectedAt: number;
  /** A value json.Unmarshal cannot store: it returns an error for the whole object. */
  failed: boolean;
  problems: GoFieldProblem[];
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

/** Go's case folding of keys for the ASCII names used here (encoding/json also folds ſ to s and the Kelvin sign to k). */
const fold = (s: string): string => s.replace(/\u017f/g, 's').replace(/\u212a/g, 'k').toLowerCase();

const short = (b: Buffer): string => {
  const t = b.toString('utf8');
  return t.length > 40 ? `${t.slice(0, 40)}... (${b.length} bytes)` : t;
};

/** The key's text (a key that is not UTF-8 keeps its bytes as \xNN). */
function keyText(m: FlatMember): string {
  try {
    const k = parseJsonBytes(m.key);
    return typeof k === 'string' ? k : '';
  } catch {
    return m.key.toString('latin1');
  }
}

type Converted = { ok: true; value: GoValue } | { ok: false; why: string };

/** A JSON value as Go's json.Unmarshal stores it into a field of type `t`, or why it does not. */
function convert(m: FlatMember, t: GoType): Converted {
  const no = (why: string): Converted => ({ ok: false, why });
  if (t === 'bool') return m.kind === 'true' || m.kind === 'false' ? { ok: true, value: m.kind === 'true' } : no(`${m.kind} ${short(m.raw)} where Go's bool takes true or false`);
  if (t === 'string') {
    if (m.kind !== 'string') return no(`${m.kind} ${short(m.raw)} where Go's string takes a string`);
    const s = parseJsonBytes(m.raw);
    return typeof s === 'string' ? { ok: true, value: s } : no('not a string');
  }
  const range = t === 'int' ? 'an integer' : `an integer from 0 to ${UINT64_MAX}`;
  if (m.kind !== 'number') return no(`${m.kind} ${short(m.raw)} where Go's ${t} takes ${range}`);
  const text = m.raw.toString('latin1');
  // strconv.ParseInt / ParseUint: decimal digits only, no fraction, no exponent (1e3 is refused)
  if (!(t === 'int' ? /^-?[0-9]+$/ : /^[0-9]+$/).test(text)) return no(`number ${short(m.raw)} where Go's ${t} takes ${range}`);
  const n = BigInt(text);
  if (t === 'int' ? n < INT64_MIN || n > INT64_MAX : n > UINT64_MAX) return no(`number ${short(m.raw)} overflows Go's ${t}`);
  return { ok: true, value: n };
}

/**
 * Read the members of a flat JSON object into the fields of a Go struct the way encoding/json's
 * Unmarshal does: a key names the field spelled exactly so or, failing that, one equal to it without
 * regard to case; a repeated key overwrites; `null` leaves the field as it was; a value of the wrong
 * type or out of range is skipped (Unmarshal then reports an error). Each departure from what
 * json.Marshal writes is a problem, at the byte offset of the value or key.
 */
export function readGoFields(members: readonly FlatMember[], fields: Readonly<Record<string, GoType>>, refusal: string): GoFields {
  const names = Object.keys(fields);
  const values = new Map<string, GoValue>();
  const offsets = new Map<string, number>();
  const seen = new Set<string>();
  const unexpected: string[] = [];
  let unexpectedAt = -1;
  let failed = false;
  const problems: GoFieldProblem[] = [];
  for (const m of members) {
    const key = keyText(m);
    const name = names.find((n) => n === key) ?? names.find((n) => fold(n) === fold(key));
    if (name === undefined) {
      if (unexpectedAt < 0) unexpectedAt = m.keyOffset;
      if (!unexpected.includes(key) && unexpected.length < 10) unexpected.push(key.length > 64 ? `${key.slice(0, 64)}...` : key);
      continue;
    }
    if (name !== key) problems.push({ kind: 'odd-key', offset: m.keyOffset, message: `key ${JSON.stringify(key)} is not spelled as the engine writes it (${JSON.stringify(name)}); Go's json.Unmarshal matches keys without regard to case, so the engine reads it as ${name}` });
    if (seen.has(name)) problems.push({ kind: 'duplicate-key', offset: m.keyOffset, message: `${name} is given again; json.Unmarshal stores each in turn, so the last one it can store is what the engine reads` });
    seen.add(name);
    if (m.kind === 'null') {
      problems.push({ kind: 'bad-value', offset: m.offset, message: `${name}: null where the engine writes ${fields[name] === 'bool' ? 'true or false' : fields[name] === 'string' ? 'a string' : 'a number'}; json.Unmarshal leaves the field unchanged` });
      continue;
    }
    const v = convert(m, fields[name]!);
    // a value json.Unmarshal cannot store leaves the field as it was (and makes Unmarshal fail)
    if (v.ok) {
      values.set(name, v.value);
      offsets.set(name, m.offset);
    }
    else {
      failed = true;
      problems.push({ kind: 'bad-value', offset: m.offset, message: `${name}: ${v.why}; not used (json.Unmarshal fails on it: ${refusal})` });
    }
  }
  return { values, offsets, unexpected, unexpectedAt: Math.max(0, unexpectedAt), failed, problems };
}
