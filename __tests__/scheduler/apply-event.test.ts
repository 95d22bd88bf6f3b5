import { describe, expect, it } from '@jest/globals';
import { applyAttemptEvent, applyEvent, emptyUsage, newRecord } from '../../src/scheduler/apply-event.js';
import type { AttemptRecord, TaskRecord } from '../../src/scheduler/apply-event.js';
import type { RunEvent, RunEventInput } from '../../src/scheduler/events.js';
import type { TaskState } from '../../src/scheduler/states.js';
import { task } from './harness.js';

let seq = 0;
const at = (time: number, e: RunEventInput): RunEvent => ({ ...e, seq: ++seq, time }) as RunEvent;
const move = (time: number, from: TaskState, to: TaskState, attempt: number) => at(time, { type: 'task-state', taskId: 'a', from, to, attempt });
const u = (inputTokens: number) => ({ ...emptyUsage(), inputTokens });

/** Folds events from a new record of task a, keeping its attempt rows the way the database writer does. */
function fold(events: RunEvent[]): { record: TaskRecord; attempts: Map<number, AttemptRecord> } {
  let record = newRecord(task('a'), 0);
  const attempts = new Map<number, AttemptRecord>();
  for (const e of events) {
    const attempt = applyAttemptEvent(record, e, 1, (n) => attempts.get(n));
    if (attempt) attempts.set(attempt.n, attempt);
    record = applyEvent(record, e);
  }
  return { record, attempts };
}

describe('applyEvent', () => {
  it('stamps starts and ends with the event time, keeps the last failure across a retry, and ignores other tasks', () => {
    const failed: TaskState = { kind: 'failed', reason: 'boom', exitCode: 2 };
    const { record, attempts } = fold([
      move(10, { kind: 'eligible' }, { kind: 'running' }, 1),
      at(11, { type: 'task-process', taskId: 'a', pid: 42 }),
      move(12, { kind: 'running' }, { kind: 'paused', from: 'running' }, 1),
      move(13, { kind: 'paused', from: 'running' }, { kind: 'running' }, 1),
      move(20, { kind: 'running' }, failed, 1),
      at(21, { type: 'task-state', taskId: 'b', from: { kind: 'pending' }, to: { kind: 'eligible' }, attempt: 0 }),
      move(30, failed, { kind: 'pending' }, 1),
    ]);
    expect(record).toEqual({ spec: task('a'), order: 0, state: { kind: 'pending' }, attempts: 1, startedAt: 10, lastFailure: 'boom' });
    expect(record.endedAt).toBeUndefined();
    expect(attempts.get(1)).toMatchObject({ startedAt: 10, endedAt: 20, state: 'failed', reason: 'boom', exitCode: 2, pgid: 42 });
  });

  it('adds usage deltas to the task and the attempt, and a new conversation starts its usage afresh', () => {
    const usage = (delta: number, total: number) => at(1, { type: 'task-usage', taskId: 'a', delta: u(delta), usage: u(total), run: u(total) });
    const start = (n: number) => move(n, { kind: 'eligible' }, { kind: 'running' }, n);
    const fail = (n: number) => move(n, { kind: 'running' }, { kind: 'failed', reason: 'x' }, n);
    const { record, attempts } = fold([
      start(1), at(1, { type: 'task-session', taskId: 'a', sessionId: 's1' }), usage(10, 10), fail(1),
      move(2, { kind: 'failed', reason: 'x' }, { kind: 'pending' }, 1), move(2, { kind: 'pending' }, { kind: 'eligible' }, 1),
      start(2), usage(5, 15), at(2, { type: 'task-session', taskId: 'a', sessionId: 's2' }), usage(3, 18),
    ]);
    expect(record).toMatchObject({ sessionId: 's2', usage: u(18), sessionUsage: u(3), attempts: 2 });
    expect([...attempts.values()].map((a) => [a.n, a.sessionId, a.usage.inputTokens, a.endedAt])).toEqual([[1, 's1', 10, 1], [2, 's2', 8, null]]);
  });

  it('returns the record itself for events that change no record', () => {
    const record = newRecord(task('a'), 0);
    for (const e of [at(1, { type: 'task-output', taskId: 'a', chunk: 'x' }), at(1, { type: 'run-paused' }), at(1, { type: 'task-session', taskId: 'b', sessionId: 's' })]) {
      expect(applyEvent(record, e)).toBe(record);
    }
  });
});
