import { describe, expect, it } from '@jest/globals';
import type { FailureMode } from '../../src/config/schema.js';
import { heldByPaused, readiness } from '../../src/scheduler/eligibility.js';
import type { TaskRecord } from '../../src/scheduler/run-store.js';
import type { TaskState } from '../../src/scheduler/states.js';
import { task } from '../scheduler/harness.js';

function world(entries: Record<string, [TaskState, FailureMode?]>) {
  const records = new Map<string, TaskRecord>(
    Object.entries(entries).map(([id, [state, mode]], order) => [
      id,
      { spec: task(id, { failureMode: mode ?? 'hard' }), order, state, attempts: 0 },
    ]),
  );
  return (id: string) => records.get(id)!;
}

const done: TaskState = { kind: 'completed', result: '' };
const failed: TaskState = { kind: 'failed', reason: 'x' };

describe('readiness', () => {
  it.each<[string, Record<string, [TaskState, FailureMode?]>, string[], unknown]>([
    ['no dependencies: ready at once', {}, [], { kind: 'ready' }],
    ['initial: a pending dependency waits', { a: [{ kind: 'pending' }] }, ['a'], { kind: 'waiting' }],
    ['completion unlocks', { a: [done] }, ['a'], { kind: 'ready' }],
    ['partial: one of two done still waits', { a: [done], b: [{ kind: 'running' }] }, ['a', 'b'], { kind: 'waiting' }],
    ['a hard failure blocks, naming it', { a: [failed, 'hard'] }, ['a'], { kind: 'blocked', by: 'a', reason: 'a failed' }],
    ['a soft failure allows', { a: [failed, 'soft'] }, ['a'], { kind: 'ready' }],
    ['a skip failure allows', { a: [failed, 'skip'] }, ['a'], { kind: 'ready' }],
    ['skipped counts as success', { a: [{ kind: 'skipped', reason: 'by you' }] }, ['a'], { kind: 'ready' }],
    ['a hard cancel blocks', { a: [{ kind: 'cancelled', reason: 'cancelled' }] }, ['a'], { kind: 'blocked', by: 'a', reason: 'a was cancelled' }],
    [
      'a blocked dependency blocks, naming the root failure',
      { root: [failed], a: [{ kind: 'blocked', by: 'root', reason: 'root failed' }, 'soft'] },
      ['a'],
      { kind: 'blocked', by: 'root', reason: 'root failed' },
    ],
    ['a dead dependency wins over a waiting one', { a: [{ kind: 'running' }], b: [failed] }, ['a', 'b'], { kind: 'blocked', by: 'b', reason: 'b failed' }],
  ])('%s', (_name, entries, deps, expected) => {
    expect(readiness(deps, world(entries))).toEqual(expected);
  });
});

describe('heldByPaused', () => {
  const paused: TaskState = { kind: 'paused', from: 'pending' };
  const pending: TaskState = { kind: 'pending' };
  const records = (entries: Array<[string, TaskState, string[]?]>): TaskRecord[] =>
    entries.map(([id, state, dependsOn = []], order) => ({ spec: task(id, { dependsOn }), order, state, attempts: 0 }));

  it.each<[string, Array<[string, TaskState, string[]?]>, number]>([
    ['one paused task, the rest done', [['a', done], ['b', paused]], 1],
    ['two paused, one waiting on them through another waiting task', [['a', paused], ['b', { kind: 'paused', from: 'running' }], ['c', pending, ['a']], ['d', pending, ['c', 'b']]], 2],
    ['a running task can still go on', [['a', paused], ['b', { kind: 'running' }]], 0],
    ['a ready task can start', [['a', paused], ['b', { kind: 'eligible' }]], 0],
    ['a task waiting for a lock will start', [['a', paused], ['b', { kind: 'waiting-lock', file: 'x' }]], 0],
    ['a retry waiting out its backoff will start', [['a', paused], ['b', { kind: 'pending', retry: { at: 1, attempt: 1, of: 2, reason: 'backoff' } }]], 0],
    ['a pending task waiting on the retry is not held by the pause', [['a', paused], ['r', { kind: 'pending', retry: { at: 1, attempt: 1, of: 2, reason: 'backoff' } }], ['c', pending, ['r']]], 0],
    ['a pending task whose dependencies are done is about to start', [['a', paused], ['b', done], ['c', pending, ['b']]], 0],
    ['nothing paused: not held', [['a', done], ['b', failed]], 0],
    ['a finished run', [['a', done]], 0],
  ])('%s', (_name, entries, expected) => {
    expect(heldByPaused(records(entries))).toBe(expected);
  });
});
