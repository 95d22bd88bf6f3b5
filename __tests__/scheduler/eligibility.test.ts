import { describe, expect, it } from '@jest/globals';
import { ScriptedBackend, config, engineWith, flush, states, task } from './harness.js';

describe('eligibility and failure modes', () => {
  it('initially only tasks without dependencies start', async () => {
    const backend = new ScriptedBackend();
    const engine = engineWith([task('a'), task('b', { dependsOn: ['a'] }), task('c')], backend);
    void engine.run();
    await flush();
    expect(backend.started()).toEqual(['a', 'c']);
    expect(states(engine)).toEqual({ a: 'running', b: 'pending', c: 'running' });
  });

  it('completion of the last dependency makes a task eligible, partial completion does not', async () => {
    const backend = new ScriptedBackend();
    const engine = engineWith([task('a'), task('b'), task('join', { dependsOn: ['a', 'b'] })], backend);
    const done = engine.run();
    await flush();
    backend.finish('a');
    await flush();
    expect(states(engine).join).toBe('pending');
    backend.finish('b');
    await flush();
    expect(states(engine).join).toBe('running');
    backend.finish('join');
    expect((await done).exitCode).toBe(0);
  });

  it('a hard failure blocks every task below it, naming the failed task', async () => {
    const backend = new ScriptedBackend();
    const engine = engineWith(
      [task('a'), task('b', { dependsOn: ['a'] }), task('c', { dependsOn: ['b'] }), task('other')],
      backend,
    );
    const done = engine.run();
    await flush();
    backend.finish('a', { ok: false, reason: 'exit code 1: boom', exitCode: 1 });
    backend.finish('other');
    const summary = await done;
    expect(states(engine)).toEqual({ a: 'failed', b: 'blocked', c: 'blocked', other: 'completed' });
    expect(engine.store.require('c').state).toEqual({ kind: 'blocked', by: 'a', reason: 'a failed' });
    expect(summary.exitCode).toBe(1);
    expect(backend.started()).toEqual(['a', 'other']);
  });

  it.each([
    ['soft', 0],
    ['skip', 0],
  ] as const)('a %s failure lets dependents run and the run exit %i', async (mode, exit) => {
    const backend = new ScriptedBackend();
    const engine = engineWith([task('a', { failureMode: mode }), task('b', { dependsOn: ['a'] })], backend);
    const done = engine.run();
    await flush();
    backend.finish('a', { ok: false, reason: 'lint failed' });
    await flush();
    expect(states(engine).b).toBe('running');
    backend.finish('b');
    expect((await done).exitCode).toBe(exit);
    expect(states(engine)).toEqual({ a: 'failed', b: 'completed' });
  });

  it('a blocked task blocks its own dependents even when they are soft', async () => {
    const backend = new ScriptedBackend();
    const engine = engineWith(
      [task('a'), task('b', { dependsOn: ['a'], failureMode: 'soft' }), task('c', { dependsOn: ['b'] })],
      backend,
    );
    const done = engine.run();
    await flush();
    backend.finish('a', { ok: false, reason: 'no' });
    await done;
    expect(states(engine)).toEqual({ a: 'failed', b: 'blocked', c: 'blocked' });
  });

  it('starts eligible tasks in plan order and never more than the concurrency limit', async () => {
    const backend = new ScriptedBackend();
    const ids = ['t5', 't1', 't4', 't2', 't3'];
    const engine = engineWith(ids.map((id) => task(id)), backend, { concurrency: 2 });
    const done = engine.run();
    await flush();
    expect(backend.started()).toEqual(['t5', 't1']);
    backend.finish('t1');
    await flush();
    expect(backend.started()).toEqual(['t5', 't1', 't4']);
    for (const id of ['t5', 't4', 't2', 't3']) {
      await flush();
      backend.finish(id);
    }
    await done;
    expect(backend.started()).toEqual(ids);
    expect(backend.maxConcurrent).toBe(2);
  });

  it('automatic retries run a failed task again up to `retries` times', async () => {
    let n = 0;
    const backend = new ScriptedBackend({
      outcome: () => (++n < 3 ? { ok: false, reason: `flaky ${n}` } : { ok: true, result: 'third time' }),
    });
    const engine = engineWith([task('flaky', { retries: 2 }), task('after', { dependsOn: ['flaky'] })], backend);
    const summary = await engine.run();
    expect(summary.exitCode).toBe(0);
    expect(engine.store.require('flaky').attempts).toBe(3);
    expect(backend.calls.map((c) => `${c.id}#${c.attempt}`)).toEqual(['flaky#1', 'flaky#2', 'flaky#3', 'after#1']);
  });

  it('a 20,000-task chain blocks below a failure without overflowing the stack', async () => {
    const backend = new ScriptedBackend({ outcome: () => ({ ok: false, reason: 'first link breaks' }) });
    const tasks = Array.from({ length: 20_000 }, (_, i) => task(`t${i}`, i ? { dependsOn: [`t${i - 1}`] } : {}));
    const engine = engineWith(tasks, backend);
    const summary = await engine.run();
    expect(summary.exitCode).toBe(1);
    expect(engine.store.getSnapshot().counts.blocked).toBe(19_999);
    expect(engine.store.require('t19999').state).toMatchObject({ kind: 'blocked', by: 't0' });
  });

  it('a run of tasks that end without I/O still lets timers fire (the dashboard can repaint)', async () => {
    const backend = new ScriptedBackend({ outcome: () => ({ ok: true, result: '' }) });
    const engine = engineWith(Array.from({ length: 3000 }, (_, i) => task(`t${i}`)), backend);
    let finishedWhenTimerFired: number | undefined;
    setTimeout(() => (finishedWhenTimerFired = engine.store.getSnapshot().counts.completed), 0);
    await engine.run();
    expect(finishedWhenTimerFired).toBeDefined();
    expect(finishedWhenTimerFired!).toBeLessThan(3000);
  });

  it('a task that cannot start (no backend for its provider) fails once and is not retried', async () => {
    const backend = new ScriptedBackend({ outcome: () => ({ ok: true, result: 'ok' }) });
    const cfg = config();
    cfg.agents.local = { provider: 'goose' };
    const engine = engineWith([task('a'), task('b', { agent: 'local', dependsOn: ['a'], retries: 2 })], backend, { config: cfg });
    const states: string[] = [];
    engine.store.events.on('task-state', (e) => {
      if (e.taskId === 'b') states.push(e.to.kind);
      // A retry loop would never end: stop it so the assertions below fail instead of hanging.
      if (states.length > 10) void engine.shutdown('SIGTERM');
    });
    const summary = await engine.run();
    expect(summary.exitCode).toBe(1);
    expect(states).toEqual(['eligible', 'failed']);
    expect(engine.store.require('b').state).toEqual({ kind: 'failed', reason: "provider 'goose' has type 'goose', which this build cannot run" });
  });
});
