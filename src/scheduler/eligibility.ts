import type { TaskRecord } from './run-store.js';
import { dependencyVerdict } from './states.js';

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
