import { chomp } from '../reader.js';

/** A JSON object line, or null (blank line: `undefined`). */
export function parseObjectLine(raw: string): Record<string, unknown> | null | undefined {
  const text = chomp(raw);
  if (text.trim() === '') return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The first non-blank line of an input as a JSON object (for format detection). */
export function firstObject(lines: readonly string[]): Record<string, unknown> | null {
  const first = lines.find((l) => l.trim() !== '');
  if (first === undefined || !first.trimStart().startsWith('{')) return null;
  return parseObjectLine(first) ?? null;
}

export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
