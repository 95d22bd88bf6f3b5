import type { TaskRecord } from '../src/scheduler/run-store.js';
import { isFinished } from '../src/scheduler/states.js';
import { levelsOf } from './dag-rows.js';

/** How long a finished attempt took, when both ends were recorded. */
function recorded(t: TaskRecord): number | undefined {
  const { startedAt, endedAt } = t;
  return startedAt !== undefined && endedAt !== undefined && endedAt >= startedAt ? endedAt - startedAt : undefined;
}

/** The middle of `xs` (the mean of the two middle ones for an even count). */
function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * The critical path: the longest chain of unfinished tasks, what the run
 * still has to wait through one after another. A task weighs what its last
 * finished attempt took when one was recorded (a retried task), else the
 * median of the finished tasks' durations, or 1 when none finished yet (then
 * the longest chain by count). Ids from the chain's start to its end; empty
 * when nothing is left. Ties go to the task listed first.
 */
export function criticalPath(tasks: readonly TaskRecord[]): string[] {
  const finished = tasks.filter((t) => isFinished(t.state.kind));
  const times = finished.map(recorded).filter((d): d is number => d !== undefined);
  const estimate = times.length ? Math.max(1, median(times)) : 1;
  const levels = levelsOf(tasks);
  const open = tasks.filter((t) => !isFinished(t.state.kind));
  // Dependencies before dependents: by level, plan order within one (a stable sort).
  open.sort((a, b) => (levels.get(a.spec.id) ?? 0) - (levels.get(b.spec.id) ?? 0));
  const best = new Map<string, { total: number; prev: string | undefined }>();
  let end: string | undefined;
  for (const t of open) {
    let from: { total: number; prev: string | undefined } = { total: 0, prev: undefined };
    for (const d of t.spec.dependsOn) {
      const b = best.get(d);
      if (b && b.total > from.total) from = { total: b.total, prev: d };
    }
    const total = from.total + (recorded(t) ?? estimate);
    best.set(t.spec.id, { total, prev: from.prev });
    if (end === undefined || total > best.get(end)!.total) end = t.spec.id;
  }
  const chain: string[] = [];
  for (let id = end; id !== undefined; id = best.get(id)!.prev) chain.push(id);
  return chain.reverse();
}
