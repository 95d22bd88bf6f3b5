import { describe, expect, it } from '@jest/globals';
import { CRASH_NOTE, diffPlans, mergePlan, releasePaused, resumedState } from '../../src/persist/resume.js';
import type { TaskRecord } from '../../src/scheduler/run-store.js';
import type { TaskState } from '../../src/scheduler/states.js';
import { task } from '../scheduler/harness.js';

function rec(state: TaskState, over: Partial<TaskRecord> = {}): TaskRecord {
  return { spec: task('t'), order: 0, state, attempts: 1, sessionId: 's1', endedAt: 5, ...over };
}

describe('resumedState', () => {
  const table: Array<[string, TaskState, TaskState, string | undefined]> = [
    ['completed stays done', { kind: 'completed', result: 'r' }, { kind: 'completed', result: 'r' }, undefined],
    ['skipped stays done', { kind: 'skipped', reason: 'x' }, { kind: 'skipped', reason: 'x' }, undefined],
    ['failed stays failed', { kind: 'failed', reason: 'boom' }, { kind: 'failed', reason: 'boom' }, undefined],
    ['running is re-queued', { kind: 'running' }, { kind: 'pending' }, CRASH_NOTE],
    ['paused while running has no process: paused before starting', { kind: 'paused', from: 'running' }, { kind: 'paused', from: 'pending' }, CRASH_NOTE],
    ['paused before starting stays', { kind: 'paused', from: 'pending' }, { kind: 'paused', from: 'pending' }, undefined],
    ['cancelled by a shutdown is re-queued', { kind: 'cancelled', reason: 'interrupted (SIGINT)' }, { kind: 'pending' }, 'interrupted (SIGINT)'],
    ['cancelled by the person stays', { kind: 'cancelled', reason: 'cancelled' }, { kind: 'cancelled', reason: 'cancelled' }, undefined],
    ['waiting for a lock goes back to pending', { kind: 'waiting-lock', file: '/w/a' }, { kind: 'pending' }, undefined],
    ['blocked is re-evaluated', { kind: 'blocked', by: 'x', reason: 'x failed' }, { kind: 'pending' }, undefined],
  ];
  it.each(table)('%s', (_name, from, to, note) => {
    const out = resumedState(rec(from));
    expect(out.state).toEqual(to);
    expect(out.attempts).toBe(1); // the interrupted attempt is counted
    expect(out.sessionId).toBe('s1'); // so the next attempt continues the agent's conversation
    if (note !== undefined) expect(out.lastFailure).toBe(note);
    if (to.kind === 'pending') expect(out.endedAt).toBeUndefined();
  });
});

describe('diffPlans and mergePlan', () => {
  const before = [task('a'), task('b', { dependsOn: ['a'] }), task('gone'), task('a-reviewer', { dependsOn: ['a'], spawnedBy: 'a' })];
  const after = [task('a'), task('b', { dependsOn: ['a'], prompt: 'new' }), task('c')];

  it('names added, removed and changed tasks, ignoring follow-ups', () => {
    expect(diffPlans(before, after)).toEqual({ added: ['c'], removed: ['gone'], changed: ['b'] });
    expect(diffPlans(before, before.slice(0, 3))).toEqual({ added: [], removed: [], changed: [] });
  });

  it('keeps states by id, takes new specs, drops removed tasks, keeps follow-ups of kept parents', () => {
    const records: TaskRecord[] = before.map((spec, order) => ({ spec, order, state: { kind: 'completed', result: spec.id }, attempts: 1 }));
    const merged = mergePlan(records, after);
    expect(merged.map((r) => [r.spec.id, r.state.kind, r.order])).toEqual([
      ['a', 'completed', 0],
      ['b', 'completed', 1],
      ['c', 'pending', 2],
      ['a-reviewer', 'completed', 3],
    ]);
    expect(merged[1]!.spec.prompt).toBe('new');
  });
});

describe('releasePaused (headless resume)', () => {
  it('puts tasks paused before they started back to pending and names them; leaves every other state', () => {
    const records: TaskRecord[] = [
      rec({ kind: 'paused', from: 'pending' }, { spec: task('p1') }),
      rec({ kind: 'completed', result: 'r' }, { spec: task('done') }),
      rec({ kind: 'paused', from: 'pending' }, { spec: task('p2'), lastFailure: CRASH_NOTE }),
      rec({ kind: 'pending' }, { spec: task('q') }),
    ];
    const { records: out, note } = releasePaused(records);
    expect(out.map((r) => [r.spec.id, r.state.kind])).toEqual([['p1', 'pending'], ['done', 'completed'], ['p2', 'pending'], ['q', 'pending']]);
    expect(out[2]!.lastFailure).toBe(CRASH_NOTE); // its agent is still told why it runs again
    expect(note).toBe('released 2 paused tasks (p1, p2): nobody can un-pause them in a headless resume; resume in the dashboard to keep them paused');
    expect(releasePaused(records.slice(1, 2))).toEqual({ records: records.slice(1, 2) });
  });
});
