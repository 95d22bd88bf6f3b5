import type { RunSnapshot } from '../src/scheduler/run-store.js';

/** What the bell listens to in a run's snapshot. */
export type BellState = Pick<RunSnapshot, 'needsYou' | 'finished'>;

/**
 * Whether the bell rings between two snapshots the dashboard drew: once when
 * any task starts needing you (one that kept needing you does not ring again;
 * one that stopped and asks anew does), and once when the run finishes.
 */
export function bellDue(prev: BellState, next: BellState): boolean {
  if (next.finished && !prev.finished) return true;
  return Object.keys(next.needsYou).some((id) => !Object.hasOwn(prev.needsYou, id));
}
