import type { EventEmitter } from 'node:events';
import type { AgentReport, OutputOnly, Usage } from '../agents/backend.js';
import type { Budget } from '../config/schema.js';
import type { BudgetHit } from './budget.js';
import { SIGNAL_EXIT } from '../report/exit-codes.js';
import type { TaskSpec } from '../plan/schema.js';
import { addUsage, applyEvent, emptyUsage, newRecord, startsAttempt } from './apply-event.js';
import type { TaskRecord } from './apply-event.js';
import { RunEvents } from './events.js';
import type { RunEvent, RunEventInput, RunEventOf } from './events.js';
import { STATE_KINDS, UNFINISHED_KINDS, transition } from './states.js';
import type { TaskState, TaskStateKind } from './states.js';

export type { TaskRecord } from './apply-event.js';
export { addUsage, emptyUsage } from './apply-event.js';

/** An immutable picture of the run, cheap to compare by reference. */
export interface RunSnapshot {
  readonly version: number;
  readonly plan: string;
  readonly file: string;
  readonly workspace: string;
  readonly concurrency: number;
  readonly startedAt: number;
  readonly paused: boolean;
  /** Set once every task has finished; cleared if a retry brings work back. */
  readonly finished: boolean;
  /** Set when a shutdown (the signal, or SIGINT for quitting the dashboard) ended the run with work left. */
  readonly interrupted?: string;
  readonly tasks: readonly TaskRecord[];
  readonly counts: Readonly<Record<TaskStateKind, number>>;
  /** Tokens and cost of every task so far. */
  readonly usage: Usage;
  /** The run's budget, when it has one: the dashboard and the summary show spend against it. */
  readonly budget?: Budget;
  /** Set when the run ended because its spend reached the budget, with work left (resume continues it). */
  readonly overBudget?: BudgetHit;
  /** Running tasks whose agent waits at a question for the person: task id → the question. */
  readonly needsYou: Readonly<Record<string, string>>;
  /** Providers held for their usage limit: none of their tasks starts before `until`. */
  readonly holds: readonly ProviderHold[];
}

/** A provider held for its usage limit (the `provider-held` event). */
export interface ProviderHold {
  provider: string;
  /** When its tasks may start again (epoch ms): the reset and a margin. */
  until: number;
  /** The reset as the agent reported it, when it did. */
  resetsAt?: number;
}

/** The read side of the store: what the UI and reporters get. */
export interface RunStoreReader {
  readonly events: RunEvents;
  getSnapshot(): RunSnapshot;
  subscribe(listener: () => void): () => void;
  get(id: string): TaskRecord | undefined;
  outputTail(id: string): readonly string[];
}

export interface RunStoreOptions {
  plan: string;
  file: string;
  workspace: string;
  concurrency: number;
  /** The run's budget (limits only), announced with run-started so the recording keeps it for resume. */
  budget?: Budget;
  /** Snapshot listeners are told at most this often (ms). Events are never delayed. */
  publishIntervalMs?: number;
  /** Lines of output kept per task in memory; the full transcript is the backend's business. */
  outputTailLines?: number;
  now?: () => number;
  /**
   * The engine's own bookkeeping on every state change, called once the
   * change is applied and before the event is published: the engine never
   * listens to its own public event stream, so no listener's order matters.
   */
  onTransition?: (event: RunEventOf<'task-state'>) => void;
}

/**
 * The single source of truth for one run (docs/architecture.md §2): task records plus a
 * numbered, typed event for every change. Only the engine writes to it.
 */
export class RunStore implements RunStoreReader {
  readonly events = new RunEvents();
  private readonly records = new Map<string, TaskRecord>();
  private readonly tails = new Map<string, string[]>();
  private readonly partial = new Map<string, string>();
  /** Running tasks waiting at a question (task-needs-you), with the question. */
  private readonly asking = new Map<string, string>();
  private readonly listeners = new Set<() => void>();
  private readonly now: () => number;
  private readonly publishIntervalMs: number;
  private readonly tailLines: number;
  private seq = 0;
  private version = 0;
  private paused = false;
  private finished = false;
  private interrupted: string | undefined;
  private overBudget: BudgetHit | undefined;
  private readonly holds = new Map<string, ProviderHold>();
  private usage = emptyUsage();
  /** Tasks by state kind, kept as events are applied: what the snapshot counts and `unfinished` read. */
  private readonly counts = Object.fromEntries(STATE_KINDS.map((k) => [k, 0])) as Record<TaskStateKind, number>;
  private readonly startedAt: number;
  private snapshot: RunSnapshot | undefined;
  private publishTimer: NodeJS.Timeout | undefined;
  private lastPublish = 0;

  constructor(private readonly opts: RunStoreOptions) {
    this.now = opts.now ?? Date.now;
    this.publishIntervalMs = opts.publishIntervalMs ?? 50;
    this.tailLines = opts.outputTailLines ?? 200;
    this.startedAt = this.now();
  }

  /** Records the plan's tasks and announces the run. */
  start(tasks: readonly TaskSpec[]): void {
    for (const spec of tasks) this.insert(spec);
    this.announce([...tasks]);
  }

  /**
   * Starts the store from the records an earlier session of the run left
   * (resume): states are taken as given, not replayed through transitions.
   */
  restore(records: readonly TaskRecord[]): void {
    for (const record of records) {
      if (this.records.has(record.spec.id)) throw new Error(`task '${record.spec.id}' is already in this run`);
      this.put({ ...record, order: this.records.size });
      if (record.usage) this.usage = addUsage(this.usage, record.usage);
    }
    this.announce(records.map((r) => r.spec));
  }

  /** The run-started event, for a new run or a resumed one. */
  private announce(tasks: TaskSpec[]): void {
    const { plan, file, workspace, concurrency, budget } = this.opts;
    this.emit({ type: 'run-started', plan, file, workspace, concurrency, tasks, ...(budget ? { budget } : {}) });
  }

  /** Adds a follow-up task spawned by `spawnedBy`. */
  addTask(spec: TaskSpec, spawnedBy: string): TaskRecord {
    const record = this.insert(spec);
    this.emit({ type: 'task-added', task: spec, spawnedBy });
    return record;
  }

  get(id: string): TaskRecord | undefined {
    return this.records.get(id);
  }

  /** Like get, for ids the engine knows exist. */
  require(id: string): TaskRecord {
    const record = this.records.get(id);
    if (!record) throw new Error(`no task '${id}' in this run`);
    return record;
  }

  /** Moves a task to a new state; throws IllegalTransitionError for a move the state machine forbids. */
  setState(id: string, to: TaskState): TaskRecord {
    const prev = this.require(id);
    transition(id, prev.state, to);
    const starts = startsAttempt(prev.state, to);
    if (starts) this.flushPartial(id);
    const attempt = starts ? prev.attempts + 1 : prev.attempts;
    const event = this.stamp({ type: 'task-state', taskId: id, from: prev.state, to, attempt });
    this.apply(event);
    this.opts.onTransition?.(event);
    this.broadcast(event);
    // Only a running agent can be waiting for the person: paused, ended or stopped, it is not.
    if (to.kind !== 'running') this.needsYou(id, null);
    return this.require(id);
  }

  /** Records output of a task: an event per chunk, and the last lines kept in memory (text, not a terminal's bytes). */
  appendOutput(id: string, chunk: string, only?: OutputOnly): void {
    if (chunk.length === 0) return;
    if (only === 'screen') {
      this.emit({ type: 'task-output', taskId: id, chunk, only });
      return;
    }
    const text = (this.partial.get(id) ?? '') + chunk;
    const end = text.lastIndexOf('\n');
    const rest = text.slice(end + 1);
    this.partial.set(id, rest.length > 4096 ? rest.slice(-4096) : rest);
    if (end >= 0) {
      // Only the last tailLines lines can stay: split from the line feed before them, not the whole
      // chunk (a flood's chunk can hold far more lines than the tail keeps; each would be a string).
      let from = end;
      for (let n = 0; n < this.tailLines && from >= 0; n++) from = from > 0 ? text.lastIndexOf('\n', from - 1) : -1;
      const lines = text.slice(from + 1, end + 1).split(/\r?\n/);
      lines.pop(); // the '' after the last line feed
      let tail = this.tails.get(id);
      if (!tail) this.tails.set(id, (tail = []));
      for (const line of lines) tail.push(line);
      if (tail.length > this.tailLines) tail.splice(0, tail.length - this.tailLines);
    }
    this.emit({ type: 'task-output', taskId: id, chunk, ...(only ? { only } : {}) });
  }

  /** Records what an agent reported about itself: its process, its session id, usage deltas. */
  report(id: string, info: AgentReport): void {
    const prev = this.require(id);
    if (info.pid !== undefined) this.emit({ type: 'task-process', taskId: id, pid: info.pid });
    if (info.sessionId !== undefined && info.sessionId !== prev.sessionId) this.emit({ type: 'task-session', taskId: id, sessionId: info.sessionId });
    if (info.usage && Object.values(info.usage).some((v) => v !== undefined && v !== 0)) {
      const delta = addUsage(emptyUsage(), info.usage);
      this.usage = addUsage(this.usage, delta);
      this.emit({ type: 'task-usage', taskId: id, delta, usage: addUsage(this.require(id).usage ?? emptyUsage(), delta), run: this.usage });
    }
    if (info.asking !== undefined) this.needsYou(id, info.asking);
  }

  /** A running task's agent waits at `question` for the person, or (null) no longer does; told once per change. */
  private needsYou(id: string, question: string | null): void {
    if (question === null) {
      if (!this.asking.delete(id)) return;
      this.emit({ type: 'task-needs-you', taskId: id, needsYou: false });
      return;
    }
    // A report that raced the task's end (its session reports after the state moved) is dropped.
    if (this.require(id).state.kind !== 'running' || this.asking.get(id) === question) return;
    this.asking.set(id, question);
    this.emit({ type: 'task-needs-you', taskId: id, needsYou: true, question });
  }

  /** The last lines a task printed (the unfinished last line included). */
  outputTail(id: string): readonly string[] {
    const tail = this.tails.get(id) ?? [];
    const partial = this.partial.get(id);
    // From an index, not slice(-(n - 1)): with a tail of one line that would be slice(-0), the whole tail.
    return partial ? [...tail.slice(Math.max(0, tail.length - (this.tailLines - 1))), partial] : tail;
  }

  /** A workflow follow-up that could not join the graph, and why. */
  refuseFollowUp(taskId: string, followUpId: string, reason: string): void {
    this.emit({ type: 'follow-up-refused', taskId, followUpId, reason });
  }

  /** A provider is held for its usage limit until `until`. */
  holdProvider(hold: ProviderHold & { task?: string }): void {
    const { task, ...held } = hold;
    this.holds.set(hold.provider, held);
    this.emit({ type: 'provider-held', ...held, ...(task !== undefined ? { task } : {}) });
  }

  /** The provider's hold ended: its tasks may start again. */
  releaseProvider(provider: string): void {
    if (!this.holds.delete(provider)) return;
    this.emit({ type: 'provider-released', provider });
  }

  setPaused(paused: boolean): void {
    if (this.paused === paused) return;
    this.paused = paused;
    this.emit({ type: paused ? 'run-paused' : 'run-resumed' });
  }

  /** Tasks in an unfinished state (states.ts UNFINISHED_KINDS): the run is over when none are left. */
  get unfinished(): number {
    let n = 0;
    for (const kind of UNFINISHED_KINDS) n += this.counts[kind];
    return n;
  }

  /** Tokens and cost every agent has reported so far: what a budget is held to. */
  get spent(): Usage {
    return this.usage;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  get isFinished(): boolean {
    return this.finished;
  }

  /**
   * Marks the run finished (every task in a finished state) with its exit
   * code, or stopped by a shutdown that left work (`interrupted`: the signal);
   * then the exit code recorded is the one the process exits with (130 for SIGINT).
   */
  finish(exitCode: number, interrupted?: string, overBudget?: BudgetHit): void {
    this.finished = true;
    this.interrupted = interrupted;
    this.overBudget = interrupted ? undefined : overBudget;
    const code = interrupted ? (SIGNAL_EXIT[interrupted] ?? SIGNAL_EXIT.SIGINT!) : exitCode;
    this.emit({
      type: 'run-finished',
      exitCode: code,
      counts: { ...this.getSnapshot().counts },
      ...(interrupted ? { interrupted } : {}),
      ...(this.overBudget ? { overBudget: this.overBudget } : {}),
    });
  }

  /** Work came back after the run had finished (a retry in the dashboard). */
  reopen(): void {
    if (!this.finished) return;
    this.finished = false;
    this.overBudget = undefined;
    this.changed();
  }

  getSnapshot = (): RunSnapshot => {
    if (this.snapshot && this.snapshot.version === this.version) return this.snapshot;
    const tasks = [...this.records.values()];
    this.snapshot = Object.freeze({
      version: this.version,
      plan: this.opts.plan,
      file: this.opts.file,
      workspace: this.opts.workspace,
      concurrency: this.opts.concurrency,
      startedAt: this.startedAt,
      paused: this.paused,
      finished: this.finished,
      ...(this.interrupted ? { interrupted: this.interrupted } : {}),
      tasks: Object.freeze(tasks),
      counts: Object.freeze({ ...this.counts }),
      usage: this.usage,
      ...(this.opts.budget ? { budget: this.opts.budget } : {}),
      ...(this.overBudget ? { overBudget: this.overBudget } : {}),
      holds: Object.freeze([...this.holds.values()]),
      needsYou: Object.freeze(Object.fromEntries(this.asking)),
    });
    return this.snapshot;
  };

  /** Tells the listener about changes, batched to at most one call per publish interval. */
  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };

  /** Stops the publish timer; the store stays readable. */
  close(): void {
    if (this.publishTimer) clearTimeout(this.publishTimer);
    this.publishTimer = undefined;
    this.publish();
  }

  private insert(spec: TaskSpec): TaskRecord {
    if (this.records.has(spec.id)) throw new Error(`task '${spec.id}' is already in this run`);
    const record = newRecord(spec, this.records.size);
    this.put(record);
    return record;
  }

  /** Holds `record` as its task's record, keeping the counts by state. */
  private put(record: TaskRecord): void {
    const prev = this.records.get(record.spec.id);
    if (prev) this.counts[prev.state.kind]--;
    this.counts[record.state.kind]++;
    this.records.set(record.spec.id, record);
  }

  /** Folds a task's event into its record (applyEvent: the rule the database and resume use too). */
  private apply(event: RunEvent): void {
    const prev = 'taskId' in event ? this.records.get(event.taskId) : undefined;
    const next = prev && applyEvent(prev, event);
    if (next && next !== prev) this.put(next);
  }

  /** A new attempt starts a fresh line, so one attempt's half line never glues onto the next. */
  private flushPartial(id: string): void {
    const partial = this.partial.get(id);
    if (!partial) return;
    this.partial.set(id, '');
    this.appendOutput(id, '\n');
  }

  /** Numbers and times an event, applies it to its task's record, and publishes it. */
  private emit(input: RunEventInput): void {
    const event = this.stamp(input);
    this.apply(event);
    this.broadcast(event);
  }

  private stamp<E extends RunEventInput>(input: E): RunEventOf<E['type']> {
    return { ...input, seq: ++this.seq, time: this.now() } as unknown as RunEventOf<E['type']>;
  }

  private broadcast(event: RunEvent): void {
    // Output changes no record: the snapshot stays the same object (readers keep their memos),
    // but subscribers still hear of it, batched, so a dashboard can look for a new screen.
    this.changed(event.type !== 'task-output');
    // The map types listeners; emitting by a computed name needs the untyped view.
    const emitter: EventEmitter = this.events;
    emitter.emit(event.type, event);
    emitter.emit('event', event);
  }

  private changed(recordsChanged = true): void {
    if (recordsChanged) this.version++;
    if (this.listeners.size === 0 || this.publishTimer) return;
    const wait = Math.max(0, this.lastPublish + this.publishIntervalMs - this.now());
    if (wait === 0 && this.publishIntervalMs === 0) {
      this.publish();
      return;
    }
    this.publishTimer = setTimeout(() => {
      this.publishTimer = undefined;
      this.publish();
    }, wait);
    this.publishTimer.unref?.();
  }

  private publish(): void {
    this.lastPublish = this.now();
    for (const listener of [...this.listeners]) listener();
  }
}
