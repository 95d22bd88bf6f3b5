import { describe, expect, it } from '@jest/globals';
import { stateDetail } from '../../src/report/format.js';
import { CircuitBreakers } from '../../src/scheduler/breaker.js';
import { FakeClock } from './fake-clock.js';
import { ScriptedBackend, config, engineWith, flush, stateOf, states, task } from './harness.js';

const transient = { ok: false as const, reason: 'overloaded', failure: 'transient' as const };

describe('CircuitBreakers', () => {
  function make() {
    const clock = new FakeClock();
    const ready: string[] = [];
    const b = new CircuitBreakers({ failures: 3, cooldownMs: 10_000 }, clock, (p) => ready.push(p));
    return { clock, ready, b };
  }

  it('opens after N consecutive transient failures; a success in between resets the count', () => {
    const { b } = make();
    b.record('claude', 't1', 'transient');
    b.record('claude', 't2', 'transient');
    b.record('claude', 't3', 'success');
    expect(b.state('claude')).toEqual({ kind: 'closed', failures: 0 });
    b.record('claude', 't4', 'transient');
    b.record('claude', 't5', 'permanent');
    b.record('claude', 't6', 'transient');
    expect(b.admit('claude', 'x').ok).toBe(true);
    expect(b.record('claude', 't7', 'transient')).toBe('opened');
    expect(b.admit('claude', 'x')).toMatchObject({ ok: false, wait: { provider: 'claude', failures: 3 } });
    expect(b.admit('shell', 'x').ok).toBe(true);
  });

  it('after the cooldown lets exactly one probe through; its outcome closes or reopens', () => {
    const { b, clock, ready } = make();
    for (const id of ['a', 'b', 'c']) b.record('p', id, 'transient');
    const opened = clock.now();
    clock.advance(9_999);
    expect(b.admit('p', 'x').ok).toBe(false);
    expect(ready).toEqual([]);
    clock.advance(1);
    expect(ready).toEqual(['p']);
    expect(b.admit('p', 'probe').ok).toBe(true);
    expect(b.admit('p', 'other')).toEqual({ ok: false, wait: { provider: 'p', until: opened + 10_000, failures: 3 } });
    expect(b.record('p', 'probe', 'transient')).toBe('opened');
    expect(b.state('p')).toEqual({ kind: 'open', failures: 4, until: clock.now() + 10_000 });
    clock.advance(10_000);
    expect(b.admit('p', 'probe2').ok).toBe(true);
    expect(b.record('p', 'probe2', 'success')).toBe('closed');
    expect(b.admit('p', 'any').ok).toBe(true);
    expect(b.admit('p', 'more').ok).toBe(true);
  });

  it('a stopped probe frees the probe slot; a permanent probe closes; a late non-probe failure changes nothing', () => {
    const { b, clock } = make();
    for (const id of ['a', 'b', 'c']) b.record('p', id, 'transient');
    clock.advance(10_000);
    expect(b.admit('p', 'probe').ok).toBe(true);
    expect(b.record('p', 'late', 'transient')).toBeUndefined();
    expect(b.admit('p', 'other').ok).toBe(false);
    expect(b.record('p', 'probe', 'stopped')).toBe('probe-free');
    expect(b.admit('p', 'other').ok).toBe(true);
    expect(b.record('p', 'other', 'permanent')).toBe('closed');
    expect(b.state('p').kind).toBe('closed');
  });

  it('honours a longer retry-after as the cooldown; clear() drops timers and leaves it half-open', () => {
    const { b, clock } = make();
    b.record('p', 'a', 'transient');
    b.record('p', 'b', 'transient');
    b.record('p', 'c', 'transient', 30_000);
    expect(b.state('p')).toMatchObject({ kind: 'open', until: clock.now() + 30_000 });
    expect(clock.pending).toBe(1);
    b.clear();
    expect(clock.pending).toBe(0);
    expect(b.state('p').kind).toBe('half-open');
  });
});

describe('circuit breakers in the engine (fake clock)', () => {
  /** shell-role tasks go to provider `shell`, coder-role ones to provider `claude`. */
  function setup(concurrency = 1) {
    const clock = new FakeClock();
    const backend = new ScriptedBackend();
    const cfg = config({ breaker: { failures: 2, cooldownMs: 30_000 }, workflows: {} });
    const tasks = [
      task('s1'),
      task('s2'),
      task('s3'),
      task('s4'),
      task('c1', { agent: 'coder' }),
      task('c2', { agent: 'coder' }),
    ];
    const engine = engineWith(tasks, backend, { config: cfg, clock, concurrency });
    return { clock, backend, engine, done: engine.run() };
  }

  it('opens after N failures: the provider waits visibly, other providers run, one probe after the cooldown', async () => {
    const { clock, backend, engine, done } = setup();
    await flush();
    backend.finish('s1', transient);
    await flush();
    backend.finish('s2', transient);
    await flush();
    // Open: s3 and s4 wait with the time left; the coder (claude) tasks run one by one meanwhile.
    const held = engine.store.require('s3').state;
    expect(held).toEqual({ kind: 'eligible', breaker: { provider: 'shell', until: clock.now() + 30_000, failures: 2 } });
    expect(stateDetail(held, '/', clock.now())).toBe("waiting: provider 'shell' failing (2 in a row), next try in 30s");
    expect(engine.store.require('s4').state).toMatchObject({ kind: 'eligible', breaker: { provider: 'shell' } });
    expect(stateOf(engine, 'c1')).toBe('running');
    backend.finish('c1');
    await flush();
    backend.finish('c2');
    await flush();
    expect(states(engine)).toMatchObject({ c1: 'completed', c2: 'completed', s3: 'eligible', s4: 'eligible' });
    expect(backend.live.size).toBe(0);
    clock.advance(29_999);
    await flush();
    expect(backend.live.size).toBe(0);
    clock.advance(1);
    await flush();
    // Half-open: exactly one probe (the first in plan order); its failure reopens the breaker.
    expect([...backend.live.keys()]).toEqual(['s3']);
    backend.finish('s3', transient);
    await flush();
    expect(backend.live.size).toBe(0);
    expect(engine.store.require('s4').state).toMatchObject({ breaker: { until: clock.now() + 30_000 } });
    clock.advance(30_000);
    await flush();
    expect([...backend.live.keys()]).toEqual(['s4']);
    backend.finish('s4');
    const summary = await done;
    expect(states(engine)).toEqual({ s1: 'failed', s2: 'failed', s3: 'failed', s4: 'completed', c1: 'completed', c2: 'completed' });
    expect(summary.exitCode).toBe(1);
    expect(clock.pending).toBe(0);
  });

  it('a successful probe closes it and releases every held task (their wait detail goes)', async () => {
    const clock = new FakeClock();
    const backend = new ScriptedBackend();
    const cfg = config({ breaker: { failures: 2, cooldownMs: 30_000 }, workflows: {} });
    const tasks = ['s1', 's2', 's3', 's4', 's5'].map((id) => task(id)).concat([task('c1', { agent: 'coder' })]);
    const engine = engineWith(tasks, backend, { config: cfg, clock, concurrency: 2 });
    const done = engine.run();
    await flush();
    backend.finish('s1', transient);
    await flush();
    expect([...backend.live.keys()].sort()).toEqual(['s2', 's3']);
    backend.finish('s2', transient);
    await flush();
    // Open: s4 and s5 are held; c1 (another provider) takes the free slot; s3 started before and goes on.
    expect([...backend.live.keys()].sort()).toEqual(['c1', 's3']);
    expect(engine.store.require('s5').state).toMatchObject({ kind: 'eligible', breaker: { provider: 'shell' } });
    backend.finish('s3', transient); // an attempt from before the opening: it changes nothing
    backend.finish('c1');
    await flush();
    expect(backend.live.size).toBe(0);
    clock.advance(30_000);
    await flush();
    expect([...backend.live.keys()]).toEqual(['s4']);
    // Hold new starts, so the released task can be seen between the breaker closing and its start.
    engine.pauseAll();
    backend.finish('s4');
    await flush();
    expect(engine.store.require('s5').state).toEqual({ kind: 'eligible' });
    engine.resumeAll();
    await flush();
    expect([...backend.live.keys()]).toEqual(['s5']);
    backend.finish('s5');
    await done;
    expect(clock.pending).toBe(0);
  });

  it('no task of an open provider fails one after another: with retries they wait, then all succeed', async () => {
    const clock = new FakeClock();
    let down = true;
    const backend = new ScriptedBackend({ outcome: () => (down ? transient : { ok: true, result: 'ok' }) });
    const cfg = config({ breaker: { failures: 3, cooldownMs: 60_000 }, retryBaseMs: 100, workflows: {} });
    const tasks = Array.from({ length: 10 }, (_, i) => task(`t${i}`, { retries: 5 }));
    const engine = engineWith(tasks, backend, { config: cfg, clock, concurrency: 2, random: () => 0.5 });
    let ended = false;
    void engine.run().then(() => (ended = true));
    for (let i = 0; i < 50 && backend.calls.length < 6; i++) {
      await flush();
      clock.advance(clock.nextAt() === undefined ? 0 : Math.min(200, clock.nextAt()! - clock.now()));
    }
    await flush();
    const attemptsWhileOpen = backend.calls.length;
    clock.advance(59_000);
    await flush();
    expect(backend.calls.length).toBe(attemptsWhileOpen);
    expect(ended).toBe(false);
    expect(engine.store.getSnapshot().counts.failed).toBe(0);
    down = false;
    for (let i = 0; i < 200 && !ended; i++) {
      clock.advance(1000);
      await flush();
    }
    expect(ended).toBe(true);
    expect(engine.store.getSnapshot().counts.completed).toBe(10);
  });

  it('retry on a held task starts it past the open breaker', async () => {
    const { backend, engine, done } = setup();
    await flush();
    backend.finish('s1', transient);
    await flush();
    backend.finish('s2', transient);
    await flush();
    backend.finish('c1');
    await flush();
    backend.finish('c2');
    await flush();
    expect(engine.retry('s4')).toEqual({ ok: true, did: 'started-past-breaker', id: 's4', provider: 'shell' });
    await flush();
    expect([...backend.live.keys()]).toEqual(['s4']);
    backend.finish('s4');
    await flush();
    // s4's success closed the breaker: s3 runs without waiting for the cooldown.
    expect([...backend.live.keys()]).toEqual(['s3']);
    backend.finish('s3');
    await done;
  });

  it('shutdown while tasks wait on an open breaker ends the run and leaves no timer', async () => {
    const { clock, backend, engine, done } = setup();
    await flush();
    backend.finish('s1', transient);
    await flush();
    backend.finish('s2', transient);
    await flush();
    const summary = await engine.shutdown('SIGTERM');
    expect(summary.interrupted).toBe('SIGTERM');
    expect(states(engine)).toMatchObject({ c1: 'cancelled', s3: 'eligible' });
    expect(clock.pending).toBe(0);
    await done;
  });
});
