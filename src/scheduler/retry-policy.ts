import type { Config } from '../config/schema.js';
import { MAX_TIMEOUT_MS } from '../plan/schema.js';
import type { TaskSpec } from '../plan/schema.js';
import type { TaskRecord } from './run-store.js';
import type { RetryWait } from './states.js';

/** The automatic retries a task gets: its own `retries`, else its role's, else none. */
export function retriesFor(spec: Pick<TaskSpec, 'retries' | 'agent'>, config: Pick<Config, 'agents'>): number {
  return spec.retries ?? config.agents[spec.agent]?.retries ?? 0;
}

/** The provider a task's role maps to, when the role is known: the circuit breaker's key. */
export function providerOf(spec: Pick<TaskSpec, 'agent'>, config: Pick<Config, 'agents'>): string | undefined {
  return config.agents[spec.agent]?.provider;
}

/**
 * The wait before automatic retry `n` (1-based), with "full jitter": a
 * uniformly random time in [0, min(maxMs, baseMs * 2^(n-1))], so many tasks
 * failing together do not all come back at the same moment.
 */
export function backoffMs(n: number, baseMs: number, maxMs: number, random: () => number): number {
  const cap = Math.min(maxMs, baseMs * 2 ** Math.max(0, n - 1));
  const r = Math.min(Math.max(random(), 0), 1 - Number.EPSILON);
  return Math.floor(r * (cap + 1));
}

/** What to do after an attempt ended in `failed`. */
export type RetryDecision =
  | { kind: 'retry'; delayMs: number; wait: Omit<RetryWait, 'at'> }
  | { kind: 'give-up'; why: 'no-retries' | 'exhausted' | 'permanent' | 'did-not-start' };

/**
 * Pure: after a failed attempt, retry (and after how long) or give up. Only
 * an attempt that ran is retried (one that could not start fails the same way
 * each time); a permanent failure is not; a reported retry-after is honoured
 * in place of the backoff. Attempts that met a usage limit do not count.
 */
export function decideRetry(
  record: Pick<TaskRecord, 'attempts' | 'state' | 'limitHits'>,
  allowed: number,
  config: Pick<Config, 'retryBaseMs' | 'retryMaxMs'>,
  random: () => number,
): RetryDecision {
  const state = record.state;
  if (state.kind !== 'failed' || record.attempts === 0) return { kind: 'give-up', why: 'did-not-start' };
  if (allowed === 0) return { kind: 'give-up', why: 'no-retries' };
  // A conflict is not retried by itself: the person resolves it (mergeAgain) or retries it on a fresh worktree.
  if (state.failure === 'permanent' || state.failure === 'conflict') return { kind: 'give-up', why: 'permanent' };
  // An attempt a usage limit stopped spent no retry: the task waited for the reset instead.
  const n = record.attempts - (record.limitHits ?? 0);
  if (n > allowed) return { kind: 'give-up', why: 'exhausted' };
  if (state.retryAfterMs !== undefined && state.retryAfterMs >= 0) {
    const delayMs = Math.min(Math.round(state.retryAfterMs), MAX_TIMEOUT_MS);
    return { kind: 'retry', delayMs, wait: { attempt: n, of: allowed, reason: 'retry-after' } };
  }
  const delayMs = backoffMs(n, config.retryBaseMs, config.retryMaxMs, random);
  return { kind: 'retry', delayMs, wait: { attempt: n, of: allowed, reason: 'backoff' } };
}
