import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Backend } from '../../src/agents/backend.js';
import { createBackends } from '../../src/agents/registry.js';
import { GitWorkspaces } from '../../src/isolation/git-workspaces.js';
import { Engine } from '../../src/scheduler/engine.js';
import { resultBranch, taskBranch, worktreePath } from '../../src/git/layout.js';
import type { TaskState } from '../../src/scheduler/states.js';
import { checkoutState, g, isolateGitConfig, makeRepo, read, run, tempRoot, treeFiles, writeFiles } from '../git/helpers.js';
import { agentConfig, coder, gitEngine, until } from './helpers.js';

let root: string;
let gitConfig: ReturnType<typeof isolateGitConfig>;
beforeAll(() => {
  gitConfig = isolateGitConfig();
  root = tempRoot('orch-iso-engine-');
});
afterAll(() => {
  gitConfig.restore();
  rmSync(root, { recursive: true, force: true, maxRetries: 3 });
});

const stateOf = (tasks: readonly { spec: { id: string }; state: TaskState }[], id: string): TaskState => tasks.find((t) => t.spec.id === id)!.state;

describe('a run with isolated tasks, through the engine and real git', () => {
  it('runs each agent in its worktree, merges in finishing order, and a dependent starts from both merged', async () => {
    const repo = makeRepo(root, 'parallel', { 'README.md': '# r\n', 'tracked.txt': 'old\n' });
    // The person's checkout as it is mid-work: a change, an untracked file, a stash entry.
    writeFiles(repo, { 'tracked.txt': 'stashed\n' });
    g(repo, 'stash', 'push', '-q', '-m', 'mine');
    writeFiles(repo, { 'tracked.txt': 'edited, not committed\n', 'notes.txt': 'untracked\n' });
    const before = checkoutState(repo);
    const r = await run(repo, 'r1');

    const engine = gitEngine(r, [
      coder('a', 'pwd -P > a.txt; git rev-parse --abbrev-ref HEAD >> a.txt; echo made a'),
      coder('b', 'echo b > b.txt; echo made b'),
      coder('c', 'test -f a.txt && test -f b.txt && echo both > c.txt && echo made c', { dependsOn: ['a', 'b'] }),
      coder('review', 'echo looks good', { dependsOn: ['c'] }),
    ]);
    const summary = await engine.run();

    expect(summary.tasks.map((t) => [t.spec.id, t.state.kind])).toEqual([['a', 'completed'], ['b', 'completed'], ['c', 'completed'], ['review', 'completed']]);
    const result = resultBranch('r1');
    expect(treeFiles(repo, result)).toEqual(['README.md', 'a.txt', 'b.txt', 'c.txt', 'tracked.txt']);
    // The agent worked in its own worktree, on its task branch.
    expect(g(repo, 'show', `${result}:a.txt`).split('\n')).toEqual([worktreePath(repo, 'r1', 'a'), taskBranch('r1', 'a')]);
    // One commit per task that changed something, each merged once; the reviewer changed nothing: no commit.
    const subjects = g(repo, 'log', '--format=%s', `${r.base}..${result}`, '--no-merges').split('\n').sort();
    expect(subjects.map((s) => s.split(':')[0])).toEqual(['a', 'b', 'c']);
    expect(subjects).toContain('b: echo b > b.txt; echo made b');
    expect(g(repo, 'log', '-1', '--format=%B', '--no-merges', `${result}`, '--', 'c.txt')).toContain('Orchestrator-Task: c');
    // Merged work leaves nothing behind: no worktree, no task branch.
    expect(g(repo, 'worktree', 'list', '--porcelain').match(/^worktree /gm)).toHaveLength(1);
    expect(g(repo, 'for-each-ref', '--format=%(refname)', 'refs/heads/orchestrator/r1/task/')).toBe('');
    // The person's checkout is exactly as it was: HEAD, index, files, stash.
    expect(checkoutState(repo)).toEqual(before);
  });

  it('a conflict fails the task visibly, keeps its worktree, blocks its dependents; mergeAgain after the fix completes it', async () => {
    const repo = makeRepo(root, 'conflict', { 's.txt': 'one\ntwo\nthree\n' });
    const r = await run(repo, 'r2');
    const engine = gitEngine(r, [
      coder('a', "printf 'one\\nTWO a\\nthree\\n' > s.txt"),
      coder('b', "printf 'one\\nTWO b\\nthree\\n' > s.txt"),
      coder('after-a', 'echo x > after-a.txt', { dependsOn: ['a'] }),
      coder('after-b', 'echo y > after-b.txt', { dependsOn: ['b'] }),
    ]);
    const summary = await engine.run();
    expect(summary.exitCode).toBe(1);
    const conflicted = ['a', 'b'].find((id) => stateOf(summary.tasks, id).kind === 'failed')!;
    const merged = conflicted === 'a' ? 'b' : 'a';
    expect(stateOf(summary.tasks, merged).kind).toBe('completed');
    expect(stateOf(summary.tasks, conflicted)).toEqual({ kind: 'failed', reason: 'merge conflict in s.txt', failure: 'conflict', files: ['s.txt'] });
    expect(stateOf(summary.tasks, `after-${conflicted}`).kind).toBe('blocked');
    expect(stateOf(summary.tasks, `after-${merged}`).kind).toBe('completed');

    // The kept worktree holds the conflict for the person to fix.
    const dir = worktreePath(repo, 'r2', conflicted);
    expect(read(dir, 's.txt')).toContain('<<<<<<<');
    expect(engine.mergeAgain(conflicted)).toEqual({ ok: true, did: 'merging', id: conflicted });
    expect((await engine.whenIdle()).exitCode).toBe(1);
    expect(stateOf(engine.store.getSnapshot().tasks, conflicted)).toMatchObject({ kind: 'failed', failure: 'conflict', files: ['s.txt'] });

    writeFiles(dir, { 's.txt': 'one\nTWO a and b\nthree\n' });
    expect(engine.mergeAgain(conflicted)).toMatchObject({ ok: true, did: 'merging' });
    const after = await engine.whenIdle();
    expect(after.exitCode).toBe(0);
    expect(stateOf(after.tasks, conflicted).kind).toBe('completed');
    expect(stateOf(after.tasks, `after-${conflicted}`).kind).toBe('completed');
    expect(g(repo, 'show', `${resultBranch('r2')}:s.txt`)).toBe('one\nTWO a and b\nthree');
    expect(existsSync(dir)).toBe(false);
    expect(engine.mergeAgain(merged)).toEqual({ ok: false, reason: 'not-conflicted', id: merged });
  });

  it('retry of a conflicted task runs the agent again on a fresh worktree from the current result', async () => {
    const repo = makeRepo(root, 'retry', { 's.txt': 'one\ntwo\nthree\n' });
    const r = await run(repo, 'r3');
    const engine = gitEngine(r, [
      coder('a', "printf 'one\\nTWO a\\nthree\\n' > s.txt"),
      coder('b', "printf 'one\\nTWO b\\nthree\\n' > s.txt"),
    ]);
    const summary = await engine.run();
    const conflicted = ['a', 'b'].find((id) => stateOf(summary.tasks, id).kind === 'failed')!;
    expect(engine.retry(conflicted)).toMatchObject({ ok: true, did: 'retrying', attempt: 2 });
    const after = await engine.whenIdle();
    expect(after.exitCode).toBe(0);
    // Run again from a result that held the other task's change, its own change now merges cleanly.
    expect(g(repo, 'show', `${resultBranch('r3')}:s.txt`)).toBe(`one\nTWO ${conflicted}\nthree`);
    expect(existsSync(worktreePath(repo, 'r3', conflicted))).toBe(false);
    // The discarded attempt's commit is kept under a ref, not lost.
    expect(g(repo, 'for-each-ref', '--format=%(refname)', `refs/orchestrator/r3/conflicted/`)).toBe(`refs/orchestrator/r3/conflicted/${conflicted}`);
  });

  it('a retried conflict continues the agent session, told why and where it now stands', async () => {
    const repo = makeRepo(root, 'note', { 's.txt': 'one\ntwo\nthree\n' });
    const r = await run(repo, 'r5');
    const seen: Array<{ id: string; note: string | undefined; resume: string | undefined; branch: string | undefined; base: string | undefined }> = [];
    // An agent at the edge: writes its line of s.txt where it is told to work, and reports a session.
    const agent: Backend = {
      start(ctx) {
        seen.push({ id: ctx.task.id, note: ctx.retryNote, resume: ctx.resumeSessionId, branch: ctx.workspace.branch, base: ctx.workspace.baseCommit });
        writeFileSync(path.join(ctx.workspace.cwd, 's.txt'), `one\nTWO ${ctx.task.id}\nthree\n`);
        ctx.report({ sessionId: `session-${ctx.task.id}` });
        return { done: Promise.resolve({ ok: true, result: `wrote ${ctx.task.id}` }), pause() {}, resume() {} };
      },
    };
    const config = agentConfig();
    const engine = new Engine({
      plan: { name: 'iso', file: `${repo}/plan.yaml`, workspace: repo, tasks: [coder('a', 'x'), coder('b', 'x')] },
      config,
      backends: { ...createBackends(), command: agent },
      workspaces: new GitWorkspaces(r, config),
    });
    const summary = await engine.run();
    const conflicted = ['a', 'b'].find((id) => stateOf(summary.tasks, id).kind === 'failed')!;
    expect(seen.map((s) => [s.branch, s.base])).toEqual(seen.map((s) => [taskBranch('r5', s.id), r.base]));
    engine.retry(conflicted);
    expect((await engine.whenIdle()).exitCode).toBe(0);
    const again = seen[2]!;
    expect(again).toMatchObject({ id: conflicted, resume: `session-${conflicted}`, branch: taskBranch('r5', conflicted) });
    expect(again.note).toMatch(/^your work did not merge \(merge conflict in s\.txt\): other tasks changed the same lines meanwhile\. This attempt starts in a fresh worktree that holds their work/);
    expect(again.base).toBe(g(repo, 'rev-parse', `${resultBranch('r5')}^1`));
  });

  it('a workspace below the repository top works at the same place in each worktree', async () => {
    const repo = makeRepo(root, 'nested', { 'pkg/app/index.txt': 'x\n' });
    const r = await run(repo, 'r6');
    const config = agentConfig();
    const engine = new Engine({
      plan: { name: 'iso', file: `${repo}/pkg/app/plan.yaml`, workspace: path.join(repo, 'pkg/app'), tasks: [coder('a', 'pwd -P > here.txt')] },
      config,
      backends: createBackends(),
      workspaces: new GitWorkspaces(r, config, 'pkg/app'),
    });
    expect((await engine.run()).exitCode).toBe(0);
    expect(g(repo, 'show', `${resultBranch('r6')}:pkg/app/here.txt`)).toBe(path.join(worktreePath(repo, 'r6', 'a'), 'pkg/app'));
  });

  it('a shutdown stops a setup command under way: the task is cancelled, the agent never starts', async () => {
    const repo = makeRepo(root, 'setup-stop');
    const r = await run(repo, 'r7');
    const marker = path.join(root, 'setup-started');
    const config = agentConfig({ worktree: { setup: `touch ${marker}; while :; do sleep 0.1; done`, setupTimeoutMs: 600_000 } });
    const engine = gitEngine(r, [coder('a', 'echo ran > ran.txt')], config);
    const done = engine.run();
    await until(() => existsSync(marker), 'setup running');
    const summary = await engine.shutdown('SIGTERM');
    expect(summary.interrupted).toBe('SIGTERM');
    expect(stateOf((await done).tasks, 'a')).toEqual({ kind: 'cancelled', reason: 'interrupted (SIGTERM)' });
    expect(existsSync(path.join(worktreePath(repo, 'r7', 'a'), 'ran.txt'))).toBe(false);
  });

  it('a failed setup command fails the task with its output, before the agent runs', async () => {
    const repo = makeRepo(root, 'setup');
    const r = await run(repo, 'r4');
    const config = agentConfig({ worktree: { setup: 'echo no deps here >&2; exit 3', setupTimeoutMs: 60_000 } });
    const engine = gitEngine(r, [coder('a', 'echo ran > ran.txt')], config);
    const summary = await engine.run();
    const state = stateOf(summary.tasks, 'a');
    expect(state).toMatchObject({ kind: 'failed', failure: 'permanent' });
    expect(state.kind === 'failed' && state.reason).toContain('no deps here');
    expect(existsSync(`${worktreePath(repo, 'r4', 'a')}/ran.txt`)).toBe(false);
  });
});
