/**
 * A byte-exact reader of one flat JSON object (`{"device_id":1,"size":10737418240,...}`): every member's
 * key and the raw bytes of its value, with byte offsets, so a value can be read with the type the
 * writer gave it (a uint64 beyond 2^53 stays exact) and a problem can be named at its byte.
 * The whole text is checked as JSON (as Go's json.Unmarshal checks it before decoding); nested values
 * are checked without recursion, so hostile nesting cannot exhaust the stack.
 */

/** Not JSON, or JSON that is not one object. `truncated`: the text ends inside the value. */
export class FlatJsonError extends Error {
  constructor(message: string, readonly offset: number, readonly truncated = false) {
    super(message);
  }
}

export type JsonKind = 'string' | 'number' | 'true' | 'false' | 'null' | 'object' | 'array';

export interface FlatMember {
  /** The key's raw bytes, quotes included (decode with parseJsonBytes). */
  key: Buffer;
  keyOffset: number;
  kind: JsonKind;
  /** The value's raw bytes (quotes included for a string). */
  raw: Buffer;
  offset: number;
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

function ws(b: Buffer, i: number): number {
  while (i < b.length && WS.has(b[i]!)) i++;
  return i;
}

function unexpected(b: Buffer, i: number, what: string): FlatJsonError {
  if (i >= b.length) return new FlatJsonError(`the text ends at byte ${b.length} where ${what} should follow: cut short`, b.length, true);
  const c = b[i]!;
  const shown = c >= 0x20 && c < 0x7f ? `'${String.fromCharCode(c)}'` : `byte 0x${c.toString(16).padStart(2, '0')}`;
  return new FlatJsonError(`${shown} at byte ${i} where ${what} should be`, i);
}

/** End of the string starting at `i` (a `"`). */
function skipString(b: Buffer, i: number): number {
  for (let j = i + 1; ; j++) {
    if (j >= b.length) throw unexpected(b, j, 'the end of a string');
    const c = b[j]!;
    if (c === 0x22) return j + 1;
    if (c < 0x20) throw new FlatJsonError(`control byte 0x${c.toString(16).padStart(2, '0')} at byte ${j} inside a string`, j);
    if (c === 0x5c) {
      const e = b[++j];
      if (e === undefined) throw unexpected(b, j, 'an escape');
      if (e === 0x75) {
        for (let k = 1; k <= 4; k++) if (!/[0-9a-fA-F]/.test(String.fromCharCode(b[j + k] ?? 0))) throw unexpected(b, j + k, 'a hex digit of a \\u escape');
        j += 4;
      } else if (!'"\\/bfnrt'.includes(String.fromCharCode(e))) throw new FlatJsonError(`bad escape at byte ${j - 1}`, j - 1);
    }
  }
}

/** End and kind of the scalar at `i`. */
function scalar(b: Buffer, i: number): [number, JsonKind] {
  const c = b[i];
  if (c === 0x22) return [skipString(b, i), 'string'];
  for (const lit of ['true', 'false', 'null'] as const) {
    if (c === lit.charCodeAt(0)) {
      for (let k = 1; k < lit.length; k++) if (b[i + k] !== lit.charCodeAt(k)) throw unexpected(b, i + k, `the rest of ${lit}`);
      return [i + lit.length, lit];
    }
  }
  return [number(b, i), 'number'];
}

const digit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;

/** End of the number at `i`: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, of any length. */
function number(b: Buffer, i: number): number {
  if (b[i] === 0x2d) i++;
  if (b[i] === 0x30) i++;
  else if (digit(b[i])) while (digit(b[i])) i++;
  else throw unexpected(b, i, 'a value');
  if (b[i] === 0x2e) {
    if (!digit(b[++i])) throw unexpected(b, i, 'a digit');
    while (digit(b[i])) i++;
  }
  if (b[i] === 0x65 || b[i] === 0x45) {
    i++;
    if (b[i] === 0x2b || b[i] === 0x2d) i++;
    if (!digit(b[i])) throw unexpected(b, i, 'a digit');
    while (digit(b[i])) i++;
  }
  return i;
}

/** `"key" :` at `i`: the key's end and the position after the colon. */
function member(b: Buffer, i: number): [number, number] {
  i = ws(b, i);
  if (b[i] !== 0x22) throw unexpected(b, i, 'a key');
  const keyEnd = skipString(b, i);
  const colon = ws(b, keyEnd);
  if (b[colon] !== 0x3a) throw unexpected(b, colon, "':'");
  return [keyEnd, colon + 1];
}

/** End of the JSON value at `i` (after white space), nested arrays and objects checked with a stack. */
export function skipValue(b: Buffer, i: number): [start: number, end: number, kind: JsonKind] {
  i = ws(b, i);
  const start = i;
  const open = b[i];
  const stack: number[] = [];
  for (;;) {
    i = ws(b, i);
    const c = b[i];
    if (c === 0x7b || c === 0x5b) {
      i = ws(b, i + 1);
      if (b[i] === (c === 0x7b ? 0x7d : 0x5d)) i++;
      else {
        stack.push(c);
        if (c === 0x7b) i = member(b, i)[1];
        continue;
      }
    } else {
      i = scalar(b, i)[0];
    }
    // after a value: close what ends here, or go on after a comma
    for (;;) {
      if (stack.length === 0) {
        const kind: JsonKind = open === 0x7b ? 'object' : open === 0x5b ? 'array' : scalar(b, start)[1];
        return [start, i, kind];
      }
      i = ws(b, i);
      const top = stack.at(-1)!;
      if (b[i] === 0x2c) {
        i++;
        if (top === 0x7b) i = member(b, i)[1];
        break;
      }
      if (b[i] === (top === 0x7b ? 0x7d : 0x5d)) {
        stack.pop();
        i++;
        continue;
      }
      throw unexpected(b, i, top === 0x7b ? "',' or '}'" : "',' or ']'");
    }
  }
}

/** The members of the one JSON object `b` holds, in file order (repeated keys included). */
export function readFlatObject(b: Buffer): FlatMember[] {
  let i = ws(b, 0);
  if (b[i] !== 0x7b) {
    if (i >= b.length) throw new FlatJsonError(b.length ? 'only white space: no JSON object' : 'empty file: no JSON object', b.length, true);
    throw new FlatJsonError(`not a JSON object (byte ${i} starts something else)`, i);
  }
  const out: FlatMember[] = [];
  i = ws(b, i + 1);
  if (b[i] === 0x7d) i++;
  else {
    for (;;) {
      const keyOffset = ws(b, i);
      const [keyEnd, afterColon] = member(b, i);
      const [start, end, kind] = skipValue(b, afterColon);
      out.push({ key: b.subarray(keyOffset, keyEnd), keyOffset, kind, raw: b.subarray(start, end), offset: start });
      i = ws(b, end);
      if (b[i] === 0x2c) { i++; continue; }
      if (b[i] === 0x7d) { i++; break; }
      throw unexpected(b, i, "',' or '}'");
    }
  }
  i = ws(b, i);
  if (i < b.length) throw new FlatJsonError(`more after the object, from byte ${i}`, i);
  return out;
}
