import type { EventEmitter } from 'node:events';
import type { AgentReport, Usage } from '../agents/backend.js';
import type { TaskSpec } from '../plan/schema.js';
import { RunEvents } from './events.js';
import type { RunEvent, RunEventInput } from './events.js';
import { STATE_KINDS, isFinished, transition } from './states.js';
import type { TaskState, TaskStateKind } from './states.js';

/** One task as the run sees it. Replaced, never mutated, on every change. */
export interface TaskRecord {
  readonly spec: TaskSpec;
  /** Position in plan order; follow-ups are numbered after the plan's tasks. */
  readonly order: number;
  readonly state: TaskState;
  /** Attempts started so far. */
  readonly attempts: number;
  /** When the current or last attempt started running. */
  readonly startedAt?: number;
  /** When the task last reached a finished state. */
  readonly endedAt?: number;
  /** The agent conversation to continue on a retry or resume, as the agent last reported it. */
  readonly sessionId?: string;
  /** Tokens and cost over all attempts, when the agent reports them. */
  readonly usage?: Usage;
  /**
   * The part of `usage` spent in the conversation `sessionId` names: what an
   * agent that reports its session's running totals (Goose, Codex) has
   * already been counted for when an attempt resumes that conversation.
   */
  readonly sessionUsage?: Usage;
  /** Why the last attempt failed or was cancelled, kept after a retry so the agent can be told. */
  readonly lastFailure?: string;
}

/** Usage with every count at zero. */
export function emptyUsage(): Usage {
  return { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0 };
}

/** `a + b`, field by field; a missing field counts as zero. */
export function addUsage(a: Usage, b: Partial<Usage>): Usage {
  return {
    inputTokens: a.inputTokens + (b.inputTokens ?? 0),
    outputTokens: a.outputTokens + (b.outputTokens ?? 0),
    cacheReadTokens: a.cacheReadTokens + (b.cacheReadTokens ?? 0),
    cacheWriteTokens: a.cacheWriteTokens + (b.cacheWriteTokens ?? 0),
    costUsd: a.costUsd + (b.costUsd ?? 0),
  };
}

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
  readonly tasks: readonly TaskRecord[];
  readonly counts: Readonly<Record<TaskStateKind, number>>;
  /** Tokens and cost of every task so far. */
  readonly usage: Usage;
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
  /** Snapshot listeners are told at most this often (ms). Events are never delayed. */
  publishIntervalMs?: number;
  /** Lines of output kept per task in memory; the full transcript is the backend's business. */
  outputTailLines?: number;
  now?: () => number;
}

/**
 * The single source of truth for one run (DESIGN §2): task records plus a
 * numbered, typed event for every change. Only the engine writes to it.
 */
export class RunStore implements RunStoreReader {
  readonly events = new RunEvents();
  private readonly records = new Map<string, TaskRecord>();
  private readonly tails = new Map<string, string[]>();
  private readonly partial = new Map<string, string>();
  private readonly listeners = new Set<() => void>();
  private readonly now: () => number;
  private readonly publishIntervalMs: number;
  private readonly tailLines: number;
  private seq = 0;
  private version = 0;
  private paused = false;
  private finished = false;
  private usage = emptyUsage();
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
      this.records.set(record.spec.id, { ...record, order: this.records.size });
      if (record.usage) this.usage = addUsage(this.usage, record.usage);
    }
    this.announce(records.map((r) => r.spec));
  }

  /** The run-started event, for a new run or a resumed one. */
  private announce(tasks: TaskSpec[]): void {
    const { plan, file, workspace, concurrency } = this.opts;
    this.emit({ type: 'run-started', plan, file, workspace, concurrency, tasks });
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
    const now = this.now();
    const attempts = to.kind === 'running' && prev.state.kind !== 'paused' ? prev.attempts + 1 : prev.attempts;
    const next: TaskRecord = {
      ...prev,
      state: to,
      attempts,
      startedAt: to.kind === 'running' && prev.state.kind !== 'paused' ? now : prev.startedAt,
      endedAt: to.kind === 'pending' ? undefined : isFinished(to.kind) ? now : prev.endedAt,
      lastFailure: prev.state.kind === 'failed' || prev.state.kind === 'cancelled' ? prev.state.reason : prev.lastFailure,
    };
    this.records.set(id, next);
    if (to.kind === 'running' && prev.state.kind !== 'paused') this.flushPartial(id);
    this.emit({ type: 'task-state', taskId: id, from: prev.state, to, attempt: attempts });
    return next;
  }

  /** Records output of a task: an event per chunk, and the last lines kept in memory. */
  appendOutput(id: string, chunk: string): void {
    if (chunk.length === 0) return;
    const text = (this.partial.get(id) ?? '') + chunk;
    const lines = text.split(/\r?\n/);
    const rest = lines.pop() ?? '';
    this.partial.set(id, rest.length > 4096 ? rest.slice(-4096) : rest);
    if (lines.length) {
      let tail = this.tails.get(id);
      if (!tail) this.tails.set(id, (tail = []));
      for (const line of lines.length > this.tailLines ? lines.slice(-this.tailLines) : lines) tail.push(line);
      if (tail.length > this.tailLines) tail.splice(0, tail.length - this.tailLines);
    }
    this.emit({ type: 'task-output', taskId: id, chunk });
  }

  /** Records what an agent reported about itself: its session id, usage deltas. */
  report(id: string, info: AgentReport): void {
    const prev = this.require(id);
    if (info.pid !== undefined) this.emit({ type: 'task-process', taskId: id, pid: info.pid });
    if (info.sessionId !== undefined && info.sessionId !== prev.sessionId) {
      // A new conversation: nothing spent in it yet.
      const { sessionUsage: _spent, ...rest } = this.require(id);
      this.records.set(id, { ...rest, sessionId: info.sessionId });
      this.emit({ type: 'task-session', taskId: id, sessionId: info.sessionId });
    }
    const delta = info.usage;
    if (delta && Object.values(delta).some((v) => v !== undefined && v !== 0)) {
      const now = this.require(id);
      const usage = addUsage(now.usage ?? emptyUsage(), delta);
      this.usage = addUsage(this.usage, delta);
      this.records.set(id, { ...now, usage, sessionUsage: addUsage(now.sessionUsage ?? emptyUsage(), delta) });
      this.emit({ type: 'task-usage', taskId: id, usage, run: this.usage });
    }
  }

  /** The last lines a task printed (the unfinished last line included). */
  outputTail(id: string): readonly string[] {
    const tail = this.tails.get(id) ?? [];
    const partial = this.partial.get(id);
    return partial ? [...tail.slice(-(this.tailLines - 1)), partial] : tail;
  }

  /** A workflow follow-up that could not join the graph, and why. */
  refuseFollowUp(taskId: string, followUpId: string, reason: string): void {
    this.emit({ type: 'follow-up-refused', taskId, followUpId, reason });
  }

  setPaused(paused: boolean): void {
    if (this.paused === paused) return;
    this.paused = paused;
    this.emit({ type: paused ? 'run-paused' : 'run-resumed' });
  }

  get isPaused(): boolean {
    return this.paused;
  }

  get isFinished(): boolean {
    return this.finished;
  }

  /** Marks the run finished (every task in a finished state) with its exit code. */
  finish(exitCode: number): void {
    this.finished = true;
    this.emit({ type: 'run-finished', exitCode, counts: { ...this.getSnapshot().counts } });
  }

  /** Work came back after the run had finished (a retry in the dashboard). */
  reopen(): void {
    if (!this.finished) return;
    this.finished = false;
    this.changed();
  }

  getSnapshot = (): RunSnapshot => {
    if (this.snapshot && this.snapshot.version === this.version) return this.snapshot;
    const counts = Object.fromEntries(STATE_KINDS.map((k) => [k, 0])) as Record<TaskStateKind, number>;
    const tasks: TaskRecord[] = [];
    for (const record of this.records.values()) {
      tasks.push(record);
      counts[record.state.kind]++;
    }
    this.snapshot = Object.freeze({
      version: this.version,
      plan: this.opts.plan,
      file: this.opts.file,
      workspace: this.opts.workspace,
      concurrency: this.opts.concurrency,
      startedAt: this.startedAt,
      paused: this.paused,
      finished: this.finished,
      tasks: Object.freeze(tasks),
      counts: Object.freeze(counts),
      usage: this.usage,
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
    const record: TaskRecord = { spec, order: this.records.size, state: { kind: 'pending' }, attempts: 0 };
    this.records.set(spec.id, record);
    return record;
  }

  /** A new attempt starts a fresh line, so one attempt's half line never glues onto the next. */
  private flushPartial(id: string): void {
    const partial = this.partial.get(id);
    if (!partial) return;
    this.partial.set(id, '');
    this.appendOutput(id, '\n');
  }

  private emit(input: RunEventInput): void {
    const event = { ...input, seq: ++this.seq, time: this.now() } as RunEvent;
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
