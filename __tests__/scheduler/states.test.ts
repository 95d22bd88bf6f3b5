import { describe, expect, it } from '@jest/globals';
import {
  IllegalTransitionError,
  STATE_KINDS,
  UNFINISHED_KINDS,
  canTransition,
  dependencyVerdict,
  endedOk,
  hasUnfinished,
  transition,
} from '../../src/scheduler/states.js';
import type { TaskState } from '../../src/scheduler/states.js';

const sample: Record<TaskState['kind'], TaskState> = {
  pending: { kind: 'pending' },
  eligible: { kind: 'eligible' },
  'waiting-lock': { kind: 'waiting-lock', file: '/w/a.ts' },
  running: { kind: 'running' },
  paused: { kind: 'paused', from: 'pending' },
  completed: { kind: 'completed', result: 'ok' },
  failed: { kind: 'failed', reason: 'exit code 1' },
  skipped: { kind: 'skipped', reason: 'by you' },
  blocked: { kind: 'blocked', by: 'a', reason: 'a failed' },
  cancelled: { kind: 'cancelled', reason: 'by you' },
};

describe('task state transitions', () => {
  it.each([
    ['pending', 'eligible'],
    ['eligible', 'waiting-lock'],
    ['waiting-lock', 'running'],
    ['eligible', 'running'],
    ['running', 'completed'],
    ['running', 'failed'],
    ['running', 'paused'],
    ['failed', 'pending'],
    ['cancelled', 'pending'],
    ['blocked', 'pending'],
    ['pending', 'blocked'],
    ['failed', 'skipped'],
  ] as const)('allows %s → %s', (from, to) => {
    expect(transition('t', sample[from], sample[to])).toBe(sample[to]);
  });

  it.each([
    ['pending', 'running'],
    ['pending', 'completed'],
    ['completed', 'pending'],
    ['completed', 'failed'],
    ['skipped', 'pending'],
    ['eligible', 'completed'],
    ['blocked', 'running'],
    ['failed', 'running'],
  ] as const)('refuses %s → %s with an error naming the task', (from, to) => {
    expect(() => transition('build', sample[from], sample[to])).toThrow(IllegalTransitionError);
    expect(() => transition('build', sample[from], sample[to])).toThrow(`task build: cannot go from ${from} to ${to}`);
  });

  it('a paused running task resumes to running, a paused pending one to pending', () => {
    expect(canTransition({ kind: 'paused', from: 'running' }, 'running')).toBe(true);
    expect(canTransition({ kind: 'paused', from: 'running' }, 'pending')).toBe(false);
    expect(canTransition({ kind: 'paused', from: 'pending' }, 'pending')).toBe(true);
    expect(canTransition({ kind: 'paused', from: 'pending' }, 'running')).toBe(false);
  });

  it('completed and skipped are terminal', () => {
    for (const to of STATE_KINDS) {
      expect(canTransition(sample.completed, to)).toBe(false);
      expect(canTransition(sample.skipped, to)).toBe(false);
    }
  });
});

describe('dependency verdicts by failure mode', () => {
  it.each([
    ['completed', 'hard', 'satisfied'],
    ['skipped', 'hard', 'satisfied'],
    ['failed', 'hard', 'dead'],
    ['failed', 'soft', 'satisfied'],
    ['failed', 'skip', 'satisfied'],
    ['cancelled', 'hard', 'dead'],
    ['blocked', 'soft', 'dead'],
    ['running', 'hard', 'waiting'],
    ['pending', 'skip', 'waiting'],
  ] as const)('%s with mode %s is %s', (kind, mode, verdict) => {
    expect(dependencyVerdict(sample[kind], mode)).toBe(verdict);
  });

  it('only completed, skipped and non-hard failures end a run well', () => {
    expect(endedOk(sample.completed, 'hard')).toBe(true);
    expect(endedOk(sample.skipped, 'hard')).toBe(true);
    expect(endedOk(sample.failed, 'soft')).toBe(true);
    expect(endedOk(sample.failed, 'hard')).toBe(false);
    expect(endedOk(sample.blocked, 'soft')).toBe(false);
    expect(endedOk(sample.cancelled, 'skip')).toBe(false);
  });
});

describe('unfinished states', () => {
  it('are the states a task can still leave on its own: every state that is not finished', () => {
    expect(UNFINISHED_KINDS).toEqual(['pending', 'eligible', 'waiting-lock', 'running', 'paused']);
    // A task in an unfinished state still has a move the engine makes; a finished one waits for a command.
    for (const kind of STATE_KINDS) expect([kind, UNFINISHED_KINDS.includes(kind)]).toEqual([kind, dependencyVerdict(sample[kind], 'hard') === 'waiting']);
  });

  it.each([
    [{}, false],
    [{ completed: 3, failed: 1 }, false],
    [{ completed: 3, paused: 0 }, false],
    [{ completed: 3, 'waiting-lock': 1 }, true],
    [{ running: 1 }, true],
    [{ interrupted: 2 }, false], // a kind this build does not know counts as finished
  ])('counts %j have unfinished work: %s', (counts, expected) => {
    expect(hasUnfinished(counts)).toBe(expected);
  });
});
