import { EventEmitter } from 'node:events';
import type { OutputOnly, Usage } from '../agents/backend.js';
import type { Budget, TaskSpec } from '../plan/schema.js';
import type { BudgetHit } from './budget.js';
import type { TaskState } from './states.js';

/**
 * Every change to a run is one of these, numbered by `seq` in the order it
 * happened, so a persister can record them and a reader can replay them.
 * The JSON form of each (`--json`) is documented in docs/events.md.
 */
export type RunEvent =
  | {
      type: 'run-started';
      seq: number;
      time: number;
      plan: string;
      file: string;
      workspace: string;
      concurrency: number;
      tasks: TaskSpec[];
      /** The run's budget, when it has one (a resume may have set a new one). */
      budget?: Budget;
    }
  | { type: 'task-added'; seq: number; time: number; task: TaskSpec; spawnedBy: string }
  | {
      type: 'task-state';
      seq: number;
      time: number;
      taskId: string;
      from: TaskState;
      to: TaskState;
      attempt: number;
    }
  /** `only`: unset, the output goes everywhere; 'screen', a terminal's bytes (screens, --json); 'transcript', the text rendered from them. */
  | { type: 'task-output'; seq: number; time: number; taskId: string; chunk: string; only?: OutputOnly }
  | { type: 'task-session'; seq: number; time: number; taskId: string; sessionId: string }
  /** The current attempt's agent started as process group `pid`. */
  | { type: 'task-process'; seq: number; time: number; taskId: string; pid: number }
  /**
   * `delta`: what the agent just reported spending (what the task's current
   * conversation and attempt add up); `usage`: the task's total so far (all
   * attempts); `run`: the whole run's total.
   */
  | { type: 'task-usage'; seq: number; time: number; taskId: string; delta: Usage; usage: Usage; run: Usage }
  | { type: 'follow-up-refused'; seq: number; time: number; taskId: string; followUpId: string; reason: string }
  /**
   * No task of `provider` starts until `until` (epoch ms): its usage limit was met. `resetsAt`: the
   * reset as the agent reported it (unset: it did not say, and a default wait is held); `task`: the
   * task whose attempt met it.
   */
  | { type: 'provider-held'; seq: number; time: number; provider: string; until: number; resetsAt?: number; task?: string }
  /** The provider's tasks may start again: its usage limit's hold ended. */
  | { type: 'provider-released'; seq: number; time: number; provider: string }
  | { type: 'run-paused'; seq: number; time: number }
  | { type: 'run-resumed'; seq: number; time: number }
  /** `interrupted`: the signal of a shutdown that stopped the run with work left (resume continues it). */
  /** `overBudget`: the run's spend reached its budget with work left (resume continues it). */
  | { type: 'run-finished'; seq: number; time: number; exitCode: number; counts: Record<string, number>; interrupted?: string; overBudget?: BudgetHit };

export type RunEventType = RunEvent['type'];

/** The event with the given type. */
export type RunEventOf<T extends RunEventType> = Extract<RunEvent, { type: T }>;

/** An event before the store numbers and times it. */
export type RunEventInput = RunEvent extends infer E ? (E extends RunEvent ? Omit<E, 'seq' | 'time'> : never) : never;

type RunEventMap = { [T in RunEventType]: [RunEventOf<T>] } & { event: [RunEvent] };

/**
 * Typed event stream of a run. Listen to one type (`'task-state'`) or to
 * `'event'` for all of them in order.
 */
export class RunEvents extends EventEmitter<RunEventMap> {}
