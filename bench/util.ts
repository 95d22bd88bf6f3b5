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
