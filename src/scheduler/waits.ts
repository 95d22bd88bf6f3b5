import type { Config } from '../config/schema.js';
import { CircuitBreakers } from './breaker.js';
import type { AttemptVerdict, BreakerChange } from './breaker.js';
import type { Clock, TimerHandle } from './clock.js';
import type { RunEventOf } from './events.js';
import { decideRetry, providerOf, retriesFor } from './retry-policy.js';
import type { RunStore, TaskRecord } from './run-store.js';
import type { BreakerWait } from './states.js';

/** What the engine lends the waits: its store, and how to put tasks back in play. */
export interface WaitsHost {
  store: RunStore;
  config: Config;
  clock: Clock;
  random: () => number;
  /** Puts an eligible task (back) in the ready queue. */
  offer(record: TaskRecord): void;
  /** A wait ended: re-evaluate these tasks against their dependencies, then start what can start. */
  wake(ids: readonly string[]): void;
}

/** What a retry of a waiting task did: ended its backoff, or let it past its provider's open breaker or usage-limit hold. */
export type RetryNow = { did: 'retrying-now' } | { did: 'started-past-breaker'; provider: string; limit?: true };

/** How long a provider is held for a usage limit whose reset the agent did not say. */
export const UNKNOWN_RESET_WAIT_MS = 15 * 60_000;

/**
 * The ways a task waits on time rather than on other tasks: an automatic
 * retry's backoff (the task is `pending` with a `retry` detail), its
 * provider's open circuit breaker, and its provider's usage limit (both
 * `eligible` with a `breaker` detail; `limit` set for the latter). Owns
 * their timers so a shutdown leaves none firing.
 */
export class Waits {
  readonly breakers: CircuitBreakers;
  private readonly retryTimers = new Map<string, TimerHandle>();
  /** Tasks the person retried by hand: they start without asking their provider's breaker. */
  private readonly bypass = new Set<string>();

  constructor(private readonly host: WaitsHost) {
    this.breakers = new CircuitBreakers(host.config.breaker, host.clock, (provider, why) => {
      if (why === 'released') host.store.releaseProvider(provider);
      this.reoffer(provider, why === 'released');
      host.wake([]);
    });
  }

  /**
   * Told of every state change as the store applies it (RunStoreOptions.onTransition):
   * whatever moves a task out of its backoff wait (pause, skip, cancel, a manual retry) ends the wait's timer.
   */
  onTransition(e: RunEventOf<'task-state'>): void {
    if (e.from.kind === 'pending' && e.from.retry && !(e.to.kind === 'pending' && e.to.retry)) this.dropTimer(e.taskId);
  }

  /**
   * Called once an attempt has ended: tells the provider's breaker, and for a
   * failure that may be retried moves the task to `pending` with a retry
   * wait. True when it now waits to retry.
   */
  afterAttempt(record: TaskRecord, stopping: boolean): boolean {
    const state = record.state;
    if (state.kind === 'failed' && state.failure === 'usage-limit') {
      // Kept failed by a shutdown: a resume reads the reset from it (persist/resume.ts).
      if (stopping) return false;
      this.waitForReset(record, state.resetsAt);
      return true;
    }
    this.tellBreaker(record);
    if (record.state.kind !== 'failed' || stopping) return false;
    const { config, random, clock, store } = this.host;
    const decision = decideRetry(record, retriesFor(record.spec, config), config, random);
    if (decision.kind !== 'retry') return false;
    const id = record.spec.id;
    store.setState(id, { kind: 'pending', retry: { ...decision.wait, at: clock.now() + decision.delayMs } });
    this.retryTimers.set(
      id,
      clock.setTimeout(() => {
        this.retryTimers.delete(id);
        this.host.wake([id]);
      }, decision.delayMs),
    );
    return true;
  }

  /**
   * The task's attempt met its provider's usage limit: it goes back to waiting, its retries untouched
   * (decideRetry does not count such attempts), and the provider is held until the reset
   * (`resetsAt`, or UNKNOWN_RESET_WAIT_MS when the agent did not say) and `limits.marginSeconds`.
   */
  private waitForReset(record: TaskRecord, resetsAt: number | undefined): void {
    const { config, clock, store } = this.host;
    const id = record.spec.id;
    const until = (resetsAt ?? clock.now() + UNKNOWN_RESET_WAIT_MS) + config.limits.marginSeconds * 1000;
    store.setState(id, until > clock.now() ? { kind: 'pending', hold: { until } } : { kind: 'pending' });
    const provider = providerOf(record.spec, config);
    if (provider !== undefined) this.holdProvider(provider, until, { ...(resetsAt !== undefined ? { resetsAt } : {}), task: id });
    this.host.wake([id]);
  }

  /**
   * Holds `provider` for its usage limit until `until`: none of its tasks starts before then (the
   * ready ones are labelled now), other providers go on. Also how a resumed run restores a
   * recorded hold. Nothing when the time has passed or it is held that long already.
   */
  holdProvider(provider: string, until: number, about: { resetsAt?: number; task?: string } = {}): void {
    if (until <= this.host.clock.now() || !this.breakers.limit(provider, until)) return;
    this.host.store.holdProvider({ provider, until, ...about });
    this.holdAll(provider);
  }

  /** The providers held for a usage limit, with when each hold ends. */
  heldProviders(): Array<{ provider: string; until: number }> {
    return this.breakers.limited();
  }

  /** True while the task waits out a retry's backoff: it must not become eligible yet. */
  isWaiting(id: string): boolean {
    return this.retryTimers.has(id);
  }

  /**
   * Whether an eligible task may start now. When its provider's breaker holds
   * it, it is labelled with the wait (once) and remembered for when the
   * breaker lets tasks through.
   */
  admit(record: TaskRecord): boolean {
    const id = record.spec.id;
    const provider = providerOf(record.spec, this.host.config);
    if (provider === undefined || this.bypass.delete(id)) return true;
    const verdict = this.breakers.admit(provider, id);
    if (verdict.ok) return true;
    this.hold(record, verdict.wait);
    return false;
  }

  /**
   * The person's retry on a task that waits on time: drops a backoff wait, or
   * lets a task held by its provider's breaker start past it. Undefined when
   * the task waits on neither.
   */
  retryNow(record: TaskRecord): RetryNow | undefined {
    const id = record.spec.id;
    const state = record.state;
    if (state.kind === 'pending' && state.retry) {
      this.host.store.setState(id, { kind: 'pending' });
      this.host.wake([id]);
      return { did: 'retrying-now' };
    }
    if (state.kind === 'eligible' && state.breaker) {
      this.bypass.add(id);
      this.host.offer(record);
      this.host.wake([]);
      return { did: 'started-past-breaker', provider: state.breaker.provider, ...(state.breaker.limit ? { limit: true as const } : {}) };
    }
    return undefined;
  }

  /** A manual retry of a failed or cancelled task starts it even if its provider's breaker is open. */
  allowPastBreaker(id: string): void {
    this.bypass.add(id);
  }

  /** Shutdown: no timer fires any more; tasks waiting to retry go back to plain `pending` (resumable). */
  stop(): void {
    this.breakers.clear();
    for (const id of [...this.retryTimers.keys()]) {
      const state = this.host.store.require(id).state;
      if (state.kind === 'pending' && state.retry) this.host.store.setState(id, { kind: 'pending' });
      this.dropTimer(id);
    }
  }

  /** The run went idle: cooldown timers must not keep the process alive. */
  idle(): void {
    this.breakers.clear();
  }

  private tellBreaker(record: TaskRecord): void {
    const provider = providerOf(record.spec, this.host.config);
    if (provider === undefined) return;
    const state = record.state;
    const verdict: AttemptVerdict =
      // A conflict is the agent's success: the provider is healthy.
      state.kind === 'completed' || (state.kind === 'failed' && state.failure === 'conflict') ? 'success'
      : state.kind === 'failed' && record.attempts > 0 ? (state.failure === 'permanent' ? 'permanent' : 'transient')
      : 'stopped';
    const change: BreakerChange = this.breakers.record(
      provider,
      record.spec.id,
      verdict,
      state.kind === 'failed' ? state.retryAfterMs : undefined,
    );
    if (change === 'opened') this.holdAll(provider);
    else if (change !== undefined) this.reoffer(provider, change === 'closed');
  }

  /** The breaker just opened: label every ready task of the provider now, not only when a slot frees. */
  private holdAll(provider: string): void {
    const { config, store } = this.host;
    for (const record of store.getSnapshot().tasks) {
      if (record.state.kind !== 'eligible' || providerOf(record.spec, config) !== provider) continue;
      const verdict = this.breakers.admit(provider, record.spec.id);
      if (!verdict.ok) this.hold(record, verdict.wait);
    }
  }

  private hold(record: TaskRecord, wait: BreakerWait): void {
    const id = record.spec.id;
    this.breakers.hold(wait.provider, id);
    const state = this.host.store.require(id).state;
    if (state.kind !== 'eligible') return;
    const shown = state.breaker;
    if (shown && shown.until === wait.until && shown.failures === wait.failures && shown.limit === wait.limit) return;
    this.host.store.setState(id, { kind: 'eligible', breaker: wait });
  }

  /** Offers the provider's held tasks again; with `unlabel` (the breaker closed) their wait detail goes. */
  private reoffer(provider: string, unlabel: boolean): void {
    const { store } = this.host;
    for (const id of this.breakers.release(provider)) {
      const record = store.get(id);
      if (record?.state.kind !== 'eligible') continue;
      this.host.offer(unlabel && record.state.breaker ? store.setState(id, { kind: 'eligible' }) : record);
    }
  }

  private dropTimer(id: string): void {
    const timer = this.retryTimers.get(id);
    if (timer === undefined) return;
    this.host.clock.clearTimeout(timer);
    this.retryTimers.delete(id);
  }
}
