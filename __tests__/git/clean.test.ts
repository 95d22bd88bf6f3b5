import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cleanRun, recoverRun } from '../../src/git/clean.js';
import { commitTask, TRAILER } from '../../src/git/commit.js';
import { resultBranch, taskBranch } from '../../src/git/layout.js';
import { mergeTask } from '../../src/git/merge.js';
import { startTask } from '../../src/git/task.js';
import { g, isolateGitConfig, makeRepo, run, tempRoot, writeFiles } from './helpers.js';

let root: string;
let config: ReturnType<typeof isolateGitConfig>;
beforeAll(() => {
  config = isolateGitConfig();
  root = tempRoot('orch-git-clean-');
});
afterAll(() => {
  config.restore();
  rmSync(root, { recursive: true, force: true, maxRetries: 3 });
});

describe('cleanRun', () => {
  it('commits uncommitted work as wip before removing worktrees, and keeps branches the result lacks', async () => {
    const repo = makeRepo(root, 'abandoned', { '.gitignore': 'node_modules/\n' });
    const r = await run(repo, 'old');
    const done = await startTask(r, 'done');
    const wip = await startTask(r, 'wip');
    const idle = await startTask(r, 'idle');
    if (done.kind !== 'started' || wip.kind !== 'started' || idle.kind !== 'started') throw new Error('start');
    writeFiles(done.task.dir, { 'done.txt': 'd\n' });
    await commitTask(r, 'done', { prompt: 'done', agent: 'coder/claude' });
    await mergeTask(r, 'done');
    writeFiles(wip.task.dir, { 'half.txt': 'half a thought\n', 'README.md': 'edited\n', 'node_modules/x.js': 'x\n' });

    const report = await cleanRun(repo, 'old');
    expect(report.ok).toBe(true);
    if (!report.ok) return;
    expect(report.wip.map((w) => w.taskId)).toEqual(['wip']);
    expect(report.removedWorktrees.sort()).toEqual(['done', 'idle', 'wip'].map((t) => path.join(repo, '.orchestrator/worktrees/old', t)));
    expect(report.deletedBranches.sort()).toEqual([taskBranch('old', 'done'), taskBranch('old', 'idle')]);
    expect(report.keptBranches).toEqual([taskBranch('old', 'wip')]);
    expect(report.resultDeleted).toBe(false);
    // Nothing lost: the wip commit holds what was left, and says what it is.
    const kept = taskBranch('old', 'wip');
    expect(g(repo, 'show', `${kept}:half.txt`)).toBe('half a thought');
    expect(g(repo, 'show', `${kept}:README.md`)).toBe('edited');
    expect(g(repo, 'log', '-1', '--format=%s', kept)).toBe('wip: wip (left uncommitted when the run was cleaned)');
    expect(g(repo, 'log', '-1', `--format=%(trailers:key=${TRAILER.task},valueonly)`, kept)).toBe('wip');
    expect(existsSync(path.join(repo, '.orchestrator/worktrees/old'))).toBe(false);
    expect(g(repo, 'worktree', 'list', '--porcelain').split('\n').filter((l) => l.startsWith('worktree '))).toHaveLength(1);
    expect(g(repo, 'rev-parse', '--verify', resultBranch('old'))).toMatch(/^[0-9a-f]{40}$/);
    expect(g(repo, 'for-each-ref', '--format=%(refname)', 'refs/orchestrator/old/start/')).toBe('refs/orchestrator/old/start/wip');
  });

  it('deletes the result branch and base only when asked, and is safe to run twice', async () => {
    const repo = makeRepo(root, 'finished');
    const r = await run(repo, 'f');
    const t = await startTask(r, 't');
    if (t.kind !== 'started') throw new Error(t.kind);
    writeFiles(t.task.dir, { 't.txt': 't\n' });
    await commitTask(r, 't', { prompt: 't', agent: 'coder/claude' });
    await mergeTask(r, 't');
    const first = await cleanRun(repo, 'f', { deleteResult: true });
    expect(first.ok && first.resultDeleted).toBe(true);
    const second = await cleanRun(repo, 'f', { deleteResult: true });
    expect(second.ok && second.removedWorktrees).toEqual([]);
    expect(g(repo, 'for-each-ref', 'refs/heads/orchestrator/', 'refs/orchestrator/')).toBe('');
  });
});

describe('recoverRun after a kill -9', () => {
  it("removes the packed-refs lock a killed ref deletion left, but not while a git process works in the repository", async () => {
    const repo = makeRepo(root, 'packed-lock');
    const r = await run(repo, 'p');
    const lock = path.join(repo, '.git', 'packed-refs.lock');
    writeFileSync(lock, '');
    // A live git in the repository (it waits on its stdin) may own the lock: it stays.
    const live = spawn('git', ['cat-file', '--batch'], { cwd: repo, stdio: ['pipe', 'ignore', 'ignore'] });
    await new Promise((resolve) => live.once('spawn', resolve));
    try {
      expect(await recoverRun(r)).not.toContain(lock);
      expect(existsSync(lock)).toBe(true);
    } finally {
      live.stdin.end();
      await new Promise((resolve) => live.once('exit', resolve));
    }
    expect(await recoverRun(r)).toContain(lock);
    expect(existsSync(lock)).toBe(false);
    // Ref changes work again.
    g(repo, 'update-ref', '-d', `refs/heads/orchestrator/p/result`);
  });
});
