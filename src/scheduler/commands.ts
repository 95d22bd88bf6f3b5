import type { TaskSpec } from '../plan/schema.js';
import { landedState } from './executor.js';
import type { Executor } from './executor.js';
import type { TaskState } from './states.js';
import type { TaskDiffResult, TaskWorkspaces } from './workspaces.js';
import type { RunStore } from './run-store.js';
import type { Waits } from './waits.js';
import { isLive } from './states.js';
import type { TaskStateKind } from './states.js';

/**
 * What a command did, as facts (docs/architecture.md §10): each front end phrases them
 * itself. `id` is the task acted on — for a retry of a blocked task, the
 * failure that blocks it.
 */
export type CommandDone =
  | { ok: true; did: 'paused'; id: string; from: 'pending' | 'running' }
  | { ok: true; did: 'resumed' | 'skipped' | 'cancelled' | 'sent' | 'marked-done'; id: string }
  | { ok: true; did: 'retrying'; id: string; attempt: number }
  /** A task waiting out a retry's backoff starts now. */
  | { ok: true; did: 'retrying-now'; id: string }
  /** A task held by its provider's open circuit breaker starts now. */
  | { ok: true; did: 'started-past-breaker'; id: string; provider: string; limit?: true }
  /** A skip or cancel of a running task: its processes are being stopped; the state follows when they are down. */
  | { ok: true; did: 'stopping'; id: string }
  | { ok: true; did: 'run-paused' | 'run-resumed' }
  /** A conflicted task's merge is being tried again; its state says how it went. */
  | { ok: true; did: 'merging'; id: string };

/** Why a command did nothing, with what the front end needs to explain it. */
export type CommandRefusal =
  | { ok: false; reason: 'unknown-task'; id: string }
  /** The command does not apply to a task in `state`. */
  | { ok: false; reason: 'wrong-state'; id: string; state: TaskStateKind }
  /** The task is already where the command would put it (paused, skipped, ended). */
  | { ok: false; reason: 'already'; id: string; state: TaskStateKind }
  /** Its process is still being started: try again in a moment. */
  | { ok: false; reason: 'starting'; id: string }
  /** Mark done applies only to an interactive agent (one in a terminal): this one ends on its own. */
  | { ok: false; reason: 'not-interactive'; id: string }
  | { ok: false; reason: 'waiting-lock'; id: string; file: string }
  /** Paused mid-run: its processes are stopped until resumed. */
  | { ok: false; reason: 'stopped'; id: string }
  | { ok: false; reason: 'no-terminal'; id: string }
  | { ok: false; reason: 'shutting-down' }
  | { ok: false; reason: 'run-already-paused' | 'run-not-paused' }
  /** mergeAgain on a task that did not fail with a merge conflict (or a run without isolated tasks). */
  | { ok: false; reason: 'not-conflicted'; id: string }
  /** Its merge is already being tried. */
  | { ok: false; reason: 'merging'; id: string };

export type CommandResult = CommandDone | CommandRefusal;

/** The parts of the run loop the person's commands act through (the Engine provides them). */
export interface CommandContext {
  readonly store: RunStore;
  readonly executor: Executor;
  readonly waits: Waits;
  /** A shutdown has begun: nothing new may start. */
  isStopping(): boolean;
  /** Re-evaluates tasks against their dependencies (eligible / blocked). */
  settle(ids: readonly string[]): void;
  /** Starts eligible tasks while slots are free. */
  pump(): void;
  dependentsOf(id: string): string[];
  /** Isolated tasks' worktrees and merges; absent when no task of the run is isolated. */
  readonly workspaces?: TaskWorkspaces;
  /** Tasks whose merge mergeAgain is trying. */
  readonly merging: Set<string>;
  /** Keeps the run from ending until `work` has settled. */
  hold(work: Promise<unknown>): void;
  /** Whether the task's role runs its agent interactively (in a terminal, until it exits or is marked done). */
  interactive(spec: TaskSpec): boolean;
  /** Spawns a completed task's workflow follow-ups. */
  spawnFollowUps(id: string): void;
}

/** No new task starts until resumeRun; running tasks go on. */
export function pauseRun(c: CommandContext): CommandResult {
  if (c.store.isPaused) return { ok: false, reason: 'run-already-paused' };
  c.store.setPaused(true);
  return { ok: true, did: 'run-paused' };
}

export function resumeRun(c: CommandContext): CommandResult {
  if (!c.store.isPaused) return { ok: false, reason: 'run-not-paused' };
  c.store.setPaused(false);
  c.pump();
  return { ok: true, did: 'run-resumed' };
}

/** Holds a pending task, or SIGSTOPs a running one. */
export function pauseTask(c: CommandContext, id: string): CommandResult {
  const record = c.store.get(id);
  if (!record) return unknown(id);
  switch (record.state.kind) {
    case 'pending':
    case 'eligible':
      c.store.setState(id, { kind: 'paused', from: 'pending' });
      return { ok: true, did: 'paused', id, from: 'pending' };
    case 'running':
      if (!c.executor.pause(id)) return { ok: false, reason: 'starting', id };
      c.store.setState(id, { kind: 'paused', from: 'running' });
      return { ok: true, did: 'paused', id, from: 'running' };
    case 'waiting-lock':
      return { ok: false, reason: 'waiting-lock', id, file: record.state.file };
    case 'paused':
      return { ok: false, reason: 'already', id, state: 'paused' };
    default:
      return wrongState(id, record.state.kind);
  }
}

/** Releases a held task, or SIGCONTs a stopped one. */
export function resumeTask(c: CommandContext, id: string): CommandResult {
  const record = c.store.get(id);
  if (!record) return unknown(id);
  if (record.state.kind !== 'paused') return wrongState(id, record.state.kind);
  if (record.state.from === 'running') {
    c.executor.resume(id);
    c.store.setState(id, { kind: 'running' });
  } else {
    c.store.setState(id, { kind: 'pending' });
    c.settle([id]);
    c.pump();
  }
  return { ok: true, did: 'resumed', id };
}

/**
 * Puts a failed or cancelled task back to pending and unblocks the tasks its
 * failure blocked. On a blocked task, retries the failure that blocks it.
 * A task waiting out a retry's backoff, or held by its provider's open
 * circuit breaker, starts now; so does a retried one.
 */
export function retryTask(c: CommandContext, id: string): CommandResult {
  const record = c.store.get(id);
  if (!record) return unknown(id);
  const state = record.state;
  if (state.kind === 'blocked') return retryTask(c, state.by);
  if (c.isStopping()) return { ok: false, reason: 'shutting-down' };
  const now = c.waits.retryNow(record);
  if (now) return { ok: true, id, ...now };
  if (state.kind !== 'failed' && state.kind !== 'cancelled') return wrongState(id, state.kind);
  // A retry discards a conflicted task's worktree: not while its merge is being tried again.
  if (c.merging.has(id)) return { ok: false, reason: 'merging', id };
  c.store.reopen();
  c.waits.allowPastBreaker(id);
  c.store.setState(id, { kind: 'pending' });
  const again = [id, ...reopenDependents(c, id, true)];
  c.settle(again);
  c.pump();
  return { ok: true, did: 'retrying', id, attempt: record.attempts + 1 };
}

/** Marks a task skipped (success for its dependents); a running one is stopped first. */
export function skipTask(c: CommandContext, id: string): CommandResult {
  const record = c.store.get(id);
  if (!record) return unknown(id);
  const kind = record.state.kind;
  if (kind === 'completed' || kind === 'skipped') return { ok: false, reason: 'already', id, state: kind };
  if (c.executor.stop(id, { kind: 'skip' })) return { ok: true, did: 'stopping', id };
  c.store.reopen();
  c.store.setState(id, { kind: 'skipped', reason: 'skipped by you' });
  // A skipped blocked task's dependents are blocked by the same root failure: they may run now
  // (settle blocks again any that another path still ties to it).
  const blockedBy = record.state.kind === 'blocked' ? record.state.by : undefined;
  c.settle([...reopenDependents(c, id, false, blockedBy), ...c.dependentsOf(id)]);
  c.pump();
  return { ok: true, did: 'skipped', id };
}

/** Cancels a task; a running one has its process group stopped. */
export function cancelTask(c: CommandContext, id: string): CommandResult {
  const record = c.store.get(id);
  if (!record) return unknown(id);
  const kind = record.state.kind;
  if (kind === 'completed' || kind === 'skipped' || kind === 'failed' || kind === 'cancelled') {
    return { ok: false, reason: 'already', id, state: kind };
  }
  if (c.executor.stop(id, { kind: 'cancel' })) return { ok: true, did: 'stopping', id };
  c.store.setState(id, { kind: 'cancelled', reason: 'cancelled' });
  c.settle(c.dependentsOf(id));
  c.pump();
  return { ok: true, did: 'cancelled', id };
}

/** Sends keystrokes to a running task's terminal (the person attached to it). */
export function sendInput(c: CommandContext, id: string, data: string): CommandResult {
  const record = c.store.get(id);
  if (!record) return unknown(id);
  if (record.state.kind === 'paused' && record.state.from === 'running') return { ok: false, reason: 'stopped', id };
  if (record.state.kind !== 'running') return wrongState(id, record.state.kind);
  if (!c.executor.write(id, data)) return { ok: false, reason: 'no-terminal', id };
  return { ok: true, did: 'sent', id };
}

/** Completes a running task at the person's word (an interactive agent), stopping its processes. */
export function markTaskDone(c: CommandContext, id: string): CommandResult {
  const record = c.store.get(id);
  if (!record) return unknown(id);
  if (!isLive(record.state)) return c.interactive(record.spec) ? wrongState(id, record.state.kind) : { ok: false, reason: 'not-interactive', id };
  const marked = c.executor.markDone(id);
  if (marked !== 'marked') return { ok: false, reason: marked, id };
  return { ok: true, did: 'marked-done', id };
}

/**
 * Merges a task that failed with a merge conflict again, once the person
 * resolved it in its kept worktree: completed (its dependents run) when the
 * merge is clean now, failed with the files still conflicted otherwise.
 */
export function mergeAgainTask(c: CommandContext, id: string): CommandResult {
  const record = c.store.get(id);
  if (!record) return unknown(id);
  const state = record.state;
  if (!c.workspaces || state.kind !== 'failed' || state.failure !== 'conflict') return { ok: false, reason: 'not-conflicted', id };
  if (c.isStopping()) return { ok: false, reason: 'shutting-down' };
  if (c.merging.has(id)) return { ok: false, reason: 'merging', id };
  c.merging.add(id);
  const work = c.workspaces.mergeAgain(record.spec).then(
    (landed) => landedState(landed, 'merged after you resolved its conflict'),
    (err: unknown): TaskState => ({ ...state, reason: `${state.reason} (merging again failed: ${err instanceof Error ? err.message : String(err)})` }),
  );
  c.hold(
    work.then((next) => {
      c.merging.delete(id);
      const now = c.store.require(id).state;
      if (now.kind !== 'failed' || now.failure !== 'conflict') return; // retried or skipped meanwhile
      c.store.reopen();
      c.store.setState(id, next);
      if (next.kind === 'completed') {
        c.spawnFollowUps(id);
        c.settle([...reopenDependents(c, id, false), ...c.dependentsOf(id)]);
      }
      c.pump();
    }),
  );
  return { ok: true, did: 'merging', id };
}

/** What a task changed, for the dashboard's `d`: only isolated tasks' work is in git to show. */
export async function taskDiffOf(c: CommandContext, id: string): Promise<TaskDiffResult> {
  const record = c.store.get(id);
  if (!record) return { ok: false, id, reason: 'unknown-task' };
  if (!c.workspaces?.isolated(record.spec)) return { ok: false, id, reason: 'not-isolated' };
  const diff = await c.workspaces.diff(record.spec);
  return diff.kind === 'diff' ? { ok: true, id, text: diff.text } : { ok: false, id, reason: 'no-diff', why: diff.why };
}

/**
 * Moves tasks below `id` blocked by `id` (or by `alsoBy`, the failure that
 * blocked `id` itself), directly or through other blocked tasks, back to
 * pending, and with `eligibleToo` eligible direct dependents as well (they
 * must wait for the retried task again); returns them.
 */
function reopenDependents(c: CommandContext, id: string, eligibleToo: boolean, alsoBy?: string): string[] {
  const reopened: string[] = [];
  const queue = c.dependentsOf(id);
  const seen = new Set(queue);
  while (queue.length) {
    const dep = queue.shift()!;
    const state = c.store.require(dep).state;
    if (state.kind === 'blocked' && (state.by === id || (alsoBy !== undefined && state.by === alsoBy))) {
      c.store.setState(dep, { kind: 'pending' });
      reopened.push(dep);
      for (const next of c.dependentsOf(dep)) {
        if (seen.has(next)) continue;
        seen.add(next);
        queue.push(next);
      }
    } else if (eligibleToo && state.kind === 'eligible') {
      c.store.setState(dep, { kind: 'pending' });
      reopened.push(dep);
    }
  }
  return reopened;
}

function wrongState(id: string, state: TaskStateKind): CommandRefusal {
  return { ok: false, reason: 'wrong-state', id, state };
}

function unknown(id: string): CommandRefusal {
  return { ok: false, reason: 'unknown-task', id };
}
