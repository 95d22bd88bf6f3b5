import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, rmSync } from 'node:fs';
import { commitTask } from '../../src/git/commit.js';
import { resultBranch, taskBranch } from '../../src/git/layout.js';
import type { RunRef } from '../../src/git/layout.js';
import { MergeQueue, mergeTask, retryMerge, startResolution } from '../../src/git/merge.js';
import { removeTaskWorkspace, startTask } from '../../src/git/task.js';
import { checkoutState, g, isolateGitConfig, makeRepo, read, run, tempRoot, treeFiles, writeFiles } from './helpers.js';

let root: string;
let config: ReturnType<typeof isolateGitConfig>;
beforeAll(() => {
  config = isolateGitConfig();
  root = tempRoot('orch-git-conflict-');
});
afterAll(() => {
  config.restore();
  rmSync(root, { recursive: true, force: true, maxRetries: 3 });
});

const AGENT = { agent: 'coder/codex' };
const LINES = 'one\ntwo\nthree\n';

/** Two tasks started together that both rewrite line two of `shared.txt`; `a` merges first. */
async function conflicted(name: string): Promise<{ repo: string; r: RunRef; dirB: string }> {
  const repo = makeRepo(root, name, { 'shared.txt': LINES, '.gitignore': '.env\n' });
  const r = await run(repo, 'x');
  const a = await startTask(r, 'a');
  const b = await startTask(r, 'b');
  if (a.kind !== 'started' || b.kind !== 'started') throw new Error('start');
  writeFiles(a.task.dir, { 'shared.txt': 'one\nTWO (a)\nthree\n', 'a.txt': 'a\n' });
  writeFiles(b.task.dir, { 'shared.txt': 'one\nTWO (b)\nthree\n', 'b.txt': 'b\n' });
  await commitTask(r, 'a', { prompt: 'a', ...AGENT });
  await commitTask(r, 'b', { prompt: 'b', ...AGENT });
  const queue = new MergeQueue(r);
  expect((await queue.enqueue('a')).kind).toBe('merged');
  return { repo, r, dirB: b.task.dir };
}

describe('a conflict between two tasks', () => {
  it('leaves the result as it was, names the file, and keeps the branch and worktree', async () => {
    const { repo, r, dirB } = await conflicted('keep');
    const result = g(repo, 'rev-parse', resultBranch('x'));
    const m = await mergeTask(r, 'b');
    expect(m.kind).toBe('conflict');
    expect(m.kind === 'conflict' && m.files).toEqual(['shared.txt']);
    expect(g(repo, 'rev-parse', resultBranch('x'))).toBe(result);
    expect(existsSync(dirB)).toBe(true);
    expect(g(repo, 'rev-parse', '--verify', taskBranch('x', 'b'))).toMatch(/^[0-9a-f]{40}$/);
  });

  it('merges after the person resolves in the kept worktree, leaving the resolution uncommitted', async () => {
    const { repo, r, dirB } = await conflicted('resolve');
    await mergeTask(r, 'b');
    const prep = await startResolution(r, 'b');
    expect(prep).toEqual({ kind: 'conflicts', files: ['shared.txt'] });
    expect(read(dirB, 'shared.txt')).toContain('<<<<<<<');
    expect(await retryMerge(r, 'b')).toEqual({ kind: 'unresolved', files: ['shared.txt'] });
    // Fixed in an editor, no `git add`: removing the markers is the resolution.
    writeFiles(dirB, { 'shared.txt': 'one\nTWO (a+b)\nthree\n' });
    const m = await retryMerge(r, 'b');
    expect(m.kind).toBe('merged');
    expect(g(repo, 'show', `${resultBranch('x')}:shared.txt`)).toBe('one\nTWO (a+b)\nthree');
    expect(treeFiles(repo, resultBranch('x'))).toEqual(['.gitignore', 'a.txt', 'b.txt', 'shared.txt']);
    expect(await removeTaskWorkspace(r, 'b')).toEqual({ kind: 'removed', branchDeleted: true });
  });

  it('merges after the person merged and committed in the worktree themselves', async () => {
    const { repo, r, dirB } = await conflicted('own-commit');
    await mergeTask(r, 'b');
    expect(() => g(dirB, 'merge', resultBranch('x'))).toThrow();
    writeFiles(dirB, { 'shared.txt': 'one\nTWO (person)\nthree\n' });
    g(dirB, 'add', 'shared.txt');
    g(dirB, 'commit', '-q', '--no-edit');
    const tip = g(dirB, 'rev-parse', 'HEAD');
    const m = await retryMerge(r, 'b');
    expect(m.kind === 'merged' && m.taskCommit).toBe(tip);
    expect(g(repo, 'show', `${resultBranch('x')}:shared.txt`)).toBe('one\nTWO (person)\nthree');
  });
});

describe("the person's checkout", () => {
  it('is the same before and after starts, commits, merges, a conflict and removals', async () => {
    const repo = makeRepo(root, 'untouched', { 'shared.txt': LINES, '.gitignore': '.env\n', 'src/app.ts': 'app\n' });
    // Local state of every kind: staged, modified, untracked, ignored, a stash.
    writeFiles(repo, { 'stashed.txt': 's\n' });
    g(repo, 'add', 'stashed.txt');
    g(repo, 'stash', 'push', '-q', '-m', 'keep me');
    writeFiles(repo, { 'src/app.ts': 'app edited\n', 'staged.txt': 'staged\n', 'untracked.txt': 'u\n', '.env': 'SECRET=1\n' });
    g(repo, 'add', 'staged.txt');
    const before = checkoutState(repo);

    const r = await run(repo, 'u');
    const a = await startTask(r, 'a');
    const b = await startTask(r, 'b');
    if (a.kind !== 'started' || b.kind !== 'started') throw new Error('start');
    writeFiles(a.task.dir, { 'shared.txt': 'A\n', 'src/app.ts': 'by a\n' });
    writeFiles(b.task.dir, { 'shared.txt': 'B\n' });
    await commitTask(r, 'a', { prompt: 'a', ...AGENT });
    await commitTask(r, 'b', { prompt: 'b', ...AGENT });
    expect((await mergeTask(r, 'a')).kind).toBe('merged');
    expect((await mergeTask(r, 'b')).kind).toBe('conflict');
    await startResolution(r, 'b');
    writeFiles(b.task.dir, { 'shared.txt': 'AB\n' });
    expect((await retryMerge(r, 'b')).kind).toBe('merged');
    await removeTaskWorkspace(r, 'a');
    await removeTaskWorkspace(r, 'b');

    expect(checkoutState(repo)).toEqual(before);
  });
});
