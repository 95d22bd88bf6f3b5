/** A timer handle as the clock hands it out; only the clock that made it can clear it. */
export type TimerHandle = unknown;

/**
 * Time as the engine sees it: injected so tests drive retry backoffs and
 * breaker cooldowns with a fake clock instead of waiting for real ones.
 */
export interface Clock {
  now(): number;
  setTimeout(fire: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/**
 * The real clock. Its timers keep Node alive on purpose: a run whose only
 * work left is a retry waiting out its backoff must not end early.
 */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fire, ms) => setTimeout(fire, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
