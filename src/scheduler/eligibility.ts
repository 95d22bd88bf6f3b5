import type { TaskRecord } from './run-store.js';
import { dependencyVerdict, isFinished } from './states.js';

/** Where a task stands against its dependencies. */
export type Readiness =
  | { kind: 'ready' }
  | { kind: 'waiting' }
  /** `by` is the failure at the root (through blocked dependencies), `reason` says it in words. */
  | { kind: 'blocked'; by: string; reason: string };

/**
 * Pure: a task is ready when every dependency is satisfied (completed,
 * skipped, or failed with mode soft/skip), blocked when one is dead (a hard
 * failure or cancellation, or itself blocked), and otherwise waits.
 */
export function readiness(dependsOn: readonly string[], lookup: (id: string) => TaskRecord): Readiness {
  let waiting = false;
  for (const depId of dependsOn) {
    const dep = lookup(depId);
    const verdict = dependencyVerdict(dep.state, dep.spec.failureMode);
    if (verdict === 'dead') {
      const by = dep.state.kind === 'blocked' ? dep.state.by : dep.spec.id;
      const how = lookup(by).state.kind === 'cancelled' ? 'was cancelled' : 'failed';
      return { kind: 'blocked', by, reason: `${by} ${how}` };
    }
    if (verdict === 'waiting') waiting = true;
  }
  return waiting ? { kind: 'waiting' } : { kind: 'ready' };
}

/**
 * Pure: how many paused tasks hold the run up when nothing else can move —
 * nothing running, ready or waiting for a lock or a retry, and every task
 * still waiting on its dependencies waits (through other waiting tasks) on a
 * paused one. 0 when something can still go on by itself. Every such wait
 * leads to a paused task: the graph has no cycles, and a waiting task's
 * unfinished dependencies are themselves paused or waiting.
 */
export function heldByPaused(tasks: readonly TaskRecord[]): number {
  let paused = 0;
  for (const t of tasks) {
    if (t.state.kind === 'paused') paused++;
    else if (t.state.kind === 'pending' ? t.state.retry !== undefined : !isFinished(t.state.kind)) return 0;
  }
  if (paused === 0) return 0;
  const byId = new Map(tasks.map((t) => [t.spec.id, t]));
  const lookup = (id: string): TaskRecord => byId.get(id)!;
  // A pending task whose dependencies no longer hold it is about to start.
  return tasks.every((t) => t.state.kind !== 'pending' || readiness(t.spec.dependsOn, lookup).kind === 'waiting') ? paused : 0;
}
