import { afterEach, describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';
import { RunStore } from '../../src/scheduler/run-store.js';
import { IllegalTransitionError } from '../../src/scheduler/states.js';
import { task } from '../scheduler/harness.js';

function store(publishIntervalMs = 0, outputTailLines = 200) {
  const s = new RunStore({ plan: 'p', file: '/w/p.yaml', workspace: '/w', concurrency: 2, publishIntervalMs, outputTailLines });
  s.start([task('a'), task('b', { dependsOn: ['a'] })]);
  return s;
}

describe('RunStore', () => {
  it('returns the same snapshot until something changes, then a new one', () => {
    const s = store();
    const first = s.getSnapshot();
    expect(s.getSnapshot()).toBe(first);
    s.setState('a', { kind: 'eligible' });
    const second = s.getSnapshot();
    expect(second).not.toBe(first);
    expect(second.tasks[0]!.state.kind).toBe('eligible');
    expect(first.tasks[0]!.state.kind).toBe('pending');
    expect(second.tasks[1]).toBe(first.tasks[1]);
    expect(second.counts).toMatchObject({ pending: 1, eligible: 1 });
  });

  it('keeps the same snapshot through output (no record changed), yet tells subscribers', () => {
    const s = store(0);
    let calls = 0;
    s.subscribe(() => calls++);
    const before = s.getSnapshot();
    s.appendOutput('a', 'hello\n');
    expect(calls).toBe(1);
    expect(s.getSnapshot()).toBe(before);
    s.report('a', { usage: { outputTokens: 3 } });
    expect(s.getSnapshot()).not.toBe(before);
  });

  it('holds which running tasks need you, told once per change, and drops it when the task leaves running', () => {
    const s = store();
    const seen: unknown[] = [];
    s.events.on('task-needs-you', (e) => seen.push({ taskId: e.taskId, needsYou: e.needsYou, question: e.question }));
    s.report('a', { asking: 'Go on?' }); // pending: a report that raced its start or end is dropped
    expect(s.getSnapshot().needsYou).toEqual({});
    s.setState('a', { kind: 'eligible' });
    s.setState('a', { kind: 'running' });
    s.report('a', { asking: 'Go on?' });
    s.report('a', { asking: 'Go on?' });
    expect(s.getSnapshot().needsYou).toEqual({ a: 'Go on?' });
    s.report('a', { asking: null });
    s.report('a', { asking: null });
    s.report('a', { asking: 'Sure?' });
    s.setState('a', { kind: 'paused', from: 'running' });
    expect(s.getSnapshot().needsYou).toEqual({});
    expect(seen).toEqual([
      { taskId: 'a', needsYou: true, question: 'Go on?' },
      { taskId: 'a', needsYou: false, question: undefined },
      { taskId: 'a', needsYou: true, question: 'Sure?' },
      { taskId: 'a', needsYou: false, question: undefined },
    ]);
  });

  describe('on a fake clock', () => {
    afterEach(() => {
      jest.useRealTimers();
    });

    it('tells subscribers at most once per publish interval, however many changes', () => {
      jest.useFakeTimers({ now: 1_000 });
      const s = store(40);
      let calls = 0;
      s.subscribe(() => calls++);
      for (let i = 0; i < 50; i++) s.appendOutput('a', `line ${i}\n`);
      expect(calls).toBe(0); // never told synchronously
      jest.advanceTimersByTime(0); // nothing published for an interval: the first batch goes at once
      expect(calls).toBe(1);
      s.appendOutput('a', 'more\n');
      s.appendOutput('a', 'and more\n');
      jest.advanceTimersByTime(39);
      expect(calls).toBe(1);
      jest.advanceTimersByTime(1);
      expect(calls).toBe(2);
    });
  });

  it('refuses an illegal transition and leaves the record as it was', () => {
    const s = store();
    expect(() => s.setState('a', { kind: 'completed', result: 'x' })).toThrow(IllegalTransitionError);
    expect(s.require('a').state.kind).toBe('pending');
  });

  it('counts attempts when a task starts running, not when it resumes from pause', () => {
    const s = store();
    s.setState('a', { kind: 'eligible' });
    s.setState('a', { kind: 'running' });
    s.setState('a', { kind: 'paused', from: 'running' });
    s.setState('a', { kind: 'running' });
    expect(s.require('a').attempts).toBe(1);
    s.setState('a', { kind: 'failed', reason: 'x' });
    s.setState('a', { kind: 'pending' });
    s.setState('a', { kind: 'eligible' });
    s.setState('a', { kind: 'running' });
    expect(s.require('a').attempts).toBe(2);
  });

  it('keeps a bounded tail of output lines per task, partial last line included', () => {
    const s = store(0, 3);
    s.appendOutput('a', 'one\ntwo\nthr');
    s.appendOutput('a', 'ee\nfour\nfive\nsix');
    expect(s.outputTail('a')).toEqual(['four', 'five', 'six']);
    s.appendOutput('a', '\n');
    expect(s.outputTail('a')).toEqual(['four', 'five', 'six']);
    expect(s.outputTail('b')).toEqual([]);
  });

  it('keeps the same tail however the output is cut into chunks (only the end of a chunk is split)', () => {
    const piece = fc.constantFrom('a', 'bc', '\n', '\r\n', '\r', 'é', '\n\n');
    fc.assert(
      fc.property(fc.array(fc.array(piece, { maxLength: 12 }).map((p) => p.join('')), { maxLength: 12 }), fc.integer({ min: 1, max: 5 }), (chunks, keep) => {
        const s = store(0, keep);
        for (const chunk of chunks) s.appendOutput('a', chunk);
        const lines = chunks.join('').split(/\r?\n/);
        const partial = lines.pop()!;
        const expected = [...lines.slice(-keep), ...(partial === '' ? [] : [partial])].slice(-keep);
        expect(s.outputTail('a')).toEqual(expected);
      }),
    );
  });

  it("keeps a terminal's rendered text in the tail, not its bytes", () => {
    const s = store(0, 3);
    s.appendOutput('a', '\x1b[2J\x1b[Hspinner\x1b[1Cframe', 'screen');
    s.appendOutput('a', 'what the screen showed\n', 'transcript');
    expect(s.outputTail('a')).toEqual(['what the screen showed']);
  });

  it('numbers events from 1 with no gaps, and emits each under its type and as "event"', () => {
    const s = new RunStore({ plan: 'p', file: 'f', workspace: '/w', concurrency: 1, publishIntervalMs: 0 });
    const all: number[] = [];
    const states: string[] = [];
    s.events.on('event', (e) => all.push(e.seq));
    s.events.on('task-state', (e) => states.push(`${e.taskId}:${e.to.kind}`));
    s.start([task('a')]);
    s.setState('a', { kind: 'eligible' });
    s.appendOutput('a', 'x');
    s.setPaused(true);
    s.setPaused(true);
    expect(all).toEqual([1, 2, 3, 4]);
    expect(states).toEqual(['a:eligible']);
  });

  it('refuses a second task with an id already in the run', () => {
    const s = store();
    expect(() => s.addTask(task('a'), 'b')).toThrow("task 'a' is already in this run");
  });

  it('keeps counts by state as it applies events: the snapshot and `unfinished` read them', () => {
    const s = store();
    expect(s.unfinished).toBe(2);
    s.setState('a', { kind: 'eligible' });
    s.setState('a', { kind: 'running' });
    s.setState('a', { kind: 'completed', result: 'ok' });
    s.addTask(task('a-review'), 'a');
    expect(s.getSnapshot().counts).toMatchObject({ pending: 2, completed: 1, running: 0 });
    expect(s.unfinished).toBe(2);
    s.setState('b', { kind: 'skipped', reason: 'x' });
    s.setState('a-review', { kind: 'cancelled', reason: 'x' });
    expect(s.unfinished).toBe(0);
    const restored = new RunStore({ plan: 'p', file: 'f', workspace: '/w', concurrency: 1, publishIntervalMs: 0 });
    restored.restore(s.getSnapshot().tasks.map((r) => (r.spec.id === 'b' ? { ...r, state: { kind: 'pending' } } : r)));
    expect(restored.unfinished).toBe(1);
    expect(restored.getSnapshot().counts).toMatchObject({ pending: 1, completed: 1, cancelled: 1, skipped: 0 });
  });

  it('calls onTransition with the change applied and before any listener hears of it', () => {
    const seen: string[] = [];
    const s: RunStore = new RunStore({
      plan: 'p', file: 'f', workspace: '/w', concurrency: 1, publishIntervalMs: 0,
      onTransition: (e) => seen.push(`hook ${e.taskId} ${e.to.kind} (record: ${s.require(e.taskId).state.kind})`),
    });
    s.events.on('task-state', (e) => seen.push(`listener ${e.taskId} ${e.to.kind}`));
    s.start([task('a')]);
    s.setState('a', { kind: 'eligible' });
    expect(seen).toEqual(['hook a eligible (record: eligible)', 'listener a eligible']);
  });

  it('reports usage as a delta with the totals, and a new conversation starts its usage afresh', () => {
    const s = store();
    const usage: unknown[] = [];
    s.events.on('task-usage', (e) => usage.push([e.delta.inputTokens, e.usage.inputTokens, e.run.inputTokens]));
    s.report('a', { sessionId: 's1', usage: { inputTokens: 5 } });
    s.report('b', { usage: { inputTokens: 1 } });
    s.report('a', { sessionId: 's2', usage: { inputTokens: 2 } });
    s.report('a', { sessionId: 's2', usage: { inputTokens: 0 } });
    expect(usage).toEqual([[5, 5, 5], [1, 1, 6], [2, 7, 8]]);
    expect(s.require('a')).toMatchObject({ sessionId: 's2', usage: { inputTokens: 7 }, sessionUsage: { inputTokens: 2 } });
    expect(s.getSnapshot().usage.inputTokens).toBe(8);
  });
});
