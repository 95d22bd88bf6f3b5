import type { TaskSpec } from '../plan/schema.js';
import type { TaskRecord } from '../scheduler/run-store.js';
import { isInterrupted } from '../scheduler/states.js';
import type { TaskState } from '../scheduler/states.js';

/** Why a task that was running when the orchestrator died runs again: what its agent is told. */
export const CRASH_NOTE = 'interrupted: the orchestrator stopped while this task ran';

/**
 * How a task resumes: completed, skipped and failed stay as they are; a task
 * that was running (or waiting for a slot or a lock) goes back to pending,
 * keeping its attempt count and session id so its agent continues the
 * conversation; one cancelled by a shutdown is re-queued the same way; one
 * paused while running has no process any more, so it is paused before
 * starting; blocked tasks are re-evaluated against their dependencies.
 */
export function resumedState(record: TaskRecord): TaskRecord {
  const state = record.state;
  const pending = (note?: string): TaskRecord => requeue(record, { kind: 'pending' }, note);
  switch (state.kind) {
    case 'completed':
    case 'skipped':
      return record;
    case 'failed':
      // Stopped by its provider's usage limit as the run stopped: it waits for the reset (the engine holds the provider).
      return state.failure === 'usage-limit' ? requeue(record, { kind: 'pending', ...holdOf(state.resetsAt) }) : record;
    case 'cancelled':
      return isInterrupted(state) ? pending(state.reason) : record;
    case 'running':
      return pending(CRASH_NOTE);
    case 'paused':
      return state.from === 'running' ? requeue(record, { kind: 'paused', from: 'pending' }, CRASH_NOTE) : record;
    case 'eligible':
      // Held for its provider's usage limit: still held after the resume, until the same time.
      return state.breaker?.limit ? requeue(record, { kind: 'pending', hold: { until: state.breaker.until } }) : pending();
    case 'pending':
      return state.hold ? requeue(record, { kind: 'pending', hold: state.hold }) : pending();
    case 'waiting-lock':
    case 'blocked':
      return pending();
    default: {
      const never: never = state;
      throw new Error(`unknown task state ${JSON.stringify(never)}`);
    }
  }
}

/**
 * For a headless resume: nobody can un-pause a task there (that takes the
 * dashboard), so tasks paused before they started go back to pending, and
 * the note says which. Other states are left as they are.
 */
export function releasePaused(records: readonly TaskRecord[]): { records: TaskRecord[]; note?: string } {
  const released: string[] = [];
  const out = records.map((r) => {
    if (r.state.kind !== 'paused' || r.state.from !== 'pending') return r;
    released.push(r.spec.id);
    return { ...r, state: { kind: 'pending' } satisfies TaskState };
  });
  if (released.length === 0) return { records: out };
  const list = released.length > 8 ? `${released.slice(0, 8).join(', ')} and ${released.length - 8} more` : released.join(', ');
  return {
    records: out,
    note: `released ${released.length} paused task${released.length === 1 ? '' : 's'} (${list}): nobody can un-pause them in a headless resume; resume in the dashboard to keep them paused`,
  };
}

/** A usage-limit failure's hold, when it said its reset; the margin is the engine's to add. */
function holdOf(resetsAt: number | undefined): { hold?: { until: number } } {
  return resetsAt !== undefined ? { hold: { until: resetsAt } } : {};
}

function requeue(record: TaskRecord, state: TaskState, note?: string): TaskRecord {
  const { endedAt: _ended, ...rest } = record;
  return { ...rest, state, ...(note !== undefined ? { lastFailure: note } : {}) };
}

/** What changed between the plan a run began with and the plan file now, by task id. */
export interface PlanChanges {
  added: string[];
  removed: string[];
  changed: string[];
}

/** Compares the plan's own tasks (not follow-ups) field by field. */
export function diffPlans(before: readonly TaskSpec[], after: readonly TaskSpec[]): PlanChanges {
  const old = new Map(before.filter((t) => t.spawnedBy === undefined).map((t) => [t.id, t]));
  const now = new Map(after.map((t) => [t.id, t]));
  return {
    added: [...now.keys()].filter((id) => !old.has(id)),
    removed: [...old.keys()].filter((id) => !now.has(id)),
    changed: [...now.keys()].filter((id) => old.has(id) && canonical(old.get(id)!) !== canonical(now.get(id)!)),
  };
}

export function hasChanges(c: PlanChanges): boolean {
  return c.added.length + c.removed.length + c.changed.length > 0;
}

export function describeChanges(c: PlanChanges): string[] {
  const list = (ids: string[]) => (ids.length > 8 ? `${ids.slice(0, 8).join(', ')} and ${ids.length - 8} more` : ids.join(', '));
  return [
    c.added.length ? `added: ${list(c.added)}` : '',
    c.removed.length ? `removed: ${list(c.removed)}` : '',
    c.changed.length ? `changed: ${list(c.changed)}` : '',
  ].filter(Boolean);
}

/**
 * The run's tasks under a changed plan (resume --force): the plan's tasks in
 * its order, each keeping its recorded state and attempts (a changed task
 * takes its new spec; a completed one is not run again), new ones pending;
 * removed tasks are dropped, with the follow-ups they spawned.
 */
export function mergePlan(records: readonly TaskRecord[], plan: readonly TaskSpec[]): TaskRecord[] {
  const byId = new Map(records.map((r) => [r.spec.id, r]));
  const merged: TaskRecord[] = plan.map((spec, order) => {
    const old = byId.get(spec.id);
    if (!old || old.spec.spawnedBy !== undefined) return { spec, order, state: { kind: 'pending' }, attempts: 0 };
    if (old.spec.agent === spec.agent) return { ...old, spec, order };
    // Another role may be another agent CLI: its conversation cannot be continued.
    const { sessionId: _id, sessionUsage: _spent, ...rest } = old;
    return { ...rest, spec, order };
  });
  const kept = new Set(merged.map((r) => r.spec.id));
  for (const r of records) {
    if (r.spec.spawnedBy === undefined || kept.has(r.spec.id) || !kept.has(r.spec.spawnedBy)) continue;
    kept.add(r.spec.id);
    merged.push({ ...r, order: merged.length });
  }
  return merged;
}

function canonical(spec: TaskSpec): string {
  const { spawnedBy: _s, ...rest } = spec;
  return JSON.stringify(Object.fromEntries(Object.entries(rest).sort(([a], [b]) => a.localeCompare(b))));
}
