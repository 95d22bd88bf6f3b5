import { describe, expect, it } from '@jest/globals';
import type { Backend } from '../../src/agents/backend.js';
import { RunStore } from '../../src/scheduler/run-store.js';
import { Executor, KEPT_ENDED_SCREENS, NotEligibleError } from '../../src/scheduler/executor.js';
import { createTerminals } from '../../src/agents/xterm-screen.js';
import type { BackendRegistry } from '../../src/agents/registry.js';
import { ResourceLockManager } from '../../src/scheduler/locks.js';
import type { TaskSpec } from '../../src/plan/schema.js';
import { FakeClock } from './fake-clock.js';
import { ScriptedBackend, WORKSPACE, config, flush, task } from './harness.js';

/** A store with the tasks already eligible, and an executor over real locks; task timeouts run on `clock`. */
function setup(tasks: TaskSpec[], backends: BackendRegistry, cfg = config(), clock = new FakeClock()) {
  const store = new RunStore({ plan: 't', file: 't.yaml', workspace: WORKSPACE, concurrency: 4, publishIntervalMs: 0, now: clock.now });
  store.start(tasks);
  for (const t of tasks) store.setState(t.id, { kind: 'eligible' });
  const locks = new ResourceLockManager({ workspace: WORKSPACE });
  const executor = new Executor({ store, config: cfg, backends, locks, workspace: WORKSPACE, clock });
  return { store, locks, executor, clock };
}

const FILE = `${WORKSPACE}/src/a.ts`;

describe('Executor', () => {
  it('runs an eligible task and records the result as completed', async () => {
    const backend = new ScriptedBackend({ outcome: () => ({ ok: true, result: 'all good' }) });
    const { store, executor } = setup([task('a')], { shell: backend });
    const states: string[] = [];
    store.events.on('task-state', (e) => states.push(e.to.kind));
    const record = await executor.execute('a');
    expect(record.state).toEqual({ kind: 'completed', result: 'all good' });
    expect(record.attempts).toBe(1);
    expect(states).toEqual(['running', 'completed']);
    expect(backend.calls[0]!.ctx).toMatchObject({ roleName: 'shell', providerName: 'shell', workspace: { cwd: WORKSPACE }, attempt: 1 });
  });

  it('resizes every attempt under way, also one that has printed nothing yet, and starts new ones at the new size', async () => {
    const sizes: Array<[number, number]> = [];
    const backend = new ScriptedBackend();
    const resizable: Backend = {
      start: (ctx) => ({ ...backend.start(ctx), resize: (cols, rows) => void sizes.push([cols, rows]) }),
    };
    const { executor } = setup([task('a'), task('b')], { shell: resizable });
    const run = executor.execute('a');
    await flush();
    executor.resize(100, 30);
    expect(sizes).toEqual([[100, 30]]);
    const second = executor.execute('b');
    await flush();
    expect(backend.live.get('b')!.ctx).toMatchObject({ cols: 100, rows: 30 });
    backend.finish('a');
    backend.finish('b');
    await Promise.all([run, second]);
  });

  it('keeps the screens of the tasks that ended last and frees older ones', async () => {
    const n = KEPT_ENDED_SCREENS + 5;
    const tasks = Array.from({ length: n }, (_, i) => task(`t${i}`));
    const printing: Backend = {
      start: (ctx) => {
        ctx.output(`output of ${ctx.task.id}\r\n`);
        return { done: Promise.resolve({ ok: true, result: 'ok' }), pause() {}, resume() {} };
      },
    };
    const store = new RunStore({ plan: 't', file: 't.yaml', workspace: WORKSPACE, concurrency: 4, publishIntervalMs: 0 });
    store.start(tasks);
    for (const t of tasks) store.setState(t.id, { kind: 'eligible' });
    const executor = new Executor({ store, config: config(), backends: { shell: printing }, locks: new ResourceLockManager({ workspace: WORKSPACE }), workspace: WORKSPACE, terminals: createTerminals({ scrollback: 10 }) });
    for (const t of tasks) await executor.execute(t.id);
    const kept = tasks.filter((t) => executor.screen(t.id) !== undefined).map((t) => t.id);
    expect(kept).toEqual(tasks.slice(5).map((t) => t.id));
    // A freed task's last lines are still in the store for its pane.
    expect(store.outputTail('t0')).toEqual(['output of t0']);
  });

  it('records a backend failure as failed, with reason and exit code', async () => {
    const backend = new ScriptedBackend({ outcome: () => ({ ok: false, reason: 'exit code 3: nope', exitCode: 3 }) });
    const { executor } = setup([task('a')], { shell: backend });
    expect((await executor.execute('a')).state).toEqual({ kind: 'failed', reason: 'exit code 3: nope', exitCode: 3 });
  });

  it('holds the task locks during the call and frees them after', async () => {
    const backend = new ScriptedBackend();
    const { executor, locks } = setup([task('a', { writes: [FILE] })], { shell: backend });
    const run = executor.execute('a');
    await flush();
    expect(locks.isHeld(FILE)).toBe(true);
    expect(locks.holderOf(FILE)).toBe('a');
    backend.finish('a');
    await run;
    expect(locks.isHeld(FILE)).toBe(false);
  });

  it('frees the locks even when the backend throws', async () => {
    const throwing: Backend = {
      start() {
        throw new Error('backend exploded');
      },
    };
    const { executor, locks } = setup([task('a', { writes: [FILE] })], { shell: throwing });
    const record = await executor.execute('a');
    expect(record.state).toEqual({ kind: 'failed', reason: 'internal error: backend exploded' });
    expect(locks.isHeld(FILE)).toBe(false);
  });

  it('a second task on the same file waits in waiting-lock, naming the file and holder', async () => {
    const backend = new ScriptedBackend();
    const { executor, store } = setup([task('a', { writes: [FILE] }), task('b', { writes: ['src/../src/a.ts'] })], { shell: backend });
    const a = executor.execute('a');
    const b = executor.execute('b');
    await flush();
    expect(store.require('b').state).toEqual({ kind: 'waiting-lock', file: FILE, heldBy: 'a' });
    expect(backend.started()).toEqual(['a']);
    backend.finish('a');
    await a;
    await flush();
    expect(store.require('b').state.kind).toBe('running');
    backend.finish('b');
    await b;
  });

  it('fails a task whose role is unknown, or whose provider type has no backend', async () => {
    const { executor } = setup([task('a', { agent: 'ghost' }), task('b', { agent: 'coder' })], { shell: new ScriptedBackend() });
    const a = await executor.execute('a');
    expect(a.state.kind).toBe('failed');
    expect((a.state as { reason: string }).reason).toMatch(/^unknown role 'ghost' \(known: .*coder/);
    const b = await executor.execute('b');
    expect(b.state).toEqual({ kind: 'failed', reason: "provider 'claude' has type 'claude', which this build cannot run" });
  });

  it('refuses a task that is not eligible, without touching it', async () => {
    const backend = new ScriptedBackend();
    const { executor, store } = setup([task('a')], { shell: backend });
    store.setState('a', { kind: 'pending' });
    await expect(executor.execute('a')).rejects.toThrow(NotEligibleError);
    await expect(executor.execute('a')).rejects.toThrow('task a is not eligible to run (it is pending)');
    expect(store.require('a').state.kind).toBe('pending');
    expect(backend.calls).toEqual([]);
  });

  it('aborted before the call: the backend is never started', async () => {
    const backend = new ScriptedBackend();
    const { executor } = setup([task('a')], { shell: backend });
    const record = await executor.execute('a', AbortSignal.abort({ kind: 'cancel' }));
    expect(record.state).toEqual({ kind: 'cancelled', reason: 'cancelled' });
    expect(backend.calls).toEqual([]);
  });

  it('aborted during the call: the backend sees the abort and the task is cancelled', async () => {
    const backend = new ScriptedBackend();
    const { executor, locks } = setup([task('a', { writes: [FILE] })], { shell: backend });
    const controller = new AbortController();
    const run = executor.execute('a', controller.signal);
    await flush();
    controller.abort({ kind: 'cancel' });
    expect((await run).state).toEqual({ kind: 'cancelled', reason: 'cancelled' });
    expect(backend.calls[0]!.ctx.signal.aborted).toBe(true);
    expect(locks.isHeld(FILE)).toBe(false);
  });

  it('aborted while waiting for a lock: it never runs and the lock stays with its holder', async () => {
    const backend = new ScriptedBackend();
    const { executor, locks } = setup([task('a', { writes: [FILE] }), task('b', { writes: [FILE] })], { shell: backend });
    const a = executor.execute('a');
    await flush();
    expect(executor.stop('b', { kind: 'cancel' })).toBe(false);
    const b = executor.execute('b');
    await flush();
    expect(executor.stop('b', { kind: 'cancel' })).toBe(true);
    expect((await b).state.kind).toBe('cancelled');
    expect(locks.holderOf(FILE)).toBe('a');
    backend.finish('a');
    await a;
    expect(locks.isHeld(FILE)).toBe(false);
    expect(backend.started()).toEqual(['a']);
  });

  it('a timeout aborts the task and fails it with "timed out after"', async () => {
    const backend = new ScriptedBackend();
    const { executor, clock } = setup([task('a', { timeoutMs: 50 })], { shell: backend });
    const run = executor.execute('a');
    await flush();
    clock.advance(49);
    expect(backend.calls[0]!.ctx.signal.aborted).toBe(false);
    clock.advance(1);
    expect((await run).state).toEqual({ kind: 'failed', reason: 'timed out after 50ms' });
    expect(backend.calls[0]!.ctx.signal.aborted).toBe(true);
    expect(clock.pending).toBe(0);
  });

  it('the timeout clock stands still while the task is paused', async () => {
    const backend = new ScriptedBackend();
    const { executor, store, clock } = setup([task('a', { timeoutMs: 120 })], { shell: backend });
    const run = executor.execute('a');
    await flush();
    clock.advance(100);
    executor.pause('a');
    store.setState('a', { kind: 'paused', from: 'running' });
    expect(clock.pending).toBe(0);
    clock.advance(10_000);
    expect(backend.calls[0]!.ctx.signal.aborted).toBe(false);
    executor.resume('a');
    store.setState('a', { kind: 'running' });
    // 100 ms of the 120 had passed before the pause: 20 are left.
    clock.advance(19);
    expect(backend.calls[0]!.ctx.signal.aborted).toBe(false);
    clock.advance(1);
    expect((await run).state).toEqual({ kind: 'failed', reason: 'timed out after 120ms' });
  });

  it('a task that ends first clears its timeout', async () => {
    const backend = new ScriptedBackend();
    const { executor, clock } = setup([task('a', { timeoutMs: 50 })], { shell: backend });
    const run = executor.execute('a');
    await flush();
    expect(clock.pending).toBe(1);
    backend.finish('a');
    expect((await run).state.kind).toBe('completed');
    expect(clock.pending).toBe(0);
  });
});
