import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, rmSync } from 'node:fs';
import type { Backend } from '../../src/agents/backend.js';
import { commitTask } from '../../src/git/commit.js';
import { resultBranch, worktreePath } from '../../src/git/layout.js';
import { mergeTask } from '../../src/git/merge.js';
import { GitWorkspaces } from '../../src/isolation/git-workspaces.js';
import { Engine } from '../../src/scheduler/engine.js';
import { g, isolateGitConfig, makeRepo, run, tempRoot, writeFiles } from '../git/helpers.js';
import { agentConfig, coder } from './helpers.js';

let root: string;
let gitConfig: ReturnType<typeof isolateGitConfig>;
beforeAll(() => {
  gitConfig = isolateGitConfig();
  root = tempRoot('orch-iso-crash-');
});
afterAll(() => {
  gitConfig.restore();
  rmSync(root, { recursive: true, force: true, maxRetries: 3 });
});

/** An agent that must not run: the work it would do is already done. */
const notAgain: Backend = {
  start(ctx) {
    throw new Error(`the agent of ${ctx.task.id} ran again`);
  },
};

/** A fresh engine and workspaces over the same repository: what `resume` builds after a kill -9. */
function resumed(r: Awaited<ReturnType<typeof run>>) {
  const config = agentConfig();
  return new Engine({
    plan: { name: 'iso', file: `${r.repo}/plan.yaml`, workspace: r.repo, tasks: [coder('a', 'x')] },
    config,
    backends: { command: notAgain },
    workspaces: new GitWorkspaces(r, config),
  });
}

describe('a task picked up after a crash at each step of landing its work', () => {
  it('committed but not merged: merged on resume, the agent not run again', async () => {
    const repo = makeRepo(root, 'committed');
    const r = await run(repo, 'c1');
    const ws = new GitWorkspaces(r, agentConfig());
    const opened = await ws.open(coder('a', 'x'), { fresh: false });
    expect(opened.kind).toBe('ready');
    writeFiles(worktreePath(repo, 'c1', 'a'), { 'a.txt': 'a\n' });
    expect((await commitTask(r, 'a', { prompt: 'x', agent: 'coder/script' })).kind).toBe('committed');
    // The crash: no merge.

    const summary = await resumed(r).run();
    expect(summary.tasks[0]!.state).toEqual({ kind: 'completed', result: 'its work was committed before the run was interrupted' });
    expect(g(repo, 'show', `${resultBranch('c1')}:a.txt`)).toBe('a');
    expect(existsSync(worktreePath(repo, 'c1', 'a'))).toBe(false);
  });

  it('merged but not recorded completed: completed on resume, merged once, the agent not run again', async () => {
    const repo = makeRepo(root, 'merged');
    const r = await run(repo, 'c2');
    const ws = new GitWorkspaces(r, agentConfig());
    await ws.open(coder('a', 'x'), { fresh: false });
    writeFiles(worktreePath(repo, 'c2', 'a'), { 'a.txt': 'a\n' });
    await commitTask(r, 'a', { prompt: 'x', agent: 'coder/script' });
    expect((await mergeTask(r, 'a')).kind).toBe('merged');
    // The crash: the worktree is still there, the task not completed.

    const summary = await resumed(r).run();
    expect(summary.tasks[0]!.state).toEqual({ kind: 'completed', result: 'its work was merged before the run was interrupted' });
    expect(g(repo, 'log', '--merges', '--format=%s', resultBranch('c2'))).toBe(`Merge task a into ${resultBranch('c2')}`);
    expect(existsSync(worktreePath(repo, 'c2', 'a'))).toBe(false);
  });

  it("a commit the agent made itself is not taken for finished work: the agent runs again in that worktree", async () => {
    const repo = makeRepo(root, 'agent-commit');
    const r = await run(repo, 'c3');
    const ws = new GitWorkspaces(r, agentConfig());
    await ws.open(coder('a', 'x'), { fresh: false });
    const dir = worktreePath(repo, 'c3', 'a');
    writeFiles(dir, { 'half.txt': 'half\n' });
    g(dir, 'add', '-A');
    g(dir, 'commit', '-q', '-m', 'wip by the agent');

    const ran: string[] = [];
    const config = agentConfig();
    const agent: Backend = {
      start(ctx) {
        ran.push(ctx.workspace.cwd);
        writeFiles(ctx.workspace.cwd, { 'rest.txt': 'rest\n' });
        return { done: Promise.resolve({ ok: true, result: 'done' }), pause() {}, resume() {} };
      },
    };
    const engine = new Engine({ plan: { name: 'iso', file: `${repo}/plan.yaml`, workspace: repo, tasks: [coder('a', 'x')] }, config, backends: { command: agent }, workspaces: new GitWorkspaces(r, config) });
    expect((await engine.run()).exitCode).toBe(0);
    expect(ran).toEqual([dir]);
    expect(g(repo, 'ls-tree', '--name-only', resultBranch('c3'))).toBe('README.md\nhalf.txt\nrest.txt');
  });
});
