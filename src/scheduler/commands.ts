import type { Executor } from './executor.js';
import type { RunStore } from './run-store.js';
import type { Waits } from './waits.js';
import { isLive } from './states.js';

/** What a command did, in words fit for the dashboard's footer. */
export interface CommandResult {
  ok: boolean;
  message: string;
}

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
}

/** Holds a pending task, or SIGSTOPs a running one. */
export function pauseTask(c: CommandContext, id: string): CommandResult {
  const record = c.store.get(id);
  if (!record) return unknown(id);
  switch (record.state.kind) {
    case 'pending':
    case 'eligible':
      c.store.setState(id, { kind: 'paused', from: 'pending' });
      return ok(`paused ${id}: it will not start until resumed`);
    case 'running':
      if (!c.executor.pause(id)) return no(`${id} is starting; try again in a moment`);
      c.store.setState(id, { kind: 'paused', from: 'running' });
      return ok(`paused ${id} (its processes are stopped)`);
    case 'waiting-lock':
      return no(`${id} is waiting for a lock on ${record.state.file}; cancel it instead`);
    case 'paused':
      return no(`${id} is already paused`);
    default:
      return no(`${id} is ${record.state.kind}; only pending or running tasks can be paused`);
  }
}

/** Releases a held task, or SIGCONTs a stopped one. */
export function resumeTask(c: CommandContext, id: string): CommandResult {
  const record = c.store.get(id);
  if (!record) return unknown(id);
  if (record.state.kind !== 'paused') return no(`${id} is not paused (it is ${record.state.kind})`);
  if (record.state.from === 'running') {
    c.executor.resume(id);
    c.store.setState(id, { kind: 'running' });
  } else {
    c.store.setState(id, { kind: 'pending' });
    c.settle([id]);
    c.pump();
  }
  return ok(`resumed ${id}`);
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
  if (c.isStopping()) return no('the run is shutting down');
  const now = c.waits.retryNow(record);
  if (now !== undefined) return ok(now);
  if (state.kind !== 'failed' && state.kind !== 'cancelled') {
    return no(`${id} is ${state.kind}; only failed, cancelled or blocked tasks can be retried`);
  }
  c.store.reopen();
  c.waits.allowPastBreaker(id);
  c.store.setState(id, { kind: 'pending' });
  const again = [id, ...reopenDependents(c, id, true)];
  c.settle(again);
  c.pump();
  return ok(`retrying ${id} (attempt ${record.attempts + 1})`);
}

/** Marks a task skipped (success for its dependents); a running one is stopped first. */
export function skipTask(c: CommandContext, id: string): CommandResult {
  const record = c.store.get(id);
  if (!record) return unknown(id);
  const kind = record.state.kind;
  if (kind === 'completed' || kind === 'skipped') return no(`${id} is already ${kind}`);
  if (c.executor.stop(id, { kind: 'skip' })) return ok(`skipping ${id}: stopping it`);
  c.store.reopen();
  c.store.setState(id, { kind: 'skipped', reason: 'skipped by you' });
  // A skipped blocked task's dependents are blocked by the same root failure: they may run now
  // (settle blocks again any that another path still ties to it).
  const blockedBy = record.state.kind === 'blocked' ? record.state.by : undefined;
  c.settle([...reopenDependents(c, id, false, blockedBy), ...c.dependentsOf(id)]);
  c.pump();
  return ok(`skipped ${id}`);
}

/** Cancels a task; a running one has its process group stopped. */
export function cancelTask(c: CommandContext, id: string): CommandResult {
  const record = c.store.get(id);
  if (!record) return unknown(id);
  const kind = record.state.kind;
  if (kind === 'completed' || kind === 'skipped' || kind === 'failed' || kind === 'cancelled') {
    return no(`${id} has already ended (${kind})`);
  }
  if (c.executor.stop(id, { kind: 'cancel' })) return ok(`cancelling ${id}: stopping its processes`);
  c.store.setState(id, { kind: 'cancelled', reason: 'cancelled' });
  c.settle(c.dependentsOf(id));
  c.pump();
  return ok(`cancelled ${id}`);
}

/** Sends keystrokes to a running task's terminal (the person attached to it). */
export function sendInput(c: CommandContext, id: string, data: string): CommandResult {
  const record = c.store.get(id);
  if (!record) return unknown(id);
  if (record.state.kind === 'paused' && record.state.from === 'running') return no(`${id} is paused; resume it to type into it`);
  if (record.state.kind !== 'running') return no(`${id} is ${record.state.kind}; only a running task takes input`);
  if (!c.executor.write(id, data)) return no(`${id} runs without a terminal; it takes no input`);
  return ok(`sent to ${id}`);
}

/** Completes a running task at the person's word (an interactive agent), stopping its processes. */
export function markTaskDone(c: CommandContext, id: string): CommandResult {
  const record = c.store.get(id);
  if (!record) return unknown(id);
  if (!isLive(record.state)) return no(`${id} is ${record.state.kind}; only a running task can be marked done`);
  if (!c.executor.markDone(id)) return no(`${id} cannot be marked done (it is still starting)`);
  return ok(`marked ${id} done`);
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

export function ok(message: string): CommandResult {
  return { ok: true, message };
}

export function no(message: string): CommandResult {
  return { ok: false, message };
}

function unknown(id: string): CommandResult {
  return no(`no task '${id}' in this run`);
}
