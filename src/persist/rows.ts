import type { Usage } from '../agents/backend.js';
import type { TaskSpec } from '../plan/schema.js';
import type { AttemptRecord, TaskRecord } from '../scheduler/apply-event.js';
import type { TaskState } from '../scheduler/states.js';

/** A `tasks` row as SQLite returns it: the record applyEvent folded, column by column. */
export interface TaskRowDb {
  id: string;
  ord: number;
  spec: string;
  state: string;
  attempts: number;
  started_at: number | null;
  ended_at: number | null;
  session_id: string | null;
  usage: string | null;
  session_usage: string | null;
  last_failure: string | null;
  limit_hits: number;
}

/** The record a task row holds (the writer wrote it from the fold; nothing is re-derived here). */
export function recordOfRow(r: TaskRowDb): TaskRecord {
  return {
    spec: JSON.parse(r.spec) as TaskSpec,
    order: r.ord,
    state: JSON.parse(r.state) as TaskState,
    attempts: r.attempts,
    ...(r.started_at !== null ? { startedAt: r.started_at } : {}),
    ...(r.ended_at !== null ? { endedAt: r.ended_at } : {}),
    ...(r.session_id !== null ? { sessionId: r.session_id } : {}),
    ...(r.usage !== null ? { usage: JSON.parse(r.usage) as Usage } : {}),
    ...(r.session_usage !== null ? { sessionUsage: JSON.parse(r.session_usage) as Usage } : {}),
    ...(r.last_failure !== null ? { lastFailure: r.last_failure } : {}),
    ...(r.limit_hits > 0 ? { limitHits: r.limit_hits } : {}),
  };
}

/** An `attempts` row as a record, with the start time that tells its process group from a reused pid. */
export function attemptOfRow(r: Record<string, unknown>): AttemptRecord & { pgidStart: string | null } {
  return {
    taskId: r.task_id as string,
    n: r.n as number,
    session: r.session as number,
    startedAt: r.started_at as number,
    endedAt: r.ended_at as number | null,
    state: r.state as string,
    reason: r.reason as string | null,
    exitCode: r.exit_code as number | null,
    sessionId: r.session_id as string | null,
    usage: {
      inputTokens: r.input_tokens as number,
      outputTokens: r.output_tokens as number,
      cacheReadTokens: r.cache_read_tokens as number,
      cacheWriteTokens: r.cache_write_tokens as number,
      ...(r.cost_reported === 0 ? {} : { costUsd: r.cost_usd as number }),
    },
    pgid: r.pgid as number | null,
    pgidStart: r.pgid_start as string | null,
  };
}
