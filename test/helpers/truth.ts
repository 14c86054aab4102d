import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parseRfc3339, isGoZero } from '../../src/time/nanotime.ts';

/** What `docker inspect` said about one container (the engine's ground truth). */
export interface TruthContainer {
  name: string;
  id: string;
  inspect: Record<string, any>;
}

export function truthContainers(truthDir: string): TruthContainer[] {
  const dir = path.join(truthDir, 'containers');
  return readdirSync(dir).filter((f) => f.endsWith('.inspect.json')).sort().map((f) => {
    const raw = JSON.parse(readFileSync(path.join(dir, f), 'utf8'));
    const inspect = Array.isArray(raw) ? raw[0] : raw;
    return { name: f.slice(0, -'.inspect.json'.length), id: String(inspect.Id).toLowerCase(), inspect };
  });
}

export interface TruthLine {
  container: string;
  stream: 'stdout' | 'stderr';
  ns: bigint;
  text: string;
}

/** Every `docker logs --timestamps` line of a container, split by stream. */
export function truthLogLines(truthDir: string, name: string): TruthLine[] {
  const out: TruthLine[] = [];
  for (const stream of ['stdout', 'stderr'] as const) {
    let text: string;
    try {
      text = readFileSync(path.join(truthDir, 'containers', `${name}.${stream}.txt`), 'utf8');
    } catch {
      continue;
    }
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    for (const line of lines) {
      const sp = line.indexOf(' ');
      const t = parseRfc3339(line.slice(0, sp));
      if (!t) throw new Error(`truth line without a time: ${line}`);
      out.push({ container: name, stream, ns: t.ns, text: line.slice(sp + 1).trimEnd() });
    }
  }
  return out;
}

/** Created, StartedAt (unless zero) and FinishedAt (unless zero or running), as check_truth.py requires. */
export function truthLifecycle(c: TruthContainer): { label: string; ns: bigint }[] {
  const st = c.inspect.State ?? {};
  const want: { label: string; ns: bigint }[] = [{ label: 'Created', ns: parseRfc3339(c.inspect.Created)!.ns }];
  if (!isGoZero(st.StartedAt)) want.push({ label: 'StartedAt', ns: parseRfc3339(st.StartedAt)!.ns });
  if (!st.Running && !isGoZero(st.FinishedAt)) want.push({ label: 'FinishedAt', ns: parseRfc3339(st.FinishedAt)!.ns });
  return want;
}

/** The start of the live copy (step L01 of actions.log), in ns. */
export function liveCutoff(actionsLog: string): bigint {
  for (const line of readFileSync(actionsLog, 'utf8').split('\n')) {
    const cols = line.split('\t');
    if (cols[0] === 'L01') {
      const [s, f = ''] = cols[1]!.split('.');
      return BigInt(s!) * 1_000_000_000n + BigInt(f.padEnd(9, '0').slice(0, 9));
    }
  }
  throw new Error('no L01 in actions.log');
}
