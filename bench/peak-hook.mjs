// Preloaded into measured child processes (`node --import ./bench/peak-hook.mjs ...`): when the
// process exits, write its exact peak RSS (VmHWM from /proc/self/status) and CPU times to the file
// named by BENCH_PEAK_FILE. The parent also polls /proc/<pid>/status; this catches the last
// milliseconds the polling can miss. Nothing else is touched; no package needed.
import { readFileSync, writeFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

const file = process.env.BENCH_PEAK_FILE;
if (file && isMainThread) {
  process.on('exit', () => {
    try {
      const status = readFileSync('/proc/self/status', 'utf8');
      const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
      const ru = process.resourceUsage();
      writeFileSync(file, JSON.stringify({
        vmHwmKb: kb('VmHWM'), vmRssKb: kb('VmRSS'), maxRssKb: ru.maxRSS,
        userCpuMs: ru.userCPUTime / 1000, systemCpuMs: ru.systemCPUTime / 1000,
        exitCode: process.exitCode ?? 0,
      }));
    } catch {
      // best effort: the parent's polling still has a number
    }
  });
}
