import { willCreateCycle } from 'graphology-dag';
import type { DirectedGraph } from 'graphology';
import type { TerminalFactory, TerminalScreen } from '../agents/screen.js';
import type { Config } from '../config/schema.js';
import { buildGraph } from '../graph/build.js';
import type { Budget, Plan, TaskSpec } from '../plan/schema.js';
import { realClock } from './clock.js';
import type { Clock } from './clock.js';
import { Executor } from './executor.js';
import type { BackendRegistry } from '../agents/registry.js';
import type { StopCause } from './executor.js';
import { ResourceLockManager } from './locks.js';
import { RunStore } from './run-store.js';
import type { TaskRecord } from './run-store.js';
import { readiness } from './eligibility.js';
import { ReadyQueue } from './ready-queue.js';
import { endedOk, isFinished } from './states.js';
import { Waits } from './waits.js';
import { budgetReached, runBudget } from './budget.js';
import { providerOf } from './retry-policy.js';
import { USAGE_LIMIT_STOP } from '../report/exit-codes.js';
import type { BudgetHit } from './budget.js';
import { cancelTask, markTaskDone, mergeAgainTask, pauseRun, pauseTask, resumeRun, resumeTask, retryTask, sendInput, skipTask, taskDiffOf } from './commands.js';
import type { CommandContext, CommandResult } from './commands.js';
import { followUpsFor } from './workflows.js';
import type { TaskDiffResult, TaskWorkspaces } from './workspaces.js';

export interface EngineOptions {
  plan: Plan;
  config: Config;
  backends: BackendRegistry;
  /** Overrides `config.concurrency` (the `--concurrency` flag). */
  concurrency?: number;
  publishIntervalMs?: number;
  /** Makes each task's terminal screen (the dashboard reads them); none when headless. */
  terminals?: TerminalFactory;
  /** The size agents' terminals start at (the dashboard's pane); default 80×24. */
  cols?: number;
  rows?: number;
  /** Time for retry backoffs, breaker cooldowns and task timeouts; tests pass a fake one. Default: the real clock. */
  clock?: Clock;
  /** Uniform in [0, 1): the backoff's jitter. Default: Math.random. */
  random?: () => number;
  /** SIGKILLs every agent process group at once: a forced shutdown (a second Ctrl+C) skips the grace. */
  killAll?: () => void;
  /**
   * Resume: the run's tasks as an earlier session left them (follow-ups
   * included, in order), instead of the plan's tasks all pending. Finished
   * tasks stay finished; the rest are settled and run as usual.
   */
  restore?: readonly TaskRecord[];
  /** The run's budget, replacing config's and the plan's (resume: the recorded one, or `--budget`). */
  budget?: Budget;
  /** Worktrees for isolated tasks and the merge queue (docs/architecture.md §6); without it every task works in the workspace. */
  workspaces?: TaskWorkspaces;
}

export type { CommandDone, CommandRefusal, CommandResult } from './commands.js';

/** How a run ended. */
export interface RunSummary {
  /** 0: every task completed, skipped, or failed with mode soft/skip; 1 otherwise. */
  exitCode: 0 | 1;
  /** Set when a shutdown stopped the run before every task finished. */
  interrupted?: string;
  /** Set when the run stopped starting tasks because its spend reached the budget, with work left. */
  budget?: BudgetHit;
  tasks: readonly TaskRecord[];
}

/**
 * The run loop: decides which tasks are eligible, starts them in plan order
 * up to the concurrency limit, applies failure modes downstream, spawns
 * workflow follow-ups, and carries out the person's commands.
 */
export class Engine {
  readonly store: RunStore;
  readonly concurrency: number;
  private readonly graph: DirectedGraph;
  private readonly executor: Executor;
  private readonly ready = new ReadyQueue();
  private stopping: StopCause | undefined;
  /** The signal that stopped the run while work was left, if one did. */
  private interruptedBy: string | undefined;
  /** The budget the run's spend reached: no task starts after it. */
  private budgetHit: BudgetHit | undefined;
  /** Running tasks the budget stopped (config `budget.onExceed: stop`). */
  private budgetStopped = false;
  /** A provider's usage limit resets further ahead than `limits.maxWaitHours`: no task starts, and the run ends interrupted. */
  private limitStop: { provider: string; until: number } | undefined;
  /** The run's limits (docs: runBudget); undefined when it has none. */
  readonly budget: Budget | undefined;
  private started = false;
  private pumping = false;
  /** Attempts started and not yet settled downstream (their follow-ups may still come). */
  private settling = 0;
  private idleWaiters: Array<(summary: RunSummary) => void> = [];
  /** Retry backoffs and circuit breakers: the waits on time, with their timers. */
  private readonly waits: Waits;
  /** What the person's commands (commands.ts) may touch of the run loop. */
  private readonly commands: CommandContext;

  constructor(private readonly opts: EngineOptions) {
    const { plan, config } = opts;
    this.concurrency = opts.concurrency ?? config.concurrency;
    this.budget = opts.budget ?? runBudget(config.budget, plan.budget);
    this.store = new RunStore({
      plan: plan.name,
      file: plan.file,
      workspace: plan.workspace,
      concurrency: this.concurrency,
      ...(this.budget ? { budget: this.budget } : {}),
      ...(opts.publishIntervalMs !== undefined ? { publishIntervalMs: opts.publishIntervalMs } : {}),
      // Events are stamped on the clock retry waits use, so a `retrying in 8s` line reads right.
      ...(opts.clock ? { now: () => opts.clock!.now() } : {}),
      onTransition: (e) => this.waits.onTransition(e),
    });
    this.graph = buildGraph(opts.restore ? opts.restore.map((r) => r.spec) : plan.tasks);
    this.executor = new Executor({
      store: this.store,
      config,
      backends: opts.backends,
      locks: new ResourceLockManager({ workspace: plan.workspace }),
      workspace: plan.workspace,
      clock: opts.clock ?? realClock,
      onUsage: () => this.checkBudget(),
      ...(opts.workspaces ? { workspaces: opts.workspaces } : {}),
      ...(opts.terminals ? { terminals: opts.terminals } : {}),
      ...(opts.cols !== undefined ? { cols: opts.cols } : {}),
      ...(opts.rows !== undefined ? { rows: opts.rows } : {}),
    });
    this.waits = new Waits({
      store: this.store,
      config,
      clock: opts.clock ?? realClock,
      random: opts.random ?? Math.random,
      offer: (record) => this.ready.push(record),
      wake: (ids) => {
        if (this.stopping) return;
        this.settle(ids);
        this.pump();
      },
    });
    this.commands = {
      store: this.store,
      executor: this.executor,
      waits: this.waits,
      isStopping: () => this.stopping !== undefined,
      settle: (ids) => this.settle(ids),
      pump: () => this.pump(),
      dependentsOf: (id) => this.dependentsOf(id),
      ...(opts.workspaces ? { workspaces: opts.workspaces } : {}),
      merging: new Set(),
      hold: (work) => void (this.settling++, work.finally(() => setImmediate(() => (this.settling--, this.checkIdle())))),
      spawnFollowUps: (id) => this.spawnCompletedFollowUps(this.store.require(id)),
      interactive: (spec) => config.agents[spec.agent]?.interactive === true,
    };
  }

  /** Starts the run; resolves when every task has finished, or a shutdown has stopped it. */
  run(): Promise<RunSummary> {
    if (!this.started) {
      this.started = true;
      const restore = this.opts.restore;
      if (restore) {
        this.store.restore(restore);
        // A task that completed just before a crash may not have spawned its follow-ups yet.
        const parents = new Set(restore.map((r) => r.spec.spawnedBy));
        for (const r of restore) {
          if (parents.has(r.spec.id)) continue;
          if (r.state.kind === 'completed') this.spawnCompletedFollowUps(r);
          else if (r.state.kind === 'failed' && r.spec.failureMode !== 'hard') this.spawnFollowUps(r.spec, `(failed, ${r.spec.failureMode}) ${r.state.reason}`);
        }
        // A provider held for its usage limit when the run stopped is held until the same time.
        for (const r of restore) {
          const provider = providerOf(r.spec, this.opts.config);
          if (r.state.kind === 'pending' && r.state.hold && provider !== undefined) this.waits.holdProvider(provider, r.state.hold.until);
        }
        this.checkLimits();
      } else {
        this.store.start(this.opts.plan.tasks);
      }
      this.settle(this.store.getSnapshot().tasks.map((t) => t.spec.id));
      this.pump();
    }
    return this.whenIdle();
  }

  /** Resolves when nothing is running and nothing more can start. */
  whenIdle(): Promise<RunSummary> {
    return new Promise((resolve) => {
      if (this.isIdle()) resolve(this.summary());
      else this.idleWaiters.push(resolve);
    });
  }

  /** Holds a pending task, or SIGSTOPs a running one. */
  pause(id: string): CommandResult {
    return pauseTask(this.commands, id);
  }

  /** Releases a held task, or SIGCONTs a stopped one. */
  resume(id: string): CommandResult {
    return resumeTask(this.commands, id);
  }

  /** No new task starts until resumeAll; running tasks go on. */
  pauseAll(): CommandResult {
    return pauseRun(this.commands);
  }

  resumeAll(): CommandResult {
    return resumeRun(this.commands);
  }

  /** Runs a failed, cancelled or blocked task again (see retryTask), or one waiting to retry now. */
  retry(id: string): CommandResult {
    return retryTask(this.commands, id);
  }

  /** Marks a task skipped (success for its dependents); a running one is stopped first. */
  skip(id: string): CommandResult {
    return skipTask(this.commands, id);
  }

  /** Cancels a task; a running one has its process group stopped. */
  cancel(id: string): CommandResult {
    return cancelTask(this.commands, id);
  }

  /**
   * Stops the run: nothing new starts, no retry or breaker timer fires, every
   * attempt under way is stopped (its tasks become cancelled) and the run
   * resolves once they are down. `force` SIGKILLs them without a grace period.
   */
  shutdown(signal: string, opts: { force?: boolean } = {}): Promise<RunSummary> {
    if (!this.stopping) {
      if (this.store.unfinished > 0) this.interruptedBy = signal;
      this.stopping = { kind: 'shutdown', signal };
      this.waits.stop();
      for (const id of this.executor.activeIds()) this.executor.stop(id, this.stopping);
    }
    // Forced (a second Ctrl+C): no grace period; the attempts still end, and are recorded, as interrupted.
    if (opts.force) this.opts.killAll?.();
    this.checkIdle();
    return this.whenIdle();
  }

  /** Merges a task that failed with a merge conflict again, after the person resolved it in its kept worktree. */
  mergeAgain(id: string): CommandResult {
    return mergeAgainTask(this.commands, id);
  }

  /** What an isolated task changed so far (its worktree, or its merged change). */
  taskDiff(id: string): Promise<TaskDiffResult> {
    return taskDiffOf(this.commands, id);
  }

  /** Sends keystrokes to a running task's terminal (the person attached to it). */
  sendInput(id: string, data: string): CommandResult {
    return sendInput(this.commands, id, data);
  }

  /** Resizes one task's terminal, or with no id every task's (and the size new ones start at). */
  resize(cols: number, rows: number, id?: string): void {
    this.executor.resize(Math.max(1, Math.floor(cols)), Math.max(1, Math.floor(rows)), id);
  }

  /** Completes a running task at the person's word (an interactive agent), stopping its processes. */
  markDone(id: string): CommandResult {
    return markTaskDone(this.commands, id);
  }

  /** The task's terminal screen, once it has printed something (only with a terminal factory). */
  screen(id: string): TerminalScreen | undefined {
    return this.executor.screen(id);
  }

  /** Ids of the tasks that depend directly on `id`. */
  dependentsOf(id: string): string[] {
    return this.graph.hasNode(id) ? this.graph.outNeighbors(id) : [];
  }

  private summary(): RunSummary {
    const tasks = this.store.getSnapshot().tasks;
    const allOk = tasks.every((t) => endedOk(t.state, t.spec.failureMode));
    // A budget that stopped nothing (every task had finished) is not a reason the run ended.
    const budget = this.budgetHit && (this.store.unfinished > 0 || this.budgetStopped) ? this.budgetHit : undefined;
    const interrupted = this.interruptedBy ?? (this.limitStop && this.store.unfinished > 0 ? USAGE_LIMIT_STOP : undefined);
    return {
      exitCode: allOk && !budget ? 0 : 1,
      ...(interrupted ? { interrupted } : {}),
      ...(budget ? { budget } : {}),
      tasks,
    };
  }

  private isIdle(): boolean {
    if (!this.started || this.settling > 0) return false;
    if (this.store.unfinished === 0 || this.stopping !== undefined) return true;
    // Over budget, or a usage limit too far ahead: what runs finishes, nothing new starts; tasks not started stay unfinished, for resume.
    return (this.budgetHit !== undefined || this.limitStop !== undefined) && this.executor.activeCount === 0;
  }

  private checkIdle(): void {
    if (!this.isIdle()) return;
    this.waits.idle();
    const summary = this.summary();
    if (!this.store.isFinished) {
      this.store.finish(summary.exitCode, summary.interrupted, summary.budget);
      // Published now, not on the next tick: a dashboard quitting as the run stops draws its last frame from this.
      this.store.close();
    }
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w(summary);
  }

  /** Starts eligible tasks in plan order while there are free slots. */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    this.checkBudget();
    try {
      while (!this.store.isPaused && !this.stopping && !this.budgetHit && !this.limitStop && this.executor.activeCount < this.concurrency) {
        const next = this.ready.pop();
        if (!next) break;
        const id = next.spec.id;
        const current = this.store.require(id);
        if (current.state.kind !== 'eligible' || this.executor.isActive(id) || !this.waits.admit(current)) continue;
        // execute() only rejects for a task that is not eligible, checked just above.
        // setImmediate: tasks that end without I/O must not chain the whole run into one
        // microtask run that starves timers (snapshot publishing, the dashboard's frames).
        this.settling++;
        void this.executor.execute(id).then(
          (record) =>
            setImmediate(() => {
              this.settling--;
              this.afterAttempt(record);
            }),
          (err: unknown) =>
            setImmediate(() => {
              this.settling--;
              this.attemptCrashed(id, err);
            }),
        );
      }
    } finally {
      this.pumping = false;
    }
    this.checkIdle();
  }

  /**
   * Notes the run's spend reaching its budget: from then on no task starts;
   * with `onExceed: stop` the running ones are stopped as a shutdown stops
   * them (cancelled as interrupted, so resume runs them again).
   */
  private checkBudget(): void {
    if (this.budgetHit || this.stopping) return;
    this.budgetHit = budgetReached(this.budget, this.store.spent);
    if (!this.budgetHit || this.opts.config.budget.onExceed !== 'stop') return;
    for (const id of this.executor.activeIds()) {
      if (this.executor.stop(id, { kind: 'shutdown', signal: 'budget' })) this.budgetStopped = true;
    }
  }

  /**
   * Notes a provider held for its usage limit further ahead than `limits.maxWaitHours`: waiting
   * that long is not what the person asked for, so no task starts from then on and, once the
   * running ones end, the run ends interrupted by the usage limit (exit 75); a resume after the
   * reset goes on (the hold is recorded on the tasks).
   */
  private checkLimits(): void {
    if (this.limitStop || this.stopping) return;
    const now = (this.opts.clock ?? realClock).now();
    const maxMs = this.opts.config.limits.maxWaitHours * 3_600_000;
    this.limitStop = this.waits.heldProviders().find((h) => h.until - now > maxMs);
  }

  /**
   * An attempt whose bookkeeping threw (a bug, not an agent failure): the task fails with the
   * error as its reason instead of the run hanging with a slot that never comes back.
   */
  private attemptCrashed(id: string, err: unknown): void {
    const record = this.store.require(id);
    if (!isFinished(record.state.kind)) {
      try {
        this.store.setState(id, { kind: 'failed', reason: `internal error: ${err instanceof Error ? err.message : String(err)}`, failure: 'permanent' });
      } catch {
        // Its state cannot become failed from here; it is left as it is, and the run goes on.
      }
    }
    if (!this.stopping) this.settle(this.dependentsOf(id));
    this.pump();
  }

  private afterAttempt(record: TaskRecord): void {
    const id = record.spec.id;
    const state = record.state;
    // Retry policy (waits.ts, retry-policy.ts): a transient failure with retries left waits out its backoff.
    if (this.waits.afterAttempt(record, this.stopping !== undefined)) {
      // It is pending with a retry wait (its timer settles it), or waits for its provider's usage limit to reset.
      this.checkLimits();
    } else if (state.kind === 'completed') {
      this.spawnFollowUps(record.spec, state.result);
    } else if (state.kind === 'failed' && record.spec.failureMode !== 'hard') {
      // A soft or skip failure lets dependents run; the workflow's next step is one.
      this.spawnFollowUps(record.spec, `(failed, ${record.spec.failureMode}) ${state.reason}`);
    }
    if (!this.stopping) this.settle(this.dependentsOf(id));
    this.pump();
  }

  private spawnCompletedFollowUps(r: TaskRecord): void {
    if (r.state.kind === 'completed') this.spawnFollowUps(r.spec, r.state.result);
  }

  private spawnFollowUps(parent: TaskSpec, result: string): void {
    const spawned: string[] = [];
    for (const spec of followUpsFor(parent, result, this.opts.config.workflows, this.opts.plan.workspace)) {
      if (this.graph.hasNode(spec.id)) {
        const reason = willCreateCycle(this.graph, parent.id, spec.id)
          ? `adding ${spec.id} after ${parent.id} would create a cycle (${spec.id} already leads to ${parent.id})`
          : `a task named ${spec.id} is already in the run`;
        this.store.refuseFollowUp(parent.id, spec.id, reason);
        continue;
      }
      this.graph.addNode(spec.id);
      this.graph.addDirectedEdge(parent.id, spec.id);
      this.store.addTask(spec, parent.id);
      spawned.push(spec.id);
    }
    this.settle(spawned);
  }

  /**
   * Re-evaluates tasks against their dependencies: all satisfied → eligible;
   * one dead → blocked (and its own dependents are evaluated in turn).
   * Iterative, so a 20,000-task chain blocks without deep recursion.
   */
  private settle(ids: readonly string[]): void {
    const queue = [...ids];
    for (let i = 0; i < queue.length; i++) {
      const id = queue[i]!;
      const record = this.store.require(id);
      const state = record.state;
      const waitingToStart = state.kind === 'pending' || state.kind === 'eligible';
      if (!waitingToStart && !(state.kind === 'paused' && state.from === 'pending')) continue;
      if (this.waits.isWaiting(id)) continue; // waiting out a retry's backoff
      const ready = readiness(record.spec.dependsOn, (dep) => this.store.require(dep));
      if (ready.kind === 'blocked') {
        this.store.setState(id, { kind: 'blocked', by: ready.by, reason: ready.reason });
        queue.push(...this.dependentsOf(id));
      } else if (ready.kind === 'waiting') {
        if (state.kind === 'eligible' || (state.kind === 'pending' && state.retry)) this.store.setState(id, { kind: 'pending' });
      } else if (state.kind === 'pending') {
        this.ready.push(this.store.setState(id, { kind: 'eligible' }));
      } else if (state.kind === 'eligible') {
        this.ready.push(record);
      }
    }
  }
}
