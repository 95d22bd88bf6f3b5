import type { FailureClass } from '../agents/backend.js';
import type { FailureMode } from '../config/schema.js';

/**
 * A task's state (docs/architecture.md §3) as a discriminated union: each state carries
 * exactly the detail that makes sense for it.
 */
export type TaskState =
  /**
   * `retry`: the last attempt failed and an automatic retry waits out its backoff.
   * `hold`: the last attempt met its provider's usage limit; the task waits for the reset.
   */
  | { kind: 'pending'; retry?: RetryWait; hold?: LimitHold }
  /** `breaker`: ready, but its provider's circuit breaker is open (or probing) so it waits. */
  | { kind: 'eligible'; breaker?: BreakerWait }
  | { kind: 'waiting-lock'; file: string; heldBy?: string }
  | { kind: 'running' }
  | { kind: 'paused'; from: 'pending' | 'running' }
  | { kind: 'completed'; result: string }
  /** `failure: 'conflict'`: the agent's work did not merge into the run's result; `files` names where. */
  /** `resetsAt`: a usage limit's reset (epoch ms), when the agent said (`failure: 'usage-limit'`). */
  | { kind: 'failed'; reason: string; exitCode?: number; failure?: FailureClass | 'conflict'; files?: string[]; retryAfterMs?: number; resetsAt?: number }
  | { kind: 'skipped'; reason: string }
  | { kind: 'blocked'; by: string; reason: string }
  | { kind: 'cancelled'; reason: string };

export type TaskStateKind = TaskState['kind'];

/** An automatic retry waiting for its backoff: shown as `retrying in 8s (2/3)`. */
export interface RetryWait {
  /** When the wait ends (epoch ms, on the engine's clock). */
  at: number;
  /** Which automatic retry this is (1-based) and how many the task gets. */
  attempt: number;
  of: number;
  /** Why the wait is this long: the backoff, or the agent's own retry-after. */
  reason: 'backoff' | 'retry-after';
}

/** A ready task held back because its provider's circuit breaker is open, or its usage limit was met. */
export interface BreakerWait {
  provider: string;
  /** When the breaker lets one probe task through (epoch ms); at or before now: a probe is running. A usage limit: when the hold ends. */
  until: number;
  /** Consecutive transient failures that opened it. */
  failures: number;
  /** Set when the provider is held for its usage limit until `until` (the reset, and a margin). */
  limit?: true;
}

/** The wait of a task whose provider's usage limit stopped it: recorded, so a resumed run keeps the hold. */
export interface LimitHold {
  /** When the provider may be used again (epoch ms): its reported reset, and a margin. */
  until: number;
}

export const STATE_KINDS: readonly TaskStateKind[] = [
  'pending',
  'eligible',
  'waiting-lock',
  'running',
  'paused',
  'completed',
  'failed',
  'skipped',
  'blocked',
  'cancelled',
];

/** An attempt is under way with a process behind it: running, or paused while running (SIGSTOPped). */
export function isLive(state: TaskState): boolean {
  return state.kind === 'running' || (state.kind === 'paused' && state.from === 'running');
}

/**
 * A task a shutdown stopped (Ctrl+C, a signal, quitting the dashboard): cancelled
 * with the reason `interrupted (SIGINT)`, and run again by resume. Reports call it
 * `interrupted`, never failed or cancelled: nobody gave up on it.
 */
export function isInterrupted(state: TaskState): boolean {
  return state.kind === 'cancelled' && state.reason.startsWith('interrupted');
}

/** States a task never leaves on its own; only a command (retry, skip) moves it. */
export function isFinished(kind: TaskStateKind): boolean {
  return kind === 'completed' || kind === 'failed' || kind === 'skipped' || kind === 'blocked' || kind === 'cancelled';
}

/**
 * Waiting to start: on dependencies (pending) or for a slot (eligible).
 * Moves between these two are the scheduler's own bookkeeping, recomputed
 * from the dependencies whenever a run starts or resumes.
 */
export function isWaitingToStart(kind: TaskStateKind): boolean {
  return kind === 'pending' || kind === 'eligible';
}

/** The states with work left in them: a run with a task in one of these has not finished. */
export const UNFINISHED_KINDS: readonly TaskStateKind[] = STATE_KINDS.filter((k) => !isFinished(k));

/**
 * Whether counts of tasks by state kind (a snapshot's, or a database's
 * `kind` column grouped) include unfinished work. Unknown kinds count as finished.
 */
export function hasUnfinished(counts: Readonly<Record<string, number>>): boolean {
  return UNFINISHED_KINDS.some((k) => (counts[k] ?? 0) > 0);
}

/** Which states each state may move to. Anything else is a bug in the caller. */
function allowedFrom(from: TaskState): readonly TaskStateKind[] {
  switch (from.kind) {
    case 'pending':
      // pending → pending: a retry's backoff wait ended or was dropped.
      return ['pending', 'eligible', 'paused', 'skipped', 'blocked', 'cancelled'];
    case 'eligible':
      // eligible → failed: it could not start (its role or provider cannot run).
      // eligible → eligible: its provider's breaker opened, reopened or closed.
      return ['pending', 'eligible', 'waiting-lock', 'running', 'failed', 'paused', 'skipped', 'blocked', 'cancelled'];
    case 'waiting-lock':
      // waiting-lock → waiting-lock: the task now waits for its next file.
      return ['waiting-lock', 'running', 'failed', 'cancelled', 'skipped'];
    case 'running':
      return ['completed', 'failed', 'paused', 'cancelled', 'skipped'];
    case 'paused':
      return from.from === 'running'
        ? ['running', 'completed', 'failed', 'cancelled', 'skipped']
        : ['pending', 'skipped', 'blocked', 'cancelled'];
    case 'completed':
      return [];
    case 'failed':
      // A merge conflict the person resolved merges again (mergeAgain): completed, or still conflicted.
      return from.failure === 'conflict' ? ['pending', 'skipped', 'completed', 'failed'] : ['pending', 'skipped'];
    case 'skipped':
      return [];
    case 'blocked':
      return ['pending', 'skipped', 'cancelled'];
    case 'cancelled':
      return ['pending', 'skipped'];
    default: {
      const never: never = from;
      throw new Error(`unknown task state ${JSON.stringify(never)}`);
    }
  }
}

/** Thrown when something asks for a move the state machine does not allow. */
export class IllegalTransitionError extends Error {
  constructor(
    readonly taskId: string,
    readonly from: TaskStateKind,
    readonly to: TaskStateKind,
  ) {
    super(`task ${taskId}: cannot go from ${from} to ${to}`);
    this.name = 'IllegalTransitionError';
  }
}

export function canTransition(from: TaskState, to: TaskStateKind): boolean {
  return allowedFrom(from).includes(to);
}

/** Checks a transition and returns the new state, or throws IllegalTransitionError. */
export function transition(taskId: string, from: TaskState, to: TaskState): TaskState {
  if (!canTransition(from, to.kind)) throw new IllegalTransitionError(taskId, from.kind, to.kind);
  return to;
}

/** How a finished dependency counts for the tasks that depend on it. */
export type DependencyVerdict = 'satisfied' | 'waiting' | 'dead';

/**
 * A dependency is satisfied when completed, skipped, or failed/cancelled with
 * mode soft or skip; dead (its dependents are blocked) when failed/cancelled
 * with mode hard, or itself blocked; otherwise the dependent waits.
 */
export function dependencyVerdict(state: TaskState, mode: FailureMode): DependencyVerdict {
  switch (state.kind) {
    case 'completed':
    case 'skipped':
      return 'satisfied';
    case 'failed':
    case 'cancelled':
      return mode === 'hard' ? 'dead' : 'satisfied';
    case 'blocked':
      return 'dead';
    case 'pending':
    case 'eligible':
    case 'waiting-lock':
    case 'running':
    case 'paused':
      return 'waiting';
    default: {
      const never: never = state;
      throw new Error(`unknown task state ${JSON.stringify(never)}`);
    }
  }
}

/** True when a task ended in a way that lets the run exit 0. */
export function endedOk(state: TaskState, mode: FailureMode): boolean {
  switch (state.kind) {
    case 'completed':
    case 'skipped':
      return true;
    case 'failed':
      return mode !== 'hard';
    default:
      return false;
  }
}
