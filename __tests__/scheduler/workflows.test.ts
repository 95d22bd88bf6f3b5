import { describe, expect, it } from '@jest/globals';
import type { Workflow } from '../../src/config/schema.js';
import { followUpChains, followUpsFor, renderTemplate, rolesInRun } from '../../src/scheduler/workflows.js';
import { ScriptedBackend, WORKSPACE, config, engineWith, states, task } from './harness.js';

const standard: Record<string, Workflow> = {
  standard: {
    steps: [
      { agent: 'coder' },
      { agent: 'reviewer', failureMode: 'soft', prompt: 'Review {{task.id}} ({{task.writes}}): {{task.result}}' },
      { agent: 'tester', failureMode: 'hard' },
    ],
  },
};

describe('followUpChains', () => {
  const w = (...steps: string[][]): Record<string, Workflow> => Object.fromEntries(steps.map((roles, i) => [`w${i}`, { steps: roles.map((agent) => ({ agent })) }]));
  it.each([
    ['a chain to its last step', standard, 'coder', true, [['code', 'code-reviewer', 'code-reviewer-tester']]],
    ['nothing from a last step', standard, 'tester', true, []],
    ['nothing when the task turns follow-ups off', standard, 'coder', false, []],
    ['a chain per branch', w(['coder', 'reviewer'], ['coder', 'tester', 'shell']), 'coder', true, [['code', 'code-reviewer'], ['code', 'code-tester', 'code-tester-shell']]],
    ['a workflow that loops ends in …', w(['coder', 'reviewer', 'coder']), 'coder', true, [['code', 'code-reviewer', 'code-reviewer-coder', '…']]],
  ])('%s', (_, workflows, agent, followUps, chains) => {
    expect(followUpChains({ id: 'code', agent, followUps }, workflows)).toEqual(chains);
  });

  it('names each follow-up as followUpsFor will spawn it', () => {
    const first = followUpsFor(task('code', { agent: 'coder' }), 'r', standard, WORKSPACE)[0]!;
    const second = followUpsFor(first, 'r', standard, WORKSPACE)[0]!;
    expect(followUpChains({ id: 'code', agent: 'coder', followUps: true }, standard)).toEqual([['code', first.id, second.id]]);
  });
});

describe('followUpsFor', () => {
  const coder = task('auth', { agent: 'coder', prompt: 'Implement auth', writes: [`${WORKSPACE}/src/auth.ts`] });

  it('spawns the next step as {id}-{role}, depending on the task, with its writes and the step failure mode', () => {
    const [next, ...rest] = followUpsFor(coder, 'added login()', standard, WORKSPACE);
    expect(rest).toEqual([]);
    expect(next).toEqual({
      id: 'auth-reviewer',
      agent: 'reviewer',
      prompt: 'Review auth (src/auth.ts): added login()',
      dependsOn: ['auth'],
      writes: [`${WORKSPACE}/src/auth.ts`],
      failureMode: 'soft',
      followUps: true,
      spawnedBy: 'auth',
    });
  });

  it('the step after that is spawned from the follow-up, and the last step spawns nothing', () => {
    const reviewer = followUpsFor(coder, 'r', standard, WORKSPACE)[0]!;
    const tester = followUpsFor(reviewer, 'looks good', standard, WORKSPACE)[0]!;
    expect(tester).toMatchObject({ id: 'auth-reviewer-tester', agent: 'tester', failureMode: 'hard', dependsOn: ['auth-reviewer'] });
    expect(tester.prompt).toContain('looks good');
    expect(followUpsFor(tester, 'tests pass', standard, WORKSPACE)).toEqual([]);
  });

  it('a role in no workflow, or a task that opts out, spawns nothing', () => {
    expect(followUpsFor(task('x', { agent: 'shell' }), '', standard, WORKSPACE)).toEqual([]);
    expect(followUpsFor({ ...coder, followUps: false }, '', standard, WORKSPACE)).toEqual([]);
  });

  it('two workflows with the role as a step each spawn their next step; the same next role once', () => {
    const workflows: Record<string, Workflow> = {
      ...standard,
      docs: { steps: [{ agent: 'coder' }, { agent: 'writer' }] },
      again: { steps: [{ agent: 'coder' }, { agent: 'reviewer' }] },
    };
    expect(followUpsFor(coder, '', workflows, WORKSPACE).map((t) => t.id)).toEqual(['auth-reviewer', 'auth-writer']);
  });

  it('renders every placeholder and leaves unknown ones visible', () => {
    const text = renderTemplate('{{task.id}}|{{ task.prompt }}|{{task.result}}|{{task.writes}}|{{task.nope}}', {
      id: 'a',
      prompt: 'p',
      result: 'r',
      writes: [],
    }, WORKSPACE);
    expect(text).toBe('a|p|r|none|{{task.nope}}');
  });
});

describe('follow-ups in a run', () => {
  it('spawned tasks join the graph, run after their parent, and chain to the last step', async () => {
    const backend = new ScriptedBackend({ outcome: (ctx) => ({ ok: true, result: `${ctx.task.id} ok` }) });
    const cfg = config({ workflows: standard });
    const engine = engineWith([task('auth', { agent: 'coder' }), task('docs', { agent: 'shell' })], backend, { config: cfg });
    const added: string[] = [];
    engine.store.events.on('task-added', (e) => added.push(`${e.spawnedBy}→${e.task.id}`));
    const summary = await engine.run();
    expect(summary.exitCode).toBe(0);
    expect(added).toEqual(['auth→auth-reviewer', 'auth-reviewer→auth-reviewer-tester']);
    expect(states(engine)).toEqual({ auth: 'completed', docs: 'completed', 'auth-reviewer': 'completed', 'auth-reviewer-tester': 'completed' });
    expect(backend.calls.find((c) => c.id === 'auth-reviewer')!.ctx.task.prompt).toContain('auth ok');
    expect(engine.dependentsOf('auth')).toEqual(['auth-reviewer']);
  });

  it('a follow-up that would close a cycle is refused and the graph is left as it was', async () => {
    // auth depends on auth-reviewer, so auth → auth-reviewer would be a cycle.
    const backend = new ScriptedBackend({ outcome: () => ({ ok: true, result: 'ok' }) });
    const cfg = config({ workflows: standard });
    const engine = engineWith(
      [task('auth-reviewer', { agent: 'shell' }), task('auth', { agent: 'coder', dependsOn: ['auth-reviewer'] })],
      backend,
      { config: cfg },
    );
    const refused: string[] = [];
    engine.store.events.on('follow-up-refused', (e) => refused.push(e.reason));
    const summary = await engine.run();
    expect(summary.exitCode).toBe(0);
    expect(refused).toEqual(['adding auth-reviewer after auth would create a cycle (auth-reviewer already leads to auth)']);
    expect(engine.store.getSnapshot().tasks.map((t) => t.spec.id)).toEqual(['auth-reviewer', 'auth']);
    expect(engine.dependentsOf('auth')).toEqual([]);
  });

  it('a soft-failing review still lets the tester follow-up run', async () => {
    const backend = new ScriptedBackend({
      outcome: (ctx) => (ctx.task.agent === 'reviewer' ? { ok: false, reason: 'nits' } : { ok: true, result: 'ok' }),
    });
    const engine = engineWith([task('auth', { agent: 'coder' })], backend, { config: config({ workflows: standard }) });
    expect((await engine.run()).exitCode).toBe(0);
    expect(states(engine)).toEqual({ auth: 'completed', 'auth-reviewer': 'failed', 'auth-reviewer-tester': 'completed' });
    expect(backend.calls.at(-1)!.ctx.task.prompt).toContain('(failed, soft) nits');
  });
});

describe('rolesInRun', () => {
  it('adds every step that can follow a plan role, transitively, unless the task opts out', () => {
    expect([...rolesInRun([task('a', { agent: 'coder' })], standard)].sort()).toEqual(['coder', 'reviewer', 'tester']);
    expect([...rolesInRun([task('a', { agent: 'reviewer' })], standard)].sort()).toEqual(['reviewer', 'tester']);
    expect([...rolesInRun([task('a', { agent: 'coder', followUps: false })], standard)]).toEqual(['coder']);
    expect([...rolesInRun([task('a', { agent: 'shell' })], standard)]).toEqual(['shell']);
  });
});
