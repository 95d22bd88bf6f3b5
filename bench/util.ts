import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { BenchRow } from './types.js';

/** Progress for the person waiting: stderr, so `--json` on stdout stays clean. */
export function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/** Milliseconds taken by `fn`. */
export async function timeMs(fn: () => unknown): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

let gcFn: (() => void) | undefined;

/**
 * A full garbage collection before a memory or time measurement, so one
 * benchmark's garbage is not collected on the next one's clock. Enables
 * `--expose-gc` at run time: the `bench` script passes no Node flags.
 */
export function collectGarbage(): void {
  if (!gcFn) {
    setFlagsFromString('--expose-gc');
    gcFn = runInNewContext('gc') as () => void;
  }
  gcFn();
}

export interface MemoryDelta {
  rssMb: number;
  heapMb: number;
}

/** RSS and heap in use now, in MB. */
export function memoryNow(): MemoryDelta {
  const m = process.memoryUsage();
  return { rssMb: m.rss / 2 ** 20, heapMb: m.heapUsed / 2 ** 20 };
}

/** A row with a "lower is better" goal of at most `limit`. */
export function goalRow(bench: string, measure: string, value: number, unit: string, limit: number, goal: string): BenchRow {
  return { bench, measure, value, unit, goal, met: value <= limit };
}

export function row(bench: string, measure: string, value: number, unit: string): BenchRow {
  return { bench, measure, value, unit };
}

/** CPU time used so far (ms): by this process's every thread, and by the calling thread alone where Linux says (else undefined). */
export function cpuNow(): { process: number; thread: number | undefined } {
  const used = process.cpuUsage();
  let thread: number | undefined;
  try {
    // The first field is the time this thread has run on a CPU, in ns (Documentation/scheduler/sched-stats).
    thread = Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
  } catch {
    thread = undefined;
  }
  return { process: (used.user + used.system) / 1000, thread };
}
