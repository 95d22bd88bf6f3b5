import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { attachReporter } from '../../src/report/headless.js';
import { stateDetail } from '../../src/report/format.js';
import { backoffMs, decideRetry, retriesFor } from '../../src/scheduler/retry-policy.js';
import { FakeClock } from './fake-clock.js';
import { ScriptedBackend, config, engineWith, flush, stateOf, task } from './harness.js';

const transient = { ok: false as const, reason: 'rate limited', failure: 'transient' as const };

describe('backoff with full jitter', () => {
  it('waits a random time in [0, min(max, base * 2^(n-1))] for every n and random draw', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (n, base, max, r) => {
          const ms = backoffMs(n, base, max, () => r);
          const cap = Math.min(max, base * 2 ** (n - 1));
          expect(Number.isInteger(ms)).toBe(true);
          expect(ms).toBeGreaterThanOrEqual(0);
          expect(ms).toBeLessThanOrEqual(cap);
        },
      ),
    );
  });

  it('spans the whole range: the lowest draw waits 0, the highest the cap', () => {
    expect(backoffMs(3, 100, 10_000, () => 0)).toBe(0);
    expect(backoffMs(3, 100, 10_000, () => 0.999999999)).toBe(400);
    expect(backoffMs(10, 100, 10_000, () => 0.999999999)).toBe(10_000);
    expect(backoffMs(1, 100, 10_000, () => 0.5)).toBe(50);
  });

  it('decides: permanent, exhausted, never-started and no-retries give up; a retry-after replaces the backoff', () => {
    const cfg = { retryBaseMs: 1000, retryMaxMs: 60_000 };
    const failed = (extra = {}) => ({ kind: 'failed' as const, reason: 'x', ...extra });
    expect(decideRetry({ attempts: 1, state: failed({ failure: 'permanent' }) }, 3, cfg, () => 0.5)).toEqual({ kind: 'give-up', why: 'permanent' });
    expect(decideRetry({ attempts: 4, state: failed() }, 3, cfg, () => 0.5)).toEqual({ kind: 'give-up', why: 'exhausted' });
    expect(decideRetry({ attempts: 0, state: failed() }, 3, cfg, () => 0.5)).toEqual({ kind: 'give-up', why: 'did-not-start' });
    expect(decideRetry({ attempts: 1, state: failed() }, 0, cfg, () => 0.5)).toEqual({ kind: 'give-up', why: 'no-retries' });
    expect(decideRetry({ attempts: 2, state: failed({ retryAfterMs: 7000 }) }, 3, cfg, () => 0.5)).toEqual({
      kind: 'retry',
      delayMs: 7000,
      wait: { attempt: 2, of: 3, reason: 'retry-after' },
    });
    expect(decideRetry({ attempts: 3, state: failed() }, 3, cfg, () => 0.5)).toEqual({
      kind: 'retry',
      delayMs: 2000,
      wait: { attempt: 3, of: 3, reason: 'backoff' },
    });
  });

  it("a task's own retries win; unset falls back to its role's; neither means none", () => {
    const cfg = config();
    cfg.agents.shell = { provider: 'shell', retries: 4 };
    const { retries: _, ...bare } = task('a');
    expect(retriesFor(bare, cfg)).toBe(4);
    expect(retriesFor(task('a', { retries: 0 }), cfg)).toBe(0);
    expect(retriesFor(task('a', { retries: 2 }), cfg)).toBe(2);
    expect(retriesFor({ ...bare, agent: 'coder' }, cfg)).toBe(0);
  });
});

describe('automatic retries in the engine (fake clock)', () => {
  it('waits the jittered backoff before each retry, visibly, and never starts early', async () => {
    const clock = new FakeClock();
    const backend = new ScriptedBackend();
    const cfg = config({ retryBaseMs: 1000, retryMaxMs: 60_000 });
    const draws = [0.25, 0.75];
    const engine = engineWith([task('flaky', { retries: 2 })], backend, { config: cfg, clock, random: () => draws.shift()! });
    const done = engine.run();
    await flush();
    backend.finish('flaky', transient);
    await flush();
    const first = engine.store.require('flaky').state;
    // Retry 1: cap 1000 ms, draw 0.25 → 250 ms.
    expect(first).toEqual({ kind: 'pending', retry: { at: clock.now() + 250, attempt: 1, of: 2, reason: 'backoff' } });
    clock.advance(249);
    await flush();
    expect(stateOf(engine, 'flaky')).toBe('pending');
    expect(backend.calls).toHaveLength(1);
    clock.advance(1);
    await flush();
    expect(stateOf(engine, 'flaky')).toBe('running');
    backend.finish('flaky', transient);
    await flush();
    // Retry 2: cap 2000 ms, draw 0.75 → 1500 ms.
    expect(engine.store.require('flaky').state).toMatchObject({ kind: 'pending', retry: { at: clock.now() + 1500, attempt: 2, of: 2 } });
    clock.advance(1499);
    await flush();
    expect(backend.calls).toHaveLength(2);
    clock.advance(1);
    await flush();
    backend.finish('flaky');
    expect((await done).exitCode).toBe(0);
    expect(engine.store.require('flaky').attempts).toBe(3);
    expect(clock.pending).toBe(0);
  });

  it('honours a reported retry-after instead of the backoff', async () => {
    const clock = new FakeClock();
    const backend = new ScriptedBackend();
    const engine = engineWith([task('a', { retries: 1 })], backend, { config: config({ retryBaseMs: 10, retryMaxMs: 10 }), clock });
    const done = engine.run();
    await flush();
    backend.finish('a', { ...transient, retryAfterMs: 30_000 });
    await flush();
    expect(engine.store.require('a').state).toMatchObject({ kind: 'pending', retry: { at: clock.now() + 30_000, reason: 'retry-after' } });
    expect(stateDetail(engine.store.require('a').state, '/', clock.now())).toBe('retrying in 30s (1/1), as the agent asked');
    clock.advance(29_999);
    await flush();
    expect(backend.calls).toHaveLength(1);
    clock.advance(1);
    await flush();
    backend.finish('a');
    expect((await done).exitCode).toBe(0);
  });

  it('does not retry a permanent failure, and says so', async () => {
    const clock = new FakeClock();
    const backend = new ScriptedBackend();
    const engine = engineWith([task('a', { retries: 3 })], backend, { clock });
    const done = engine.run();
    await flush();
    backend.finish('a', { ok: false, reason: 'invalid API key', failure: 'permanent' });
    const summary = await done;
    expect(summary.exitCode).toBe(1);
    expect(engine.store.require('a')).toMatchObject({ attempts: 1, state: { kind: 'failed', failure: 'permanent' } });
    expect(stateDetail(engine.store.require('a').state, '/')).toBe('invalid API key (permanent failure: not retried)');
    expect(clock.pending).toBe(0);
  });

  it("uses the role's retries when the task sets none, and the task's 0 when it does", async () => {
    const cfg = config();
    cfg.agents.shell = { provider: 'shell', retries: 2 };
    const { retries: _, ...inherits } = task('inherits');
    const backend = new ScriptedBackend({ outcome: () => transient });
    const engine = engineWith([inherits, task('own', { retries: 0 })], backend, { config: cfg });
    await engine.run();
    expect(engine.store.require('inherits').attempts).toBe(3);
    expect(engine.store.require('own').attempts).toBe(1);
  });

  it('the run does not end while a retry waits, and ends once it has run', async () => {
    const clock = new FakeClock();
    const backend = new ScriptedBackend();
    const engine = engineWith([task('a', { retries: 1 })], backend, { config: config({ retryBaseMs: 5000 }), clock, random: () => 0.5 });
    let ended = false;
    const done = engine.run().then((s) => ((ended = true), s));
    await flush();
    backend.finish('a', transient);
    await flush(10);
    expect(ended).toBe(false);
    expect(engine.store.isFinished).toBe(false);
    clock.advance(5000);
    await flush();
    backend.finish('a');
    expect((await done).exitCode).toBe(0);
  });

  it('shows `retrying in 8s (2/3)` while waiting, in the state and in the headless line', async () => {
    const clock = new FakeClock();
    const backend = new ScriptedBackend();
    const cfg = config({ retryBaseMs: 5000, retryMaxMs: 60_000 });
    const draws = [0, 0.8]; // retry 2: cap 10 s, floor(0.8 × 10001) = 8000 ms
    const engine = engineWith([task('t', { retries: 3 })], backend, { config: cfg, clock, random: () => draws.shift()! });
    const lines: string[] = [];
    attachReporter(engine.store, { json: false, write: (text) => lines.push(text) });
    const done = engine.run();
    await flush();
    backend.finish('t', transient);
    await flush();
    clock.advance(0);
    await flush();
    backend.finish('t', transient);
    await flush();
    const state = engine.store.require('t').state;
    expect(stateDetail(state, '/', clock.now())).toBe('retrying in 8s (2/3)');
    expect(stateDetail(state, '/', clock.now() + 3000)).toBe('retrying in 5s (2/3)');
    expect(lines.join('')).toMatch(/t\s+pending\s+retrying in 8s \(2\/3\)/);
    void engine.shutdown('SIGINT');
    await done;
  });
  it('stays in its backoff when a dependency settles again meanwhile', async () => {
    const clock = new FakeClock();
    const backend = new ScriptedBackend();
    const engine = engineWith([task('a', { failureMode: 'soft' }), task('b', { dependsOn: ['a'], retries: 1 })], backend, {
      config: config({ retryBaseMs: 60_000 }),
      clock,
      random: () => 0.5,
    });
    const done = engine.run();
    await flush();
    backend.finish('a', { ok: false, reason: 'soft failure' });
    await flush();
    backend.finish('b', transient);
    await flush();
    expect(engine.store.require('b').state).toMatchObject({ kind: 'pending', retry: { attempt: 1 } });
    expect(engine.retry('a').ok).toBe(true);
    await flush();
    backend.finish('a');
    await flush();
    expect(engine.store.require('b').state).toMatchObject({ kind: 'pending', retry: { attempt: 1 } });
    expect(backend.started()).toEqual(['a', 'b', 'a']);
    clock.advance(30_000);
    await flush();
    backend.finish('b');
    expect((await done).exitCode).toBe(0);
    expect(backend.started()).toEqual(['a', 'b', 'a', 'b']);
  });
});

describe('commands on a task waiting to retry', () => {
  async function waiting() {
    const clock = new FakeClock();
    const backend = new ScriptedBackend();
    const engine = engineWith([task('a', { retries: 2 }), task('b', { dependsOn: ['a'] })], backend, {
      config: config({ retryBaseMs: 60_000 }),
      clock,
      random: () => 0.5,
    });
    const done = engine.run();
    await flush();
    backend.finish('a', transient);
    await flush();
    expect(engine.store.require('a').state).toMatchObject({ kind: 'pending', retry: { attempt: 1 } });
    expect(clock.pending).toBe(1);
    return { clock, backend, engine, done };
  }

  it('retry starts it now and the old timer never fires', async () => {
    const { clock, backend, engine, done } = await waiting();
    expect(engine.retry('a')).toEqual({ ok: true, did: 'retrying-now', id: 'a' });
    await flush();
    expect(stateOf(engine, 'a')).toBe('running');
    expect(clock.pending).toBe(0);
    backend.finish('a');
    await flush();
    backend.finish('b');
    expect((await done).exitCode).toBe(0);
    expect(backend.started()).toEqual(['a', 'a', 'b']);
  });

  it('pause holds it past its backoff; resume starts it', async () => {
    const { clock, backend, engine, done } = await waiting();
    expect(engine.pause('a').ok).toBe(true);
    expect(clock.pending).toBe(0);
    clock.advance(120_000);
    await flush();
    expect(stateOf(engine, 'a')).toBe('paused');
    expect(engine.resume('a').ok).toBe(true);
    await flush();
    expect(stateOf(engine, 'a')).toBe('running');
    backend.finish('a');
    await flush();
    backend.finish('b');
    expect((await done).exitCode).toBe(0);
  });

  it('skip and cancel end the wait; nothing starts later', async () => {
    for (const command of ['skip', 'cancel'] as const) {
      const { clock, backend, engine, done } = await waiting();
      expect(engine[command]('a').ok).toBe(true);
      expect(clock.pending).toBe(0);
      await flush();
      if (command === 'skip') backend.finish('b');
      const summary = await done;
      expect(stateOf(engine, 'a')).toBe(command === 'skip' ? 'skipped' : 'cancelled');
      clock.advance(120_000);
      await flush();
      expect(backend.started().filter((id) => id === 'a')).toHaveLength(1);
      expect(summary.exitCode).toBe(command === 'skip' ? 0 : 1);
    }
  });

  it('shutdown ends the run at once, leaves no timer, and the task pending (resumable)', async () => {
    const { clock, backend, engine, done } = await waiting();
    const summary = await engine.shutdown('SIGINT');
    expect(summary.interrupted).toBe('SIGINT');
    expect(clock.pending).toBe(0);
    expect(engine.store.require('a').state).toEqual({ kind: 'pending' });
    clock.advance(120_000);
    await flush();
    expect(backend.calls).toHaveLength(1);
    expect((await done).interrupted).toBe('SIGINT');
  });
});
