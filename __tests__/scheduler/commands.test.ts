import { describe, expect, it } from '@jest/globals';
import type { Backend } from '../../src/agents/backend.js';
import { taskDuration } from '../../src/report/format.js';
import { FakeClock } from './fake-clock.js';
import { ScriptedBackend, config, engineWith, flush, states, task } from './harness.js';

describe('engine commands', () => {
  it('markDone refuses a task whose agent is not interactive, running or not; an interactive one not running is told its state', async () => {
    // ScriptedBackend's executions have no markDone: like a real agent on pipes, they end on their own.
    const backend = new ScriptedBackend();
    const cfg = config();
    const withTty = { ...cfg, agents: { ...cfg.agents, tty: { provider: 'shell', interactive: true } } };
    const engine = engineWith([task('a'), task('b', { dependsOn: ['a'] }), task('c', { agent: 'tty', dependsOn: ['a'] })], backend, { config: withTty });
    const done = engine.run();
    await flush();
    expect(engine.markDone('a')).toEqual({ ok: false, reason: 'not-interactive', id: 'a' });
    expect(engine.markDone('b')).toEqual({ ok: false, reason: 'not-interactive', id: 'b' });
    expect(engine.markDone('c')).toEqual({ ok: false, reason: 'wrong-state', id: 'c', state: 'pending' });
    expect(states(engine).a).toBe('running');
    backend.finish('a');
    await flush();
    backend.finish('b');
    backend.finish('c');
    expect((await done).exitCode).toBe(0);
  });

  it('pause holds a pending task past its dependencies; resume lets it start', async () => {
    const backend = new ScriptedBackend();
    const engine = engineWith([task('a'), task('b', { dependsOn: ['a'] })], backend);
    const done = engine.run();
    await flush();
    expect(engine.pause('b')).toMatchObject({ ok: true });
    backend.finish('a');
    await flush();
    expect(states(engine).b).toBe('paused');
    expect(backend.started()).toEqual(['a']);
    expect(engine.resume('b')).toMatchObject({ ok: true });
    await flush();
    expect(states(engine).b).toBe('running');
    backend.finish('b');
    expect((await done).exitCode).toBe(0);
  });

  it('pause on a running task stops its process (backend pause) and resume continues it', async () => {
    const backend = new ScriptedBackend();
    const engine = engineWith([task('a')], backend);
    const done = engine.run();
    await flush();
    expect(engine.pause('a').ok).toBe(true);
    expect(engine.store.require('a').state).toEqual({ kind: 'paused', from: 'running' });
    expect(backend.calls[0]!.paused).toBe(1);
    expect(engine.pause('a')).toEqual({ ok: false, reason: 'already', id: 'a', state: 'paused' });
    expect(engine.resume('a').ok).toBe(true);
    expect(backend.calls[0]!.resumed).toBe(1);
    expect(states(engine).a).toBe('running');
    expect(engine.store.require('a').attempts).toBe(1);
    backend.finish('a');
    await done;
  });

  it('pauseAll starts nothing new while running tasks go on; resumeAll starts the rest', async () => {
    const backend = new ScriptedBackend();
    const engine = engineWith([task('a'), task('b', { dependsOn: ['a'] }), task('c', { dependsOn: ['a'] })], backend);
    const done = engine.run();
    await flush();
    expect(engine.pauseAll()).toEqual({ ok: true, did: 'run-paused' });
    expect(engine.pauseAll()).toEqual({ ok: false, reason: 'run-already-paused' });
    expect(engine.store.getSnapshot().paused).toBe(true);
    backend.finish('a');
    await flush();
    expect(states(engine)).toEqual({ a: 'completed', b: 'eligible', c: 'eligible' });
    expect(engine.resumeAll()).toEqual({ ok: true, did: 'run-resumed' });
    expect(engine.resumeAll()).toEqual({ ok: false, reason: 'run-not-paused' });
    await flush();
    expect(backend.started()).toEqual(['a', 'b', 'c']);
    backend.finish('b');
    backend.finish('c');
    expect((await done).exitCode).toBe(0);
  });

  it('retry puts a failed task back and unblocks what its failure blocked', async () => {
    const backend = new ScriptedBackend();
    const engine = engineWith([task('a'), task('b', { dependsOn: ['a'] }), task('c', { dependsOn: ['b'] })], backend);
    const first = engine.run();
    await flush();
    backend.finish('a', { ok: false, reason: 'exit code 1' });
    await first;
    expect(states(engine)).toEqual({ a: 'failed', b: 'blocked', c: 'blocked' });
    expect(engine.retry('a')).toEqual({ ok: true, did: 'retrying', id: 'a', attempt: 2 });
    await flush();
    expect(states(engine)).toEqual({ a: 'running', b: 'pending', c: 'pending' });
    const second = engine.whenIdle();
    backend.finish('a');
    await flush();
    backend.finish('b');
    await flush();
    backend.finish('c');
    expect((await second).exitCode).toBe(0);
    expect(engine.store.require('a').attempts).toBe(2);
  });

  it('retry on a blocked task retries the failure that blocks it', async () => {
    const backend = new ScriptedBackend();
    const engine = engineWith([task('a'), task('b', { dependsOn: ['a'] })], backend);
    const run = engine.run();
    await flush();
    backend.finish('a', { ok: false, reason: 'no' });
    await run;
    // Retrying a blocked task retries the failure that blocks it: the result names that task.
    expect(engine.retry('b')).toEqual({ ok: true, did: 'retrying', id: 'a', attempt: 2 });
    expect(states(engine)).toMatchObject({ b: 'pending' });
  });

  it('a task blocked by two failures stays blocked by the other when one is retried', async () => {
    const backend = new ScriptedBackend();
    const engine = engineWith([task('a'), task('b'), task('c', { dependsOn: ['a', 'b'] })], backend);
    const run = engine.run();
    await flush();
    backend.finish('a', { ok: false, reason: 'no' });
    backend.finish('b', { ok: false, reason: 'no' });
    await run;
    expect(engine.store.require('c').state).toMatchObject({ kind: 'blocked', by: 'a' });
    engine.retry('a');
    expect(engine.store.require('c').state).toMatchObject({ kind: 'blocked', by: 'b' });
  });

  it('retry refuses tasks that did not fail, saying why', async () => {
    const backend = new ScriptedBackend();
    const engine = engineWith([task('a')], backend);
    void engine.run();
    await flush();
    expect(engine.retry('a')).toEqual({ ok: false, reason: 'wrong-state', id: 'a', state: 'running' });
    expect(engine.retry('nope')).toEqual({ ok: false, reason: 'unknown-task', id: 'nope' });
  });

  it('skip on a failed task counts as success downstream and unblocks dependents', async () => {
    const backend = new ScriptedBackend();
    const engine = engineWith([task('a'), task('b', { dependsOn: ['a'] })], backend);
    const run = engine.run();
    await flush();
    backend.finish('a', { ok: false, reason: 'no' });
    await run;
    expect(engine.skip('a').ok).toBe(true);
    await flush();
    expect(states(engine)).toEqual({ a: 'skipped', b: 'running' });
    backend.finish('b');
    expect((await engine.whenIdle()).exitCode).toBe(0);
  });

  it('skip on a blocked task lets its own dependents run; one still tied to the failure by another path stays blocked', async () => {
    const backend = new ScriptedBackend();
    const engine = engineWith(
      [task('a'), task('b', { dependsOn: ['a'] }), task('c', { dependsOn: ['b'] }), task('d', { dependsOn: ['a'] }), task('e', { dependsOn: ['b', 'd'] })],
      backend,
    );
    const run = engine.run();
    await flush();
    backend.finish('a', { ok: false, reason: 'no' });
    await run;
    expect(states(engine)).toEqual({ a: 'failed', b: 'blocked', c: 'blocked', d: 'blocked', e: 'blocked' });
    expect(engine.skip('b').ok).toBe(true);
    await flush();
    expect(states(engine)).toEqual({ a: 'failed', b: 'skipped', c: 'running', d: 'blocked', e: 'blocked' });
    backend.finish('c');
    expect((await engine.whenIdle()).exitCode).toBe(1);
  });

  it('skip on a pending task never runs it; on a running task stops it first', async () => {
    const backend = new ScriptedBackend();
    const engine = engineWith([task('a'), task('b', { dependsOn: ['a'] }), task('c', { dependsOn: ['b'] })], backend);
    const run = engine.run();
    await flush();
    expect(engine.skip('b')).toEqual({ ok: true, did: 'skipped', id: 'b' });
    expect(engine.skip('a')).toEqual({ ok: true, did: 'stopping', id: 'a' });
    await flush();
    expect(backend.calls[0]!.ctx.signal.aborted).toBe(true);
    backend.finish('c');
    expect((await run).exitCode).toBe(0);
    expect(states(engine)).toEqual({ a: 'skipped', b: 'skipped', c: 'completed' });
    expect(backend.started()).toEqual(['a', 'c']);
  });

  it("a running task skipped ends its time at the skip, not when its processes are down (the list's and summary's duration)", async () => {
    const clock = new FakeClock();
    let down!: () => void;
    // Like an agent that takes its kill grace to exit: the attempt ends only when the test says.
    const slow: Backend = { start: () => ({ done: new Promise((r) => (down = () => r({ ok: false, reason: 'aborted' }))), pause() {}, resume() {} }) };
    const engine = engineWith([task('a')], slow, { clock, backends: { shell: slow, claude: slow } });
    const run = engine.run();
    await flush();
    clock.advance(5_000);
    expect(engine.skip('a')).toEqual({ ok: true, did: 'stopping', id: 'a' });
    clock.advance(5_000);
    down();
    await run;
    clock.advance(60_000);
    const record = engine.store.require('a');
    expect(record.state).toMatchObject({ kind: 'skipped', reason: 'skipped while running' });
    expect(record.endedAt! - record.startedAt!).toBe(10_000);
    expect(taskDuration(record, clock.now())).toBe(5_000);
  });

  it('cancel stops a running task (aborting its backend) and blocks its hard dependents', async () => {
    const backend = new ScriptedBackend();
    const engine = engineWith([task('a'), task('b', { dependsOn: ['a'] })], backend);
    const run = engine.run();
    await flush();
    expect(engine.cancel('a').ok).toBe(true);
    const summary = await run;
    expect(engine.store.require('a').state).toEqual({ kind: 'cancelled', reason: 'cancelled' });
    expect(engine.store.require('b').state).toEqual({ kind: 'blocked', by: 'a', reason: 'a was cancelled' });
    expect(summary.exitCode).toBe(1);
    expect(engine.cancel('a')).toEqual({ ok: false, reason: 'already', id: 'a', state: 'cancelled' });
    expect(engine.retry('a').ok).toBe(true);
  });

  it('shutdown stops running tasks, starts nothing new, and leaves pending work pending', async () => {
    const backend = new ScriptedBackend();
    const engine = engineWith([task('a'), task('b', { dependsOn: ['a'] })], backend);
    void engine.run();
    await flush();
    const summary = await engine.shutdown('SIGINT');
    expect(summary.interrupted).toBe('SIGINT');
    expect(engine.store.require('a').state).toEqual({ kind: 'cancelled', reason: 'interrupted (SIGINT)' });
    expect(states(engine).b).toBe('pending');
    expect(backend.started()).toEqual(['a']);
  });

  it('every command emits a numbered event the store can replay in order', async () => {
    const backend = new ScriptedBackend();
    const engine = engineWith([task('a')], backend);
    const seen: number[] = [];
    engine.store.events.on('event', (e) => seen.push(e.seq));
    const run = engine.run();
    await flush();
    engine.pauseAll();
    engine.resumeAll();
    backend.finish('a');
    await run;
    expect(seen).toEqual(seen.map((_, i) => i + 1));
    expect(seen.length).toBeGreaterThanOrEqual(6);
  });
});

describe('attempts that end in an unexpected way', () => {
  it('a success that lands just before a stop stands: the task completes', async () => {
    const backend = new ScriptedBackend();
    const engine = engineWith([task('a'), task('b', { dependsOn: ['a'] })], backend);
    const run = engine.run();
    await flush();
    backend.finish('a', { ok: true, result: 'done before the stop' });
    // The stop arrives before the executor has seen the outcome.
    expect(engine.cancel('a')).toEqual({ ok: true, did: 'stopping', id: 'a' });
    await flush();
    expect(engine.store.require('a').state).toEqual({ kind: 'completed', result: 'done before the stop' });
    backend.finish('b');
    expect((await run).exitCode).toBe(0);
  });

  it('an attempt whose bookkeeping throws fails its task instead of hanging the run', async () => {
    const backend = new ScriptedBackend();
    const engine = engineWith([task('a'), task('b')], backend);
    // A bug stand-in: something moves 'a' to cancelled behind the executor's back while it runs,
    // so recording its outcome is an illegal transition and the attempt's promise rejects.
    engine.store.events.on('task-state', (e) => {
      if (e.taskId === 'a' && e.to.kind === 'running') queueMicrotask(() => engine.store.setState('a', { kind: 'cancelled', reason: 'behind its back' }));
    });
    const run = engine.run();
    await flush();
    backend.finish('a');
    backend.finish('b');
    const summary = await run;
    expect(summary.tasks.map((t) => [t.spec.id, t.state.kind])).toEqual([
      ['a', 'cancelled'],
      ['b', 'completed'],
    ]);
  });
});
