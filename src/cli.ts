import { Command, Option } from 'commander';
import { EXIT, runExtract, UsageError } from './cli/extract-command.js';
import { FORMATS } from './sinks/index.js';

export async function main(argv: string[]): Promise<number> {
  const program = new Command();
  let code: number = EXIT.complete;
  program
    .name('docker-timeline')
    .description('Forensic super-timeline of Docker evidence (data roots, file-system images, tar archives)')
    .exitOverride();
  program
    .command('extract')
    .description('extract container lifecycle, logs and file times into one sorted timeline')
    .argument('<evidence...>', 'Docker data root, mounted file-system root, or .tar/.tar.gz/.tgz of either')
    .option('-o, --output <file>', 'output file (default: stdout)')
    .addOption(new Option('-f, --format <format>', 'output format (inferred from .body/.jsonl)').choices([...FORMATS]))
    .option('-z, --timezone <tz>', 'time zone for rendered dates (IANA name)', 'UTC')
    .option('--hostname <name>', 'host name to put in L2T `host`')
    .option('--after <time>', 'only events at or after this ISO 8601 time')
    .option('--before <time>', 'only events before this ISO 8601 time')
    .option('--warnings <file>', 'write every warning as JSON lines')
    .option('--no-csv-guard', 'do not neutralise spreadsheet formulas in timesketch-csv cells')
    .option('--sort-memory <mb>', 'memory for sorting before spilling to disk (MB)', (v) => Number(v), 48)
    .option('--tmp-dir <dir>', 'folder for sort spill files (default: the system temp folder)')
    .option('-q, --quiet', 'no progress line')
    .option('--merge <files...>', 'also merge these host or plaso timelines (bodyfile, mactime, L2T CSV, json_line, Timesketch CSV/JSONL, jsonl)')
    .option('--input-timezone <tz>', 'zone of --merge input times that carry none (bodyfile, mactime, L2T)')
    .option('--no-fast-path', 'write every log line through the JSON path (slower; same output: for checking the fast path)')
    .action(async (evidence: string[], o: Record<string, unknown>) => {
      code = await runExtract({
        merge: o.merge as string[] | undefined, inputTimezone: o.inputTimezone as string | undefined,
        evidence, output: o.output as string | undefined, format: o.format as string | undefined, timezone: o.timezone as string,
        hostname: o.hostname as string | undefined, after: o.after as string | undefined, before: o.before as string | undefined,
        warnings: o.warnings as string | undefined, csvGuard: o.csvGuard as boolean, sortMemoryMb: o.sortMemory as number,
        tmpDir: o.tmpDir as string | undefined, quiet: o.quiet as boolean | undefined, fastPath: o.fastPath as boolean,
      });
    });
  program
    .command('merge')
    .description('merge host bodyfiles, mactime, plaso L2T CSV/json_line, Timesketch CSV/JSONL and jsonl into one sorted timeline')
    .argument('<input...>', 'timeline files (format told from their first lines; gzip is read too)')
    .option('-o, --output <file>', 'output file (default: stdout)')
    .addOption(new Option('-f, --format <format>', 'output format (inferred from .body/.jsonl)').choices([...FORMATS]))
    .option('--input-format <format>', 'read every input as this format: bodyfile, mactime, l2tcsv, dynamic, json_line, timesketch-csv, timesketch-jsonl, jsonl')
    .option('--input-timezone <tz>', 'zone of input times that carry none (bodyfile epochs, mactime dates without -y, L2T dates)')
    .option('-z, --timezone <tz>', 'time zone for rendered dates (IANA name)', 'UTC')
    .option('--after <time>', 'only events at or after this ISO 8601 time')
    .option('--before <time>', 'only events before this ISO 8601 time')
    .option('--slice <time>', 'only events within --slice-size minutes of this ISO 8601 time (as psort)')
    .option('--slice-size <minutes>', 'half-width of --slice in minutes (default 5)', (v) => Number(v))
    .option('--dedup', 'drop events equal to an earlier one in time, description, file and message (off by default; psort dedups by default)')
    .option('--evidence <evidence>', 'Docker data root (or file-system root or tar) to attribute host paths to containers, layers and volumes; repeatable', (v: string, prev: string[] = []) => [...prev, v])
    .option('--warnings <file>', 'write every warning as JSON lines')
    .option('--no-csv-guard', 'do not neutralise spreadsheet formulas in timesketch-csv cells')
    .option('--sort-memory <mb>', 'memory for sorting before spilling to disk (MB)', (v) => Number(v), 48)
    .option('--tmp-dir <dir>', 'folder for sort spill files (default: the system temp folder)')
    .option('-q, --quiet', 'no progress line')
    .action(async (inputs: string[], o: Record<string, unknown>) => {
      // loaded only for `merge` (its readers and CSV parser would slow every extract's start-up)
      const { runMerge } = await import('./cli/merge-command.js');
      code = await runMerge({
        inputs, output: o.output as string | undefined, format: o.format as string | undefined,
        inputFormat: o.inputFormat as string | undefined, inputTimezone: o.inputTimezone as string | undefined,
        timezone: o.timezone as string, after: o.after as string | undefined, before: o.before as string | undefined,
        slice: o.slice as string | undefined, sliceSize: o.sliceSize as number | undefined, dedup: o.dedup as boolean | undefined,
        evidence: o.evidence as string[] | undefined, warnings: o.warnings as string | undefined, csvGuard: o.csvGuard as boolean,
        sortMemoryMb: o.sortMemory as number, tmpDir: o.tmpDir as string | undefined, quiet: o.quiet as boolean | undefined,
      });
    });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    const err = e as { code?: string; exitCode?: number; message: string };
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.complete;
    if (err.code?.startsWith('commander.')) return EXIT.usage;
    if (e instanceof UsageError) {
      process.stderr.write(`docker-timeline: ${err.message}\n`);
      return EXIT.usage;
    }
    process.stderr.write(`docker-timeline: failed: ${err.message}\n`);
    return EXIT.failed;
  }
  return code;
}
