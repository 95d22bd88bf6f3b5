import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { findMarked, TASK_ENV } from '../src/os/marked.js';
import type { Marks } from '../src/os/marked.js';
import { pidCursor, readStat } from '../src/os/proc.js';
import type { BenchRow } from './types.js';
import { median, progress, row } from './util.js';

/** Extra processes the scan is measured among, on top of what the machine runs. */
const CROWDS = [0, 1000, 4000];
const ROUNDS = 21;

/**
 * The /proc scans of src/os/marked.ts (docs/architecture.md §5), among the
 * machine's own processes and among 1,000 and 4,000 more sleepers of this
 * user, each with this process's environment, for a marker nobody carries.
 * At a task's end (a session started after them all: only pids handed out
 * since are read), the same without the pid window (a stat read per
 * process, no environ read: older than the leader), and as the killed-run
 * sweep scans (no session: every process's stat and environ are read).
 */
export async function procBench(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const crowd: ChildProcess[] = [];
  try {
    for (const extra of CROWDS) {
      while (crowd.length < extra) crowd.push(spawn('/bin/sleep', ['1000'], { stdio: 'ignore' }));
      await new Promise((r) => setTimeout(r, 200)); // Until every sleeper has exec'd.
      const leader = spawn('/bin/sleep', ['1000'], { stdio: 'ignore' });
      const forks = pidCursor()?.forks;
      crowd.push(leader);
      const processes = readdirSync('/proc').filter((n) => /^\d+$/.test(n)).length;
      const entries = [`${TASK_ENV}=nobody/carries/this`];
      const session = { pid: leader.pid!, startTime: readStat(leader.pid!)?.startTime };
      const taskEnd: Marks = { entries, sessions: [{ ...session, ...(forks !== undefined ? { forks } : {}) }] };
      const noWindow: Marks = { entries, sessions: [session] };
      const cases = [['a task’s end', taskEnd], ['a task’s end without the pid window', noWindow], ['the killed-run sweep', { entries }]] as const;
      for (const [what, marks] of cases) {
        const ms = median(Array.from({ length: ROUNDS }, () => timed(() => findMarked(marks))));
        progress(`proc: ${processes} processes: ${what} ${ms.toFixed(2)} ms`);
        rows.push(
          row('proc', `${what}: findMarked among ${processes} processes, median of ${ROUNDS}`, ms, 'ms'),
          row('proc', '  per process', (ms * 1000) / processes, 'µs'),
        );
      }
    }
  } finally {
    for (const child of crowd) child.kill('SIGKILL');
  }
  return rows;
}

function timed(fn: () => unknown): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}
