import type { Config } from '../config/schema.js';
import type { Clock, TimerHandle } from './clock.js';
import type { BreakerWait } from './states.js';

/**
 * One provider's breaker: closed (counting), open (cooling down), half-open (one probe may run), or
 * limited (its usage limit was met: nothing starts until `until`, when it closes).
 */
export type BreakerState =
  | { kind: 'closed'; failures: number }
  | { kind: 'limited'; failures: number; until: number }
  | { kind: 'open'; failures: number; until: number }
  | { kind: 'half-open'; failures: number; since: number; probe?: string };

/** How an attempt ended, as far as its provider's health goes. */
export type AttemptVerdict = 'success' | 'transient' | 'permanent' | 'stopped';

/** What a verdict did to the breaker: the engine releases or re-labels the tasks it holds. */
export type BreakerChange = 'opened' | 'closed' | 'probe-free' | undefined;

/** `onReady`'s news: a cooldown ended (one probe may go), or a usage limit's hold ended (all may go). */
export type BreakerReady = 'probe' | 'released';

/**
 * One circuit breaker per provider (by provider name). After
 * `breaker.failures` consecutive transient failures it opens and holds that
 * provider's ready tasks; after `cooldownMs` one probe runs (half-open) and
 * its outcome closes the breaker or opens it again. A success anywhere
 * closes it. Other providers are never affected.
 */
export class CircuitBreakers {
  private readonly states = new Map<string, BreakerState>();
  private readonly timers = new Map<string, TimerHandle>();
  /** Ready tasks held back, per provider, in no particular order (the ready queue orders them). */
  private readonly held = new Map<string, Set<string>>();

  /** `onReady(provider, why)`: held tasks may be offered again (after a cooldown one will probe). */
  constructor(
    private readonly config: Pick<Config['breaker'], 'failures' | 'cooldownMs'>,
    private readonly clock: Clock,
    private readonly onReady: (provider: string, why: BreakerReady) => void,
  ) {}

  state(provider: string): BreakerState {
    return this.states.get(provider) ?? { kind: 'closed', failures: 0 };
  }

  /**
   * May task `id` of `provider` start now? Closed: yes. Half-open with no
   * probe: yes, and it becomes the probe. Otherwise no, and the wait to show.
   */
  admit(provider: string, id: string): { ok: true } | { ok: false; wait: BreakerWait } {
    const state = this.state(provider);
    switch (state.kind) {
      case 'closed':
        return { ok: true };
      case 'half-open':
        if (state.probe === undefined || state.probe === id) {
          this.states.set(provider, { ...state, probe: id });
          return { ok: true };
        }
        return { ok: false, wait: { provider, until: state.since, failures: state.failures } };
      case 'open':
        return { ok: false, wait: { provider, until: state.until, failures: state.failures } };
      case 'limited':
        return { ok: false, wait: { provider, until: state.until, failures: 0, limit: true } };
      default: {
        const never: never = state;
        throw new Error(`unknown breaker state ${JSON.stringify(never)}`);
      }
    }
  }

  /**
   * Holds the provider until `until` for its usage limit: nothing of it starts, whatever its
   * breaker said, until then; then it closes and every held task is offered again. A later
   * reset extends the hold; an earlier one does not shorten it. False when it held already until then.
   */
  limit(provider: string, until: number): boolean {
    const state = this.state(provider);
    if (state.kind === 'limited' && state.until >= until) return false;
    this.cancelTimer(provider);
    this.states.set(provider, { kind: 'limited', failures: 0, until });
    const timer = this.clock.setTimeout(() => {
      this.timers.delete(provider);
      this.states.set(provider, { kind: 'closed', failures: 0 });
      this.onReady(provider, 'released');
    }, Math.max(0, until - this.clock.now()));
    this.timers.set(provider, timer);
    return true;
  }

  /** The providers held for their usage limits, with when each hold ends. */
  limited(): Array<{ provider: string; until: number }> {
    return [...this.states].flatMap(([provider, s]) => (s.kind === 'limited' ? [{ provider, until: s.until }] : []));
  }

  /** Remembers a task held back by `provider`'s breaker, to offer again when it lets tasks through. */
  hold(provider: string, id: string): void {
    let set = this.held.get(provider);
    if (!set) this.held.set(provider, (set = new Set()));
    set.add(id);
  }

  /** The tasks held for `provider`, forgetting them (the caller re-offers the ones still ready). */
  release(provider: string): string[] {
    const set = this.held.get(provider);
    this.held.delete(provider);
    return set ? [...set] : [];
  }

  /** Records how task `id`'s attempt on `provider` ended; says what changed. */
  record(provider: string, id: string, verdict: AttemptVerdict, retryAfterMs?: number): BreakerChange {
    const state = this.state(provider);
    // Held for its usage limit: the reset decides, not what attempts started before it end in.
    if (state.kind === 'limited') return undefined;
    const isProbe = state.kind === 'half-open' && state.probe === id;
    switch (verdict) {
      case 'success':
        this.cancelTimer(provider);
        this.states.set(provider, { kind: 'closed', failures: 0 });
        return state.kind === 'closed' ? undefined : 'closed';
      case 'transient': {
        const failures = state.failures + 1;
        if (state.kind === 'closed' && failures < this.config.failures) {
          this.states.set(provider, { kind: 'closed', failures });
          return undefined;
        }
        if (state.kind === 'closed' || isProbe) {
          this.open(provider, failures, retryAfterMs);
          return 'opened';
        }
        // An attempt started before the breaker opened: it is open already.
        this.states.set(provider, { ...state, failures });
        return undefined;
      }
      case 'permanent':
        // The provider answered (bad arguments, auth): it is up, so a probe that gets this closes the breaker.
        if (!isProbe) return undefined;
        this.states.set(provider, { kind: 'closed', failures: 0 });
        return 'closed';
      case 'stopped':
        if (!isProbe || state.kind !== 'half-open') return undefined;
        this.states.set(provider, { kind: 'half-open', failures: state.failures, since: state.since });
        return 'probe-free';
      default: {
        const never: never = verdict;
        throw new Error(`unknown verdict ${JSON.stringify(never)}`);
      }
    }
  }

  /**
   * Drops every cooldown timer (shutdown, or the run went idle) so none keeps
   * the process alive; an open breaker becomes half-open, so work that comes
   * back later (a retry by hand) probes at once instead of waiting forever.
   */
  clear(): void {
    for (const provider of [...this.timers.keys()]) {
      this.cancelTimer(provider);
      const state = this.state(provider);
      if (state.kind === 'open') this.states.set(provider, { kind: 'half-open', failures: state.failures, since: state.until });
      // A hold's end is recorded on its tasks (their `hold`), so a resumed run holds again.
      if (state.kind === 'limited') this.states.set(provider, { kind: 'closed', failures: 0 });
    }
  }

  private open(provider: string, failures: number, retryAfterMs?: number): void {
    this.cancelTimer(provider);
    const wait = Math.max(this.config.cooldownMs, retryAfterMs ?? 0);
    const until = this.clock.now() + wait;
    this.states.set(provider, { kind: 'open', failures, until });
    const timer = this.clock.setTimeout(() => {
      this.timers.delete(provider);
      // `since` is the planned end of the cooldown, so the tasks' "probe at" labels need no update.
      this.states.set(provider, { kind: 'half-open', failures, since: until });
      this.onReady(provider, 'probe');
    }, wait);
    this.timers.set(provider, timer);
  }

  private cancelTimer(provider: string): void {
    const timer = this.timers.get(provider);
    if (timer === undefined) return;
    this.clock.clearTimeout(timer);
    this.timers.delete(provider);
  }
}
