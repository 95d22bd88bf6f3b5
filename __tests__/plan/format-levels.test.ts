import { describe, it, expect } from '@jest/globals';
import { formatLevels, planFromText, planLevels } from '../../src/plan/load.js';
import type { Plan, TaskSpec } from '../../src/plan/schema.js';

function task(id: string, agent: string, dependsOn: string[] = [], extra: Partial<TaskSpec> = {}): TaskSpec {
  return { id, agent, prompt: 'p', dependsOn, writes: [], failureMode: 'hard', retries: 0, followUps: true, ...extra };
}

function planOf(tasks: TaskSpec[], name = 'add-auth'): Plan {
  return { name, file: '/x/add-auth.yaml', workspace: '/x', tasks };
}

describe('formatLevels', () => {
  it('lists each level with role and dependencies', () => {
    const plan = planOf([
      task('setup', 'shell'),
      task('implement-auth', 'coder', ['setup']),
      task('write-tests', 'tester', ['setup'], { failureMode: 'soft' }),
      task('review', 'reviewer', ['implement-auth', 'write-tests']),
    ]);
    const levels = [['setup'], ['implement-auth', 'write-tests'], ['review']];
    expect(formatLevels(plan, levels)).toBe(
      [
        'plan add-auth: 4 tasks, 3 levels',
        'level 1:',
        '  setup  [shell]',
        'level 2:',
        '  implement-auth  [coder] ← setup',
        '  write-tests     [tester] ← setup (soft)',
        'level 3:',
        '  review  [reviewer] ← implement-auth, write-tests',
      ].join('\n'),
    );
  });

  it('lists the follow-up chains after the levels, capped', () => {
    const plan = planOf([task('a', 'coder'), task('b', 'coder'), task('c', 'shell')]);
    const followUps = (t: TaskSpec) => (t.agent === 'coder' ? [[t.id, `${t.id}-reviewer`]] : []);
    expect(formatLevels(plan, [['a', 'b', 'c']], { followUps }).split('\n').slice(-3)).toEqual([
      'follow-ups the workflows add as tasks complete:',
      '  a → a-reviewer',
      '  b → b-reviewer',
    ]);
    expect(formatLevels(plan, [['a', 'b', 'c']], { followUps, maxFollowUps: 1 }).split('\n').slice(-2)).toEqual(['  a → a-reviewer', '  … and 1 more']);
    expect(formatLevels(plan, [['a', 'b', 'c']], { followUps: () => [] })).not.toContain('follow-ups');
  });

  it('uses the singular for one task and one level', () => {
    expect(formatLevels(planOf([task('a', 'coder')], 'one'), [['a']]).split('\n')[0]).toBe('plan one: 1 task, 1 level');
  });

  it('elides wide levels, long dependency lists and deep plans with counts', () => {
    const wide = Array.from({ length: 30 }, (_, i) => task(`w${i}`, 'coder'));
    const chain = Array.from({ length: 100 }, (_, i) => task(`c${i}`, 'coder', i ? [`c${i - 1}`] : ['w0', 'w1', 'w2', 'w3', 'w4', 'w5']));
    const levels = [wide.map((t) => t.id), ...chain.map((t) => [t.id])];
    const out = formatLevels(planOf([...wide, ...chain]), levels, { maxLevels: 3, maxTasksPerLevel: 5, maxDeps: 4 });
    expect(out.split('\n')).toEqual([
      'plan add-auth: 130 tasks, 101 levels',
      'level 1 (30 tasks):',
      '  w0  [coder]',
      '  w1  [coder]',
      '  w2  [coder]',
      '  w3  [coder]',
      '  w4  [coder]',
      '  … and 25 more',
      'level 2:',
      '  c0  [coder] ← w0, w1, w2, w3 +2 more',
      'level 3:',
      '  c1  [coder] ← c0',
      '… 98 more levels (98 tasks)',
    ]);
  });

  it('stops listing when the total budget of tasks is spent', () => {
    const tasks = Array.from({ length: 9 }, (_, i) => task(`t${i}`, 'coder', i >= 3 ? [`t${i - 3}`] : []));
    const levels = [['t0', 't1', 't2'], ['t3', 't4', 't5'], ['t6', 't7', 't8']];
    expect(formatLevels(planOf(tasks), levels, { maxTasks: 4 }).split('\n')).toEqual([
      'plan add-auth: 9 tasks, 3 levels',
      'level 1:',
      '  t0  [coder]',
      '  t1  [coder]',
      '  t2  [coder]',
      'level 2:',
      '  t3  [coder] ← t0',
      '  … and 2 more',
      '… 1 more level (3 tasks)',
    ]);
  });

  it('stays short for a 20,000-level plan by default', () => {
    const tasks = Array.from({ length: 20_000 }, (_, i) => task(`t${i}`, 'coder', i ? [`t${i - 1}`] : []));
    const out = formatLevels(planOf(tasks), tasks.map((t) => [t.id]));
    expect(out.split('\n').length).toBeLessThan(100);
    expect(out).toMatch(/^level 40:$/m);
    expect(out).toMatch(/… 19960 more levels \(19960 tasks\)$/);
  });
});

describe('planLevels', () => {
  it('returns the levels found while loading, and computes them for plans built in code', () => {
    const loaded = planFromText('tasks:\n  - {id: b, agent: coder, prompt: p, dependsOn: [a]}\n  - {id: a, agent: coder, prompt: p}\n', 'p.yaml', {
      workspace: '/w',
      knownRoles: ['coder'],
    });
    expect(planLevels(loaded)).toEqual([['a'], ['b']]);
    expect(planLevels(planOf([task('x', 'anything'), task('y', 'other', ['x'])]))).toEqual([['x'], ['y']]);
  });
});
