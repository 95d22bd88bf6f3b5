import { attemptLine, failureBlock, ownLine, retryNote } from '../agents/attempt.js';
import type { Execution, OutputOnly } from '../agents/backend.js';
import type { BackendRegistry } from '../agents/registry.js';
import { findUsageLimit } from '../agents/providers/usage-limit.js';
import type { TerminalFactory, TerminalScreen } from '../agents/screen.js';
import type { Config } from '../config/schema.js';
import { formatDuration } from '../plan/schema.js';
import { budgetReached, formatBudgetHit } from './budget.js';
import type { BudgetHit } from './budget.js';
import { emptyUsage } from './apply-event.js';
import { realClock } from './clock.js';
import type { Clock, TimerHandle } from './clock.js';
import { escapingWrite } from '../workspace.js';
import { OutsideWorkspaceError } from './locks.js';
import type { ResourceLockManager } from './locks.js';
import type { RunStore, TaskRecord } from './run-store.js';
import type { TaskState } from './states.js';
import { conflictReason, isConflictReason } from './workspaces.js';
import type { LandResult, TaskWorkspaces } from './workspaces.js';

/** Why an attempt was stopped before it ended by itself; decides its final state. */
export type StopCause =
  | { kind: 'cancel' }
  /** `at`: when the skip was asked (stamped by stop()). */
  | { kind: 'skip'; at?: number }
  | { kind: 'timeout'; ms: number }
  | { kind: 'budget'; hit: BudgetHit }
  | { kind: 'shutdown'; signal: string };

export interface ExecutorOptions {
  store: RunStore;
  config: Config;
  backends: BackendRegistry;
  locks: ResourceLockManager;
  workspace: string;
  /** Makes each task's terminal screen; without one, output only reaches the store. */
  terminals?: TerminalFactory;
  /** The size a task's terminal starts at (its pane's size). */
  cols?: number;
  rows?: number;
  /** Times task timeouts; the engine's clock, so a fake one drives them in tests. Default: the real clock. */
  clock?: Clock;
  /** Told after each usage report: the engine holds the run to its budget. */
  onUsage?: () => void;
  /** Worktrees for isolated tasks and the merge of their work; without it every task works in the workspace. */
  workspaces?: TaskWorkspaces;
}

/** Screens of ended tasks kept for the dashboard to show (the rest fall back to the store's last lines). */
export const KEPT_ENDED_SCREENS = 32;

/** Thrown when asked to run a task that is not eligible: a caller bug, not a task failure. */
export class NotEligibleError extends Error {
  constructor(
    readonly taskId: string,
    readonly state: string,
  ) {
    super(`task ${taskId} is not eligible to run (it is ${state})`);
    this.name = 'NotEligibleError';
  }
}

interface Active {
  controller: AbortController;
  execution?: Execution;
  timer: PausableTimer;
  /** Set by markDone: the person ended an interactive attempt as completed. */
  markedDone?: boolean;
}

/**
 * Runs one attempt of one eligible task: takes its file locks, dispatches
 * to the backend for its role, releases the locks, and records the outcome.
 */
export class Executor {
  private readonly active = new Map<string, Active>();
  /** Each task's screen, made on its first output and kept after it ends so it can still be read. */
  private readonly screens = new Map<string, TerminalScreen>();
  /** Tasks whose last attempt has ended and whose screen is still kept, oldest first. */
  private readonly ended = new Set<string>();
  /** Tasks found to have no recorded output, so the transcript is not looked for again on every frame. */
  private readonly unrecorded = new Set<string>();
  private cols: number;
  private rows: number;

  constructor(private readonly opts: ExecutorOptions) {
    this.cols = opts.cols ?? 80;
    this.rows = opts.rows ?? 24;
  }

  /**
   * The task's terminal screen, once it has printed something (undefined without a factory).
   * A task with no screen of this session that is not running (it ended before a resume, or
   * its screen was freed) gets one of its recorded transcript, if it has one.
   */
  screen(id: string): TerminalScreen | undefined {
    const screen = this.screens.get(id);
    const factory = this.opts.terminals;
    if (screen || !factory || this.active.has(id) || this.unrecorded.has(id)) return screen;
    const state = this.opts.store.get(id)?.state;
    const reason = state?.kind === 'failed' ? state.reason : undefined;
    const recorded = factory.recorded?.(id, this.cols, this.rows) ?? (reason !== undefined ? factory.open(id, this.cols, this.rows) : undefined);
    if (!recorded) {
      this.unrecorded.add(id);
      return undefined;
    }
    if (reason !== undefined) recorded.write(failureBlock(reason));
    this.screens.set(id, recorded);
    this.retireScreen(id);
    return recorded;
  }

  /** Types into a running task's terminal. False when it has none (not running, or on pipes). */
  write(id: string, data: string): boolean {
    const execution = this.active.get(id)?.execution;
    if (!execution?.write) return false;
    execution.write(data);
    return true;
  }

  /**
   * Resizes one task's terminal (its screen and its agent's pty), or with no id sets the
   * size new tasks start at and resizes every screen.
   */
  resize(cols: number, rows: number, id?: string): void {
    // Every screen, and every attempt under way: an agent that has printed nothing yet has no screen.
    const ids = id === undefined ? new Set([...this.screens.keys(), ...this.active.keys()]) : [id];
    if (id === undefined) {
      this.cols = cols;
      this.rows = rows;
    }
    for (const each of ids) {
      this.screens.get(each)?.resize(cols, rows);
      this.active.get(each)?.execution?.resize?.(cols, rows);
    }
  }

  /** Ends a running attempt as completed at the person's word, or says why it cannot be. */
  markDone(id: string): 'marked' | 'starting' | 'not-interactive' {
    const active = this.active.get(id);
    if (!active?.execution) return 'starting';
    // Only an interactive agent's execution (a pty) can be ended at the person's word.
    if (!active.execution.markDone) return 'not-interactive';
    active.markedDone = true;
    active.execution.markDone();
    return 'marked';
  }

  /**
   * Keeps the screens of the KEPT_ENDED_SCREENS tasks that ended last and frees older ones:
   * a screen holds up to `scrollback` lines, so keeping every task's would grow with the
   * plan. A freed task's pane shows the store's last lines; the transcript has everything.
   */
  private retireScreen(id: string): void {
    if (!this.screens.has(id)) return;
    this.ended.delete(id);
    this.ended.add(id);
    for (const oldest of this.ended) {
      if (this.ended.size <= KEPT_ENDED_SCREENS) break;
      this.ended.delete(oldest);
      if (this.active.has(oldest)) continue; // running again (a retry): its screen is live
      this.screens.get(oldest)?.close();
      this.screens.delete(oldest);
    }
  }

  /**
   * Marks where an attempt after the first begins, in the pane (out of whatever the last one
   * left: the alternate screen, colours, modes) and in the transcript.
   */
  private markAttempt(id: string): void {
    const { attempts } = this.opts.store.require(id);
    if (attempts < 2) return;
    const line = attemptLine(attempts, (this.opts.clock ?? realClock).now());
    this.output(id, ownLine(line), 'screen', false);
    this.output(id, `${line}\n`, 'transcript');
  }

  private output(id: string, chunk: string, only?: OutputOnly, record = true): void {
    // The screen first: when the store tells its subscribers about the output, the screen exists.
    const factory = this.opts.terminals;
    if (factory && only !== 'transcript') {
      let screen = this.screens.get(id);
      if (!screen) {
        this.screens.set(id, (screen = factory.open(id, this.cols, this.rows)));
        this.unrecorded.delete(id); // It has output now: once its screen is freed, its transcript shows it.
      }
      screen.write(chunk);
    }
    if (record) this.opts.store.appendOutput(id, chunk, only);
  }

  /** Whether the task has an attempt under way (waiting for a lock, running or paused). */
  isActive(id: string): boolean {
    return this.active.has(id);
  }

  /** Runs the task's attempt to its end and returns the task's record after it. */
  async execute(id: string, signal?: AbortSignal): Promise<TaskRecord> {
    const { store, config, backends, locks } = this.opts;
    const record = store.require(id);
    if (record.state.kind !== 'eligible') throw new NotEligibleError(id, record.state.kind);
    if (this.active.has(id)) throw new NotEligibleError(id, 'already running');

    const controller = new AbortController();
    const active: Active = { controller, timer: new PausableTimer(this.opts.clock ?? realClock) };
    const onOuterAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onOuterAbort, { once: true });
    if (signal?.aborted) onOuterAbort();
    this.active.set(id, active);

    let final: TaskState;
    let release: (() => void) | undefined;
    try {
      const spec = record.spec;
      const role = config.agents[spec.agent];
      const provider = role && config.providers[role.provider];
      const backend = provider && backends[provider.type];
      if (controller.signal.aborted) {
        final = stoppedState(controller.signal.reason);
      } else if (!role) {
        final = { kind: 'failed', reason: `unknown role '${spec.agent}' (known: ${Object.keys(config.agents).join(', ')})` };
      } else if (!provider) {
        final = { kind: 'failed', reason: `role '${spec.agent}' names unknown provider '${role.provider}'` };
      } else if (!backend) {
        final = {
          kind: 'failed',
          reason: `provider '${role.provider}' has type '${provider.type}', which this build cannot run`,
        };
      } else {
        if (spec.writes.length) {
          release = await locks.acquireAll(spec.writes, {
            holder: id,
            signal: controller.signal,
            onWait: (file, heldBy) => {
              store.setState(id, heldBy ? { kind: 'waiting-lock', file, heldBy } : { kind: 'waiting-lock', file });
            },
          });
        }
        store.setState(id, { kind: 'running' });
        this.markAttempt(id);
        if (spec.timeoutMs !== undefined) {
          const ms = spec.timeoutMs;
          active.timer.start(ms, () => controller.abort({ kind: 'timeout', ms } satisfies StopCause));
        }
        const now = store.require(id);
        const isolated = this.opts.workspaces?.isolated(spec) ? this.opts.workspaces : undefined;
        // An isolated task's worktree is made now, from the result holding every dependency's merged work.
        const opened = isolated ? await isolated.open(spec, { fresh: isConflictReason(now.lastFailure), signal: controller.signal }) : { kind: 'ready' as const, workspace: { cwd: this.opts.workspace } };
        // The task reads completed only once its work is merged, so its dependents start from a result that holds it.
        const land = async (result: string): Promise<TaskState> => {
          if (!isolated) return { kind: 'completed', result };
          const session = store.require(id).sessionId;
          return landedState(await isolated.land(spec, { result, agent: `${spec.agent}/${role.provider}`, ...(session ? { session } : {}) }), result);
        };
        // The worktree may hold a symlink an earlier task committed, which the workspace the locks resolved in does not have yet.
        const escaping = isolated && opened.kind === 'ready' ? escapingWrite(this.opts.workspace, opened.workspace.cwd, spec.writes) : undefined;
        if (opened.kind === 'failed') final = controller.signal.aborted ? stoppedState(controller.signal.reason) : { kind: 'failed', reason: opened.reason, failure: 'permanent' };
        else if (escaping) final = { kind: 'failed', reason: `refused: '${escaping.file}' is outside the task's worktree: its real location is ${escaping.real}`, failure: 'permanent' };
        else if (opened.kind === 'already-merged') final = { kind: 'completed', result: 'its work was merged before the run was interrupted' };
        else if (opened.kind === 'committed') final = await land('its work was committed before the run was interrupted');
        else if (controller.signal.aborted) final = stoppedState(controller.signal.reason);
        else {
          // A retry (or a resumed run) continues the agent's conversation when it reported one.
          const resume = config.resumeOnRetry && now.attempts > 1 && now.sessionId !== undefined;
          const execution = backend.start({
            task: spec,
            roleName: spec.agent,
            role,
            providerName: role.provider,
            provider,
            workspace: opened.workspace,
            attempt: now.attempts,
            signal: controller.signal,
            killGraceMs: config.killGraceMs,
            cols: this.cols,
            rows: this.rows,
            ...(resume ? { resumeSessionId: now.sessionId } : {}),
            ...(resume && now.lastFailure !== undefined ? { retryNote: retryNoteOf(now.lastFailure) } : {}),
            ...(resume && now.sessionUsage !== undefined ? { usageSoFar: now.sessionUsage } : {}),
            output: (chunk, only) => this.output(id, chunk, only),
            report: (info) => {
              store.report(id, info);
              // Over its own budget: stopped like a timeout (checked on each report, so a long attempt is cut short).
              const hit = budgetReached(spec.budget, store.require(id).usage ?? emptyUsage());
              if (hit && !controller.signal.aborted) controller.abort({ kind: 'budget', hit } satisfies StopCause);
              this.opts.onUsage?.();
            },
          });
          active.execution = execution;
          const outcome = await execution.done;
          // A success stands even if a stop came after it (the agent had already ended: the
          // backend only reports ok for an exit that came first); finished work is never thrown away.
          if (active.markedDone) final = await land(outcome.ok ? outcome.result : 'marked done by you');
          else if (outcome.ok) final = await land(outcome.result);
          else if (controller.signal.aborted) final = stoppedState(controller.signal.reason);
          else {
            final = {
              kind: 'failed',
              reason: outcome.reason,
              ...(outcome.exitCode !== undefined ? { exitCode: outcome.exitCode } : {}),
              ...(outcome.failure !== undefined ? { failure: outcome.failure } : {}),
              ...(outcome.retryAfterMs !== undefined ? { retryAfterMs: outcome.retryAfterMs } : {}),
              ...(outcome.resetsAt !== undefined ? { resetsAt: outcome.resetsAt } : {}),
            };
          }
        }
      }
    } catch (err) {
      final = controller.signal.aborted
        ? stoppedState(controller.signal.reason)
        : err instanceof OutsideWorkspaceError
          ? { kind: 'failed', reason: `refused: ${err.message}`, failure: 'permanent' }
          : { kind: 'failed', reason: `internal error: ${err instanceof Error ? err.message : String(err)}` };
    } finally {
      active.timer.stop();
      signal?.removeEventListener('abort', onOuterAbort);
      release?.();
      this.active.delete(id);
    }
    const ended = store.setState(id, final);
    // The whole reason, below the output in the pane (the task row shows its first line).
    // A usage limit is not the task failing: it waits for the reset (waits.ts), and the pane says so.
    if (final.kind === 'failed') this.output(id, failureBlock(final.reason, final.failure === 'usage-limit' ? "usage limit: waiting for the provider's reset" : 'failed'), 'screen', false);
    this.retireScreen(id);
    return ended;
  }

  /** Stops an attempt under way; its final state follows from the cause. False when none is. */
  stop(id: string, cause: StopCause): boolean {
    const active = this.active.get(id);
    if (!active) return false;
    // A skip is stamped now: the task's time ends when the person skipped it, however long its processes take to stop.
    if (!active.controller.signal.aborted) active.controller.abort(cause.kind === 'skip' ? { ...cause, at: (this.opts.clock ?? realClock).now() } : cause);
    return true;
  }

  /** SIGSTOPs a running attempt and holds its timeout clock. */
  pause(id: string): boolean {
    const active = this.active.get(id);
    if (!active?.execution) return false;
    active.execution.pause();
    active.timer.pause();
    return true;
  }

  /** SIGCONTs a paused attempt and restarts its timeout clock where it stood. */
  resume(id: string): boolean {
    const active = this.active.get(id);
    if (!active?.execution) return false;
    active.execution.resume();
    active.timer.resume();
    return true;
  }

  /** How many attempts are under way: the slots in use. */
  get activeCount(): number {
    return this.active.size;
  }

  /** Ids of every attempt under way. */
  activeIds(): string[] {
    return [...this.active.keys()];
  }
}

/** Why the last attempt failed, for the agent, in short (retryNote); a conflict also says where it now stands. */
function retryNoteOf(lastFailure: string): string {
  if (findUsageLimit(lastFailure)) return "it was stopped by the provider's usage limit, which has reset now";
  if (!isConflictReason(lastFailure)) return retryNote(lastFailure);
  return `your work did not merge (${lastFailure}): other tasks changed the same lines meanwhile. This attempt starts in a fresh worktree that holds their work; make your change again on top of it`;
}

/** The state a successful attempt ends in once its work came back (or did not) through the merge queue. */
export function landedState(landed: LandResult, result: string): TaskState {
  switch (landed.kind) {
    case 'merged':
    case 'no-change':
      return { kind: 'completed', result };
    case 'conflict':
    case 'unresolved':
      return { kind: 'failed', reason: conflictReason(landed.files), failure: 'conflict', files: landed.files };
    case 'failed':
      return { kind: 'failed', reason: landed.reason, failure: 'permanent' };
    default: {
      const never: never = landed;
      throw new Error(`unknown land result ${JSON.stringify(never)}`);
    }
  }
}

/** The state an attempt ends in when it was stopped for `reason`. */
export function stoppedState(reason: unknown): TaskState {
  const cause = isStopCause(reason) ? reason : undefined;
  switch (cause?.kind) {
    case 'timeout':
      return { kind: 'failed', reason: `timed out after ${formatDuration(cause.ms)}` };
    case 'budget':
      return { kind: 'failed', reason: `stopped: its ${formatBudgetHit(cause.hit)}`, failure: 'permanent' };
    case 'skip':
      return { kind: 'skipped', reason: 'skipped while running', ...(cause.at !== undefined ? { at: cause.at } : {}) };
    case 'shutdown':
      return { kind: 'cancelled', reason: `interrupted (${cause.signal})` };
    case 'cancel':
    case undefined:
      return { kind: 'cancelled', reason: 'cancelled' };
    default: {
      const never: never = cause;
      throw new Error(`unknown stop cause ${JSON.stringify(never)}`);
    }
  }
}

function isStopCause(value: unknown): value is StopCause {
  return typeof value === 'object' && value !== null && typeof (value as { kind?: unknown }).kind === 'string';
}

/** A one-shot timer on the engine's clock that can be held while its task is paused. */
class PausableTimer {
  private handle: TimerHandle | undefined;
  private remaining = 0;
  private since = 0;
  private fire: (() => void) | undefined;

  constructor(private readonly clock: Clock) {}

  start(ms: number, fire: () => void): void {
    this.fire = fire;
    this.remaining = ms;
    this.resume();
  }

  pause(): void {
    if (this.handle === undefined) return;
    this.clock.clearTimeout(this.handle);
    this.handle = undefined;
    this.remaining -= this.clock.now() - this.since;
  }

  resume(): void {
    if (this.handle !== undefined || !this.fire) return;
    this.since = this.clock.now();
    this.handle = this.clock.setTimeout(this.fire, Math.max(0, this.remaining));
  }

  stop(): void {
    if (this.handle !== undefined) this.clock.clearTimeout(this.handle);
    this.handle = undefined;
    this.fire = undefined;
  }
}
