import { z } from 'zod';
import type { Usage } from '../agents/backend.js';
import type { Budget, TaskSpec } from '../plan/schema.js';
import type { RunEvent } from '../scheduler/events.js';
import type { TaskState } from '../scheduler/states.js';

/**
 * The version of the `--json` contract below (docs/events.md). Bumped when a
 * script written for the old one could misread the new one: a field or event
 * removed or renamed, a field's type or meaning changed, a state kind added.
 * Adding an event type or a field does not bump it; readers ignore what they
 * do not know.
 */
export const JSON_SCHEMA_VERSION = 2;

/** Task state kinds as the contract names them; `counts` has one entry per kind. */
export const JSON_STATE_KINDS = ['pending', 'eligible', 'waiting-lock', 'running', 'paused', 'completed', 'failed', 'skipped', 'blocked', 'cancelled'] as const;

const int = () => z.number().int();

/** Tokens and cost, as a task's or the run's total so far. */
export const jsonUsage = z.strictObject({
  inputTokens: int(),
  outputTokens: int(),
  cacheReadTokens: int(),
  cacheWriteTokens: int(),
  costUsd: z.number(),
  costReported: z.boolean(),
});

/** An automatic retry waiting out its backoff. */
export const jsonRetryWait = z.strictObject({
  at: z.number(),
  attempt: int(),
  of: int(),
  reason: z.enum(['backoff', 'retry-after']),
});

/** A ready task held back by its provider's open circuit breaker, or its provider's usage limit (`limit`). */
export const jsonBreakerWait = z.strictObject({
  provider: z.string(),
  until: z.number(),
  failures: int(),
  limit: z.literal(true).optional(),
});

/** A task whose attempt met its provider's usage limit, waiting for the reset. */
export const jsonLimitHold = z.strictObject({
  until: z.number(),
});

/** A spending limit: US dollars and/or tokens, as the agents report them. */
export const jsonBudget = z.strictObject({
  usd: z.number().optional(),
  tokens: int().optional(),
});

/** The budget a run's spend reached: which limit, the limit, and the spend when it was seen. */
export const jsonOverBudget = z.strictObject({
  unit: z.enum(['usd', 'tokens']),
  limit: z.number(),
  spent: z.number(),
});

/** A task as the plan (or a workflow follow-up) gave it. */
export const jsonTaskSpec = z.strictObject({
  id: z.string(),
  agent: z.string(),
  prompt: z.string(),
  dependsOn: z.array(z.string()),
  writes: z.array(z.string()),
  failureMode: z.enum(['hard', 'soft', 'skip']),
  timeoutMs: int().optional(),
  retries: int().optional(),
  followUps: z.boolean(),
  spawnedBy: z.string().optional(),
  budget: jsonBudget.optional(),
});

/** Each state kind with the detail the contract gives it. */
export const JSON_STATE_SCHEMAS = {
  pending: z.strictObject({ kind: z.literal('pending'), retry: jsonRetryWait.optional(), hold: jsonLimitHold.optional() }),
  eligible: z.strictObject({ kind: z.literal('eligible'), breaker: jsonBreakerWait.optional() }),
  'waiting-lock': z.strictObject({ kind: z.literal('waiting-lock'), file: z.string(), heldBy: z.string().optional() }),
  running: z.strictObject({ kind: z.literal('running') }),
  paused: z.strictObject({ kind: z.literal('paused'), from: z.enum(['pending', 'running']) }),
  completed: z.strictObject({ kind: z.literal('completed'), result: z.string() }),
  failed: z.strictObject({
    kind: z.literal('failed'),
    reason: z.string(),
    exitCode: int().optional(),
    failure: z.enum(['transient', 'permanent', 'conflict', 'usage-limit']).optional(),
    files: z.array(z.string()).optional(),
    retryAfterMs: z.number().optional(),
    resetsAt: z.number().optional(),
  }),
  skipped: z.strictObject({ kind: z.literal('skipped'), reason: z.string() }),
  blocked: z.strictObject({ kind: z.literal('blocked'), by: z.string(), reason: z.string() }),
  cancelled: z.strictObject({ kind: z.literal('cancelled'), reason: z.string() }),
} satisfies { [K in (typeof JSON_STATE_KINDS)[number]]: z.ZodObject };

/** A task's state: a `kind` and the detail that belongs to it. */
export const jsonTaskState = z.discriminatedUnion('kind', [
  JSON_STATE_SCHEMAS.pending,
  JSON_STATE_SCHEMAS.eligible,
  JSON_STATE_SCHEMAS['waiting-lock'],
  JSON_STATE_SCHEMAS.running,
  JSON_STATE_SCHEMAS.paused,
  JSON_STATE_SCHEMAS.completed,
  JSON_STATE_SCHEMAS.failed,
  JSON_STATE_SCHEMAS.skipped,
  JSON_STATE_SCHEMAS.blocked,
  JSON_STATE_SCHEMAS.cancelled,
]);

/** Fields every event has besides `type`. */
export const JSON_COMMON_FIELDS = {
  schemaVersion: z.literal(JSON_SCHEMA_VERSION),
  /** The recorded run (`orchestrator show RUN`); null when the run is not recorded. */
  runId: z.string().nullable(),
  seq: int().positive(),
  time: z.number(),
};

function event<T extends string, S extends z.ZodRawShape>(type: T, fields: S) {
  return z.strictObject({ type: z.literal(type), ...JSON_COMMON_FIELDS, ...fields });
}

/** Each public event type's schema: the contract docs/events.md documents, checked against it by a test. */
export const JSON_EVENT_SCHEMAS = {
  'run-started': event('run-started', {
    plan: z.string(),
    file: z.string(),
    workspace: z.string(),
    concurrency: int(),
    tasks: z.array(jsonTaskSpec),
    budget: jsonBudget.optional(),
  }),
  'task-added': event('task-added', { task: jsonTaskSpec, spawnedBy: z.string() }),
  'task-state': event('task-state', { taskId: z.string(), from: jsonTaskState, to: jsonTaskState, attempt: int() }),
  'task-output': event('task-output', { taskId: z.string(), chunk: z.string() }),
  'task-session': event('task-session', { taskId: z.string(), sessionId: z.string() }),
  'task-process': event('task-process', { taskId: z.string(), pid: int() }),
  'task-usage': event('task-usage', { taskId: z.string(), usage: jsonUsage, run: jsonUsage }),
  'follow-up-refused': event('follow-up-refused', { taskId: z.string(), followUpId: z.string(), reason: z.string() }),
  'provider-held': event('provider-held', { provider: z.string(), until: z.number(), resetsAt: z.number().optional(), task: z.string().optional() }),
  'provider-released': event('provider-released', { provider: z.string() }),
  'run-paused': event('run-paused', {}),
  'run-resumed': event('run-resumed', {}),
  'run-finished': event('run-finished', {
    exitCode: int(),
    counts: z.record(z.enum(JSON_STATE_KINDS), int()),
    interrupted: z.string().optional(),
    overBudget: jsonOverBudget.optional(),
  }),
};

export type JsonEventType = keyof typeof JSON_EVENT_SCHEMAS;
export type JsonEvent = { [T in JsonEventType]: z.infer<(typeof JSON_EVENT_SCHEMAS)[T]> }[JsonEventType];
export type JsonTaskState = z.infer<typeof jsonTaskState>;
export type JsonTaskSpec = z.infer<typeof jsonTaskSpec>;
export type JsonUsage = z.infer<typeof jsonUsage>;

/**
 * The public form of an internal event, for `--json`. Takes only the fields
 * the contract names, so a field added to an internal event stays internal
 * until the contract (and its docs) take it up.
 */
export function toJsonEvent(e: RunEvent, runId: string | null): JsonEvent {
  const common = { schemaVersion: JSON_SCHEMA_VERSION, runId, seq: e.seq, time: e.time } as const;
  switch (e.type) {
    case 'run-started':
      return {
        type: e.type,
        ...common,
        plan: e.plan,
        file: e.file,
        workspace: e.workspace,
        concurrency: e.concurrency,
        tasks: e.tasks.map(jsonSpec),
        ...(e.budget ? { budget: jsonBudgetOf(e.budget) } : {}),
      };
    case 'task-added':
      return { type: e.type, ...common, task: jsonSpec(e.task), spawnedBy: e.spawnedBy };
    case 'task-state':
      return { type: e.type, ...common, taskId: e.taskId, from: jsonState(e.from), to: jsonState(e.to), attempt: e.attempt };
    case 'task-output':
      return { type: e.type, ...common, taskId: e.taskId, chunk: e.chunk };
    case 'task-session':
      return { type: e.type, ...common, taskId: e.taskId, sessionId: e.sessionId };
    case 'task-process':
      return { type: e.type, ...common, taskId: e.taskId, pid: e.pid };
    case 'task-usage':
      return { type: e.type, ...common, taskId: e.taskId, usage: jsonUsageOf(e.usage), run: jsonUsageOf(e.run) };
    case 'follow-up-refused':
      return { type: e.type, ...common, taskId: e.taskId, followUpId: e.followUpId, reason: e.reason };
    case 'provider-held':
      return {
        type: e.type,
        ...common,
        provider: e.provider,
        until: e.until,
        ...(e.resetsAt !== undefined ? { resetsAt: e.resetsAt } : {}),
        ...(e.task !== undefined ? { task: e.task } : {}),
      };
    case 'provider-released':
      return { type: e.type, ...common, provider: e.provider };
    case 'run-paused':
    case 'run-resumed':
      return { type: e.type, ...common };
    case 'run-finished': {
      const counts = Object.fromEntries(JSON_STATE_KINDS.map((k) => [k, e.counts[k] ?? 0])) as Record<(typeof JSON_STATE_KINDS)[number], number>;
      return {
        type: e.type,
        ...common,
        exitCode: e.exitCode,
        counts,
        ...(e.interrupted !== undefined ? { interrupted: e.interrupted } : {}),
        ...(e.overBudget ? { overBudget: { unit: e.overBudget.unit, limit: e.overBudget.limit, spent: e.overBudget.spent } } : {}),
      };
    }
    default: {
      const never: never = e;
      throw new Error(`unknown event ${JSON.stringify(never)}`);
    }
  }
}

function jsonSpec(t: TaskSpec): JsonTaskSpec {
  return {
    id: t.id,
    agent: t.agent,
    prompt: t.prompt,
    dependsOn: [...t.dependsOn],
    writes: [...t.writes],
    failureMode: t.failureMode,
    ...(t.timeoutMs !== undefined ? { timeoutMs: t.timeoutMs } : {}),
    ...(t.retries !== undefined ? { retries: t.retries } : {}),
    followUps: t.followUps,
    ...(t.spawnedBy !== undefined ? { spawnedBy: t.spawnedBy } : {}),
    ...(t.budget ? { budget: jsonBudgetOf(t.budget) } : {}),
  };
}

function jsonBudgetOf(b: Budget): z.infer<typeof jsonBudget> {
  return { ...(b.usd !== undefined ? { usd: b.usd } : {}), ...(b.tokens !== undefined ? { tokens: b.tokens } : {}) };
}

function jsonUsageOf(u: Usage): JsonUsage {
  // costUsd stays a number (schema 2 promised one); costReported says whether it is a figure or "not reported".
  return { inputTokens: u.inputTokens, outputTokens: u.outputTokens, cacheReadTokens: u.cacheReadTokens, cacheWriteTokens: u.cacheWriteTokens, costUsd: u.costUsd ?? 0, costReported: u.costUsd !== undefined };
}

function jsonState(s: TaskState): JsonTaskState {
  switch (s.kind) {
    case 'pending':
      return {
        kind: s.kind,
        ...(s.retry ? { retry: { at: s.retry.at, attempt: s.retry.attempt, of: s.retry.of, reason: s.retry.reason } } : {}),
        ...(s.hold ? { hold: { until: s.hold.until } } : {}),
      };
    case 'eligible':
      return s.breaker
        ? { kind: s.kind, breaker: { provider: s.breaker.provider, until: s.breaker.until, failures: s.breaker.failures, ...(s.breaker.limit ? { limit: true as const } : {}) } }
        : { kind: s.kind };
    case 'waiting-lock':
      return { kind: s.kind, file: s.file, ...(s.heldBy !== undefined ? { heldBy: s.heldBy } : {}) };
    case 'running':
      return { kind: s.kind };
    case 'paused':
      return { kind: s.kind, from: s.from };
    case 'completed':
      return { kind: s.kind, result: s.result };
    case 'failed':
      return {
        kind: s.kind,
        reason: s.reason,
        ...(s.exitCode !== undefined ? { exitCode: s.exitCode } : {}),
        ...(s.failure !== undefined ? { failure: s.failure } : {}),
        ...(s.files !== undefined ? { files: [...s.files] } : {}),
        ...(s.retryAfterMs !== undefined ? { retryAfterMs: s.retryAfterMs } : {}),
        ...(s.resetsAt !== undefined ? { resetsAt: s.resetsAt } : {}),
      };
    case 'skipped':
    case 'cancelled':
      return { kind: s.kind, reason: s.reason };
    case 'blocked':
      return { kind: s.kind, by: s.by, reason: s.reason };
    default: {
      const never: never = s;
      throw new Error(`unknown task state ${JSON.stringify(never)}`);
    }
  }
}
