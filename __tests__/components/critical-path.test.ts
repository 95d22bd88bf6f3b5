import { describe, expect, it } from '@jest/globals';
import { criticalPath } from '../../components/critical-path.js';
import type { TaskRecord } from '../../src/scheduler/run-store.js';
import type { TaskState } from '../../src/scheduler/states.js';
import { task } from '../scheduler/harness.js';

const done: TaskState = { kind: 'completed', result: 'ok' };
const pending: TaskState = { kind: 'pending' };

/** A record: id, dependencies, state, and (for a finished attempt) how long it took. */
function rec(id: string, deps: string[], state: TaskState = pending, took?: number, order = 0): TaskRecord {
  return { spec: task(id, { dependsOn: deps }), order, state, attempts: took === undefined ? 0 : 1, ...(took !== undefined ? { startedAt: 1_000, endedAt: 1_000 + took } : {}) };
}

describe('the critical path', () => {
  it.each<[string, TaskRecord[], string[]]>([
    ['nothing left', [rec('a', [], done, 5), rec('b', ['a'], done, 5)], []],
    ['the longest chain by count when nothing finished yet', [rec('a', []), rec('b', ['a']), rec('c', ['a']), rec('d', ['c']), rec('e', ['b', 'd'])], ['a', 'c', 'd', 'e']],
    ['ties to the task listed first', [rec('a', []), rec('b', ['a']), rec('c', ['a'])], ['a', 'b']],
    // Listed out of order: dependencies still come first.
    ['a plan listed dependents first', [rec('z', ['y']), rec('y', ['x']), rec('x', [])], ['x', 'y', 'z']],
    ['only unfinished work: a finished task is not on it', [rec('a', [], done, 10), rec('b', ['a']), rec('c', ['b'])], ['b', 'c']],
    // A retried task weighs what its last attempt took (90), more than two tasks at the median (10 each).
    [
      'a retried task by its recorded duration, the others by the median',
      [rec('f1', [], done, 10), rec('f2', [], done, 10), rec('f3', [], done, 30), rec('slow', [], pending, 90), rec('p', []), rec('q', ['p'])],
      ['slow'],
    ],
  ])('%s', (_what, tasks, path) => {
    expect(criticalPath(tasks)).toEqual(path);
  });
});
