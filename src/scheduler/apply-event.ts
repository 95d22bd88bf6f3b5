import type { Usage } from '../agents/backend.js';
import type { TaskSpec } from '../plan/schema.js';
import type { RunEvent } from './events.js';
import { isFinished, isLive } from './states.js';
import type { TaskState } from './states.js';

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
  /** Attempts that met their provider's usage limit: they spent no retry. */
  readonly limitHits?: number;
}

/** One attempt of one task, as the run database keeps it (null: not known or not yet). */
export interface AttemptRecord {
  taskId: string;
  n: number;
  /** The run's session (1, then +1 per resume) the attempt ran in. */
  session: number;
  startedAt: number;
  endedAt: number | null;
  /** `running` until it ends; then the state it ended in (or `interrupted`, set when a crashed run is settled). */
  state: string;
  reason: string | null;
  exitCode: number | null;
  sessionId: string | null;
  /** What this attempt alone spent. */
  usage: Usage;
  pgid: number | null;
}

/** Usage with every count at zero, and no cost reported. */
export function emptyUsage(): Usage {
  return { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
}

/**
 * `a + b`, field by field; a missing token count counts as zero. Cost stays
 * absent (not reported) unless one side reported it: a provider that reports
 * none (Codex) never reads as $0.
 */
export function addUsage(a: Usage, b: Partial<Usage>): Usage {
  const sum: Usage = {
    inputTokens: a.inputTokens + (b.inputTokens ?? 0),
    outputTokens: a.outputTokens + (b.outputTokens ?? 0),
    cacheReadTokens: a.cacheReadTokens + (b.cacheReadTokens ?? 0),
    cacheWriteTokens: a.cacheWriteTokens + (b.cacheWriteTokens ?? 0),
  };
  if (a.costUsd !== undefined || b.costUsd !== undefined) sum.costUsd = (a.costUsd ?? 0) + (b.costUsd ?? 0);
  return sum;
}

/** A task as it joins the run (from the plan, or spawned as a follow-up): pending, never attempted. */
export function newRecord(spec: TaskSpec, order: number): TaskRecord {
  return { spec, order, state: { kind: 'pending' }, attempts: 0 };
}

/** Whether a move starts a new attempt: into running, except a paused attempt going on. */
export function startsAttempt(from: TaskState, to: TaskState): boolean {
  return to.kind === 'running' && from.kind !== 'paused';
}

/** Whether a move ends the attempt under way: out of running (or paused while running) into anything but those. */
export function endsAttempt(from: TaskState, to: TaskState): boolean {
  return isLive(from) && to.kind !== 'running' && to.kind !== 'paused';
}

/**
 * The task record after `event`: the one rule (docs/architecture.md §2) by which
 * events become records, for the live store, the database writer and the
 * records a resume reads back alike. Events of other tasks, and events that
 * change no record (output, process ids, run-level events), return `record`
 * itself. `task-added` makes a record rather than changing one: newRecord.
 */
export function applyEvent(record: TaskRecord, event: RunEvent): TaskRecord {
  switch (event.type) {
    case 'task-state': {
      if (event.taskId !== record.spec.id) return record;
      const { from, to, time } = event;
      // One literal, no rest or conditional spreads: this runs for every state change of every task, live and in the writer.
      // A field without a value is left undefined (JSON and the database drop it).
      return {
        ...record,
        state: to,
        attempts: event.attempt,
        startedAt: startsAttempt(from, to) ? time : record.startedAt,
        endedAt: to.kind === 'pending' ? undefined : isFinished(to.kind) ? time : record.endedAt,
        lastFailure: from.kind === 'failed' || from.kind === 'cancelled' ? from.reason : record.lastFailure,
        limitHits: to.kind === 'failed' && to.failure === 'usage-limit' ? (record.limitHits ?? 0) + 1 : record.limitHits,
      };
    }
    case 'task-session': {
      if (event.taskId !== record.spec.id || event.sessionId === record.sessionId) return record;
      // A new conversation: nothing spent in it yet.
      return { ...record, sessionId: event.sessionId, sessionUsage: undefined };
    }
    case 'task-usage':
      if (event.taskId !== record.spec.id) return record;
      return { ...record, usage: event.usage, sessionUsage: addUsage(record.sessionUsage ?? emptyUsage(), event.delta) };
    case 'run-started':
    case 'task-added':
    case 'task-output':
    case 'task-process':
    case 'follow-up-refused':
    case 'run-paused':
    case 'run-resumed':
    case 'run-finished':
    case 'provider-held':
    case 'provider-released':
      return record;
    default: {
      const never: never = event;
      throw new Error(`unknown event ${JSON.stringify(never)}`);
    }
  }
}

/**
 * How `event` changes the attempts of the task `record` describes (as it
 * was before the event): the attempt it starts, or the one it ends or
 * reports on, changed; undefined when it touches none. The sibling of
 * applyEvent for the database's attempt rows, so an attempt's usage is the
 * same deltas the task's usage adds up. `held(n)` is attempt n as it stands.
 */
export function applyAttemptEvent(
  record: TaskRecord,
  event: RunEvent,
  session: number,
  held: (n: number) => AttemptRecord | undefined,
): AttemptRecord | undefined {
  if (!('taskId' in event) || event.taskId !== record.spec.id) return undefined;
  switch (event.type) {
    case 'task-state': {
      const { from, to, time } = event;
      if (startsAttempt(from, to)) {
        return {
          taskId: event.taskId, n: event.attempt, session, startedAt: time, endedAt: null, state: 'running', reason: null, exitCode: null,
          sessionId: record.sessionId ?? null, usage: emptyUsage(), pgid: null,
        };
      }
      const attempt = endsAttempt(from, to) ? held(event.attempt) : undefined;
      return attempt && { ...attempt, endedAt: time, state: to.kind, reason: reasonOf(to), exitCode: to.kind === 'failed' ? (to.exitCode ?? null) : null };
    }
    case 'task-session': {
      const attempt = held(record.attempts);
      return attempt && { ...attempt, sessionId: event.sessionId };
    }
    case 'task-usage': {
      const attempt = held(record.attempts);
      return attempt && { ...attempt, usage: addUsage(attempt.usage, event.delta) };
    }
    case 'task-process': {
      const attempt = held(record.attempts);
      return attempt && { ...attempt, pgid: event.pid };
    }
    default:
      return undefined;
  }
}

/** What an ended attempt's row says about why: the state's reason, or the start of a completed task's result. */
function reasonOf(state: TaskState): string | null {
  return 'reason' in state ? state.reason : state.kind === 'completed' ? state.result.slice(0, 2000) : null;
}
