import { describe, it, expect } from '@jest/globals';
import fc from 'fast-check';
import { analyzeTasks } from '../../src/graph/analyze.js';
import type { AnalyzableTask } from '../../src/graph/analyze.js';

const ROLES = ['coder', 'orchestrator', 'reviewer'];

/** `'b:a,c'` → task b depending on a and c; `'a'` → task a with no dependencies. */
function plan(...specs: string[]): AnalyzableTask[] {
  return specs.map((spec) => {
    const [id, deps] = spec.split(':');
    return { id: id!, agent: 'coder', dependsOn: deps ? deps.split(',') : [] };
  });
}

function chain(n: number): AnalyzableTask[] {
  return Array.from({ length: n }, (_, i) => ({ id: `t${i}`, agent: 'coder', dependsOn: i ? [`t${i - 1}`] : [] }));
}

describe('analyzeTasks: orders valid graphs into levels', () => {
  const cases: Array<{ name: string; tasks: AnalyzableTask[]; levels: string[][] }> = [
    { name: 'single task', tasks: plan('a'), levels: [['a']] },
    { name: 'linear chain', tasks: plan('a', 'b:a', 'c:b'), levels: [['a'], ['b'], ['c']] },
    { name: 'parallel tasks', tasks: plan('a', 'b', 'c'), levels: [['a', 'b', 'c']] },
    { name: 'diamond', tasks: plan('a', 'b:a', 'c:a', 'd:b,c'), levels: [['a'], ['b', 'c'], ['d']] },
    {
      name: 'level is the longest path, not the shortest',
      tasks: plan('a', 'b:a', 'c:b', 'd:a,c'),
      levels: [['a'], ['b'], ['c'], ['d']],
    },
    {
      name: 'disconnected parts all appear, plan order within a level',
      tasks: plan('x', 'y:x', 'a', 'b:a', 'lonely'),
      levels: [['x', 'a', 'lonely'], ['y', 'b']],
    },
    { name: 'dependents listed before their dependency', tasks: plan('c:b', 'b:a', 'a'), levels: [['a'], ['b'], ['c']] },
    { name: 'a repeated dependency is harmless', tasks: plan('a', 'b:a,a'), levels: [['a'], ['b']] },
  ];
  it.each(cases)('$name', ({ tasks, levels }) => {
    const result = analyzeTasks(tasks, ROLES);
    expect(result.problems).toEqual([]);
    expect(result.levels).toEqual(levels);
  });
});

describe('analyzeTasks: reports problems', () => {
  const cases: Array<{ name: string; tasks: AnalyzableTask[]; problems: Array<{ field: string; message: string }> }> = [
    {
      name: 'direct cycle a ↔ b',
      tasks: plan('a:b', 'b:a'),
      problems: [{ field: 'tasks[0].dependsOn[0]', message: 'cycle: a → b → a (each task depends on the next)' }],
    },
    {
      name: 'transitive cycle',
      tasks: plan('a:b', 'b:c', 'c:a'),
      problems: [{ field: 'tasks[0].dependsOn[0]', message: 'cycle: a → b → c → a (each task depends on the next)' }],
    },
    {
      name: 'cycle starts at the member first in plan order',
      tasks: plan('root', 'c:a,root', 'b:c', 'a:b'),
      problems: [{ field: 'tasks[1].dependsOn[0]', message: 'cycle: c → a → b → c (each task depends on the next)' }],
    },
    {
      name: 'cycle starts at the first member even when the search enters it elsewhere',
      // s is downstream of the p↔q cycle, so the search for cycles starts at s and enters {a, b} at a.
      tasks: plan('s:p', 'b:a', 'a:b,s', 'p:q', 'q:p'),
      problems: [
        { field: 'tasks[1].dependsOn[0]', message: 'cycle: b → a → b (each task depends on the next)' },
        { field: 'tasks[3].dependsOn[0]', message: 'cycle: p → q → p (each task depends on the next)' },
      ],
    },
    {
      name: 'self-loop',
      tasks: plan('a', 'b:a,b'),
      problems: [{ field: 'tasks[1].dependsOn[1]', message: 'cycle: b → b (task b depends on itself)' }],
    },
    {
      name: 'missing dependency names both tasks',
      tasks: plan('build', 'deploy:biuld'),
      problems: [{ field: 'tasks[1].dependsOn[0]', message: "task deploy depends on 'biuld', which is not in the plan; did you mean 'build'?" }],
    },
    {
      name: 'duplicate id names both positions',
      tasks: plan('a', 'b', 'a'),
      problems: [{ field: 'tasks[2].id', message: "duplicate id 'a': tasks[0] and tasks[2] both use it" }],
    },
    {
      name: 'empty plan',
      tasks: [],
      problems: [{ field: 'tasks', message: 'the plan has no tasks' }],
    },
    {
      name: 'two separate cycles are both reported, each once',
      tasks: plan('a:b', 'b:a', 'ok', 'x:z', 'y:x', 'z:y', 'after:a'),
      problems: [
        { field: 'tasks[0].dependsOn[0]', message: 'cycle: a → b → a (each task depends on the next)' },
        { field: 'tasks[3].dependsOn[0]', message: 'cycle: x → z → y → x (each task depends on the next)' },
      ],
    },
    {
      name: 'a cyclic group with several cycles is reported once, with a shortest cycle',
      tasks: plan('a:b,c', 'b:c', 'c:d', 'd:a'),
      problems: [{ field: 'tasks[0].dependsOn[1]', message: 'cycle: a → c → d → a (each task depends on the next)' }],
    },
  ];
  it.each(cases)('$name', ({ tasks, problems }) => {
    const result = analyzeTasks(tasks, ROLES);
    expect(result.problems).toEqual(problems);
  });

  it('reports an unknown role with the known ones', () => {
    const result = analyzeTasks([{ id: 'a', agent: 'codr', dependsOn: [] }], ROLES);
    expect(result.problems).toEqual([{ field: 'tasks[0].agent', message: "unknown role 'codr' (known: coder, orchestrator, reviewer); did you mean 'coder'?" }]);
    expect(result.levels).toEqual([['a']]);
  });

  it('suggests a near task id for a missing dependency only when one is close, and for the first 20 only', () => {
    const far = analyzeTasks([{ id: 'build', dependsOn: [] }, { id: 'x', dependsOn: ['zzzzzz'] }], ROLES);
    expect(far.problems[0]!.message).toBe("task x depends on 'zzzzzz', which is not in the plan");
    // Never the task itself: it cannot depend on itself.
    const self = analyzeTasks([{ id: 'a', dependsOn: ['b'] }], ROLES);
    expect(self.problems[0]!.message).toBe("task a depends on 'b', which is not in the plan");
    const many = analyzeTasks(
      [{ id: 'build', dependsOn: [] }, ...Array.from({ length: 30 }, (_, i) => ({ id: `t${i}`, dependsOn: ['biuld'] }))],
      ROLES,
    );
    expect(many.problems).toHaveLength(30);
    expect(many.problems.filter((p) => p.message.endsWith("did you mean 'build'?"))).toHaveLength(20);
  });

  it('reports every problem at once, in plan order', () => {
    const result = analyzeTasks(
      [
        { id: 'a', agent: 'nobody', dependsOn: ['b'] },
        { id: 'b', agent: 'coder', dependsOn: ['a', 'ghost'] },
        { id: 'a', agent: 'coder', dependsOn: [] },
      ],
      ROLES,
    );
    expect(result.problems.map((p) => p.field)).toEqual(['tasks[0].agent', 'tasks[0].dependsOn[0]', 'tasks[1].dependsOn[1]', 'tasks[2].id']);
    expect(result.levels).toEqual([]);
  });

  it('gives no levels when there is a cycle, but still orders around a missing dependency', () => {
    expect(analyzeTasks(plan('a:b', 'b:a'), ROLES).levels).toEqual([]);
    expect(analyzeTasks(plan('a', 'b:a,ghost'), ROLES).levels).toEqual([['a'], ['b']]);
  });

  it('names the file positions when given a subset of the tasks', () => {
    const result = analyzeTasks(plan('a', 'b:zz'), ROLES, { positions: [4, 7] });
    expect(result.problems).toEqual([{ field: 'tasks[7].dependsOn[0]', message: "task b depends on 'zz', which is not in the plan" }]);
  });

  it('skips unreadable roles and dependencies instead of reporting them again', () => {
    const result = analyzeTasks([{ id: 'a', dependsOn: [undefined, 'nope'] }], ROLES);
    expect(result.problems).toEqual([{ field: 'tasks[0].dependsOn[1]', message: "task a depends on 'nope', which is not in the plan" }]);
  });

  it('treats ids like object keys as plain ids', () => {
    const result = analyzeTasks(plan('constructor', '__proto__:constructor', 'toString:__proto__'), ROLES);
    expect(result.problems).toEqual([]);
    expect(result.levels).toEqual([['constructor'], ['__proto__'], ['toString']]);
  });
});

describe('analyzeTasks: scale', () => {
  it('orders a 20,000-task chain without overflowing the stack', () => {
    const result = analyzeTasks(chain(20_000), ROLES);
    expect(result.problems).toEqual([]);
    expect(result.levels).toHaveLength(20_000);
    expect(result.levels[19_999]).toEqual(['t19999']);
  });

  it('finds the cycle closing a 20,000-task chain without overflowing the stack', () => {
    const tasks = chain(20_000);
    tasks[0] = { id: 't0', agent: 'coder', dependsOn: ['t19999'] };
    const result = analyzeTasks(tasks, ROLES);
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]!.message).toMatch(/^cycle: t0 → t19999 → t19998 → .* → t1 → t0 \(/);
    expect(result.problems[0]!.message.split(' → ')).toHaveLength(20_001);
  });
});

describe('analyzeTasks: properties', () => {
  /** Random DAGs: each task may depend only on earlier ones, then the list is shuffled. */
  const dag = fc
    .integer({ min: 1, max: 60 })
    .chain((n) =>
      fc.tuple(
        fc.tuple(...Array.from({ length: n }, (_, i) => fc.uniqueArray(fc.nat({ max: Math.max(0, i - 1) }), { maxLength: i ? 4 : 0 }))),
        fc.shuffledSubarray(Array.from({ length: n }, (_, i) => i), { minLength: n, maxLength: n }),
      ),
    )
    .map(([deps, order]) => order.map((i) => ({ id: `n${i}`, agent: 'coder', dependsOn: deps[i]!.map((d) => `n${d}`) })));

  it('puts every task in exactly one level and every edge from a lower level to a higher one', () => {
    fc.assert(
      fc.property(dag, (tasks) => {
        const { problems, levels } = analyzeTasks(tasks, ROLES);
        expect(problems).toEqual([]);
        const flat = levels.flat();
        expect([...flat].sort()).toEqual(tasks.map((t) => t.id).sort());
        const levelOf = new Map<string, number>();
        levels.forEach((ids, l) => ids.forEach((id) => levelOf.set(id, l)));
        for (const task of tasks) for (const dep of task.dependsOn) expect(levelOf.get(dep)!).toBeLessThan(levelOf.get(task.id)!);
        for (const ids of levels) expect(ids).not.toHaveLength(0);
      }),
    );
  });

  it('reports a cycle whose path follows real dependencies whenever a back edge is added', () => {
    fc.assert(
      fc.property(dag, fc.nat(), fc.nat(), (generated, x, y) => {
        const tasks = generated.map((t) => ({ ...t }));
        const from = tasks[x % tasks.length]!;
        const to = tasks[y % tasks.length]!;
        to.dependsOn = [...to.dependsOn, from.id];
        from.dependsOn = [...from.dependsOn, to.id];
        const { problems, levels } = analyzeTasks(tasks, ROLES);
        expect(levels).toEqual([]);
        expect(problems.length).toBeGreaterThan(0);
        const byId = new Map(tasks.map((t) => [t.id, t]));
        for (const p of problems) {
          const path = /^cycle: (.*) \(/.exec(p.message)![1]!.split(' → ');
          expect(path[0]).toBe(path[path.length - 1]);
          for (let i = 0; i + 1 < path.length; i++) expect(byId.get(path[i]!)!.dependsOn).toContain(path[i + 1]);
        }
      }),
    );
  });
});
