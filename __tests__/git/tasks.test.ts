import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { commitSubject, commitTask, TRAILER } from '../../src/git/commit.js';
import { runDiff, taskDiff } from '../../src/git/diff.js';
import { resultBranch, taskBranch } from '../../src/git/layout.js';
import { MergeQueue, mergedTasks, mergeTask } from '../../src/git/merge.js';
import { startRun } from '../../src/git/run.js';
import { removeTaskWorkspace, startTask } from '../../src/git/task.js';
import type { TaskRef } from '../../src/git/task.js';
import type { RunRef } from '../../src/git/layout.js';
import { checkoutState, g, isolateGitConfig, makeRepo, read, run, tempRoot, treeFiles, writeFiles } from './helpers.js';

let root: string;
let config: ReturnType<typeof isolateGitConfig>;
beforeAll(() => {
  config = isolateGitConfig();
  root = tempRoot('orch-git-tasks-');
});
afterAll(() => {
  config.restore();
  rmSync(root, { recursive: true, force: true, maxRetries: 3 });
});

const AGENT = { agent: 'coder/claude', summary: 'Did the thing.' };

async function started(r: RunRef, taskId: string): Promise<TaskRef> {
  const s = await startTask(r, taskId);
  if (s.kind !== 'started' && s.kind !== 'resumed') throw new Error(`startTask: ${s.kind}`);
  return s.task;
}

describe('a run of isolated tasks', () => {
  it('records the base, creates the result branch and excludes .orchestrator/ once', async () => {
    const repo = makeRepo(root, 'base');
    const first = await startRun(repo, 'r1');
    const again = await startRun(repo, 'r1');
    expect(first.ok && again.ok).toBe(true);
    if (!first.ok || !again.ok) return;
    expect(first.run.base).toBe(g(repo, 'rev-parse', 'HEAD'));
    expect(first.run.startBranch).toBe('main');
    expect(again.resumed).toBe(true);
    expect(again.run.base).toBe(first.run.base);
    expect(g(repo, 'rev-parse', resultBranch('r1'))).toBe(first.run.base);
    await startRun(repo, 'r2');
    const exclude = read(path.join(repo, '.git'), 'info/exclude');
    expect(exclude.split('\n').filter((l) => l === '/.orchestrator/')).toHaveLength(1);
  });

  it('runs parallel tasks in their own worktrees and merges each into the result once, in finishing order', async () => {
    const repo = makeRepo(root, 'parallel');
    const before = checkoutState(repo);
    const r = await run(repo, 'p');
    const ids = ['a', 'b', 'c', 'd'];
    const tasks = await Promise.all(ids.map((id) => started(r, id)));
    for (const t of tasks) {
      expect(t.dir).toBe(path.join(repo, '.orchestrator/worktrees/p', t.taskId));
      expect(g(t.dir, 'symbolic-ref', '--short', 'HEAD')).toBe(taskBranch('p', t.taskId));
    }
    const queue = new MergeQueue(r);
    const merges = await Promise.all(
      tasks.map(async (t) => {
        writeFiles(t.dir, { [`${t.taskId}.txt`]: `${t.taskId}\n` });
        const c = await commitTask(r, t.taskId, { prompt: `write ${t.taskId}.txt`, ...AGENT });
        expect(c.kind).toBe('committed');
        return queue.enqueue(t.taskId);
      }),
    );
    expect(merges.map((m) => m.kind)).toEqual(['merged', 'merged', 'merged', 'merged']);
    expect(treeFiles(repo, resultBranch('p'))).toEqual(['README.md', 'a.txt', 'b.txt', 'c.txt', 'd.txt']);
    expect(g(repo, 'rev-list', '--count', '--first-parent', `${r.base}..${resultBranch('p')}`)).toBe('4');
    expect([...(await mergedTasks(r)).keys()].sort()).toEqual(ids);
    for (const t of tasks) expect(await removeTaskWorkspace(r, t.taskId)).toEqual({ kind: 'removed', branchDeleted: true });
    expect(g(repo, 'branch', '--list', 'orchestrator/p/task/*')).toBe('');
    expect(checkoutState(repo)).toEqual(before);
  });

  it('ignores a GIT_DIR inherited from a parent git (a hook, rebase -x)', async () => {
    const repo = makeRepo(root, 'envrepo');
    const other = makeRepo(root, 'other');
    const saved = process.env.GIT_DIR;
    process.env.GIT_DIR = path.join(other, '.git');
    try {
      const r = await run(repo, 'e');
      expect(r.repo).toBe(repo);
      expect((await startTask(r, 't')).kind).toBe('started');
    } finally {
      if (saved === undefined) delete process.env.GIT_DIR;
      else process.env.GIT_DIR = saved;
    }
    expect(g(other, 'branch', '--list', 'orchestrator/*')).toBe('');
    expect(g(repo, 'branch', '--list', 'orchestrator/e/*')).toContain('orchestrator/e/result');
  });

  it("starts a dependent task from the result, so it sees its dependency's work", async () => {
    const repo = makeRepo(root, 'dependent');
    const r = await run(repo, 'd');
    const a = await started(r, 'a');
    writeFiles(a.dir, { 'lib.ts': 'export const x = 1;\n' });
    await commitTask(r, 'a', { prompt: 'write lib', ...AGENT });
    expect((await mergeTask(r, 'a')).kind).toBe('merged');
    const b = await started(r, 'b');
    expect(read(b.dir, 'lib.ts')).toBe('export const x = 1;\n');
    expect(b.start).toBe(g(repo, 'rev-parse', resultBranch('d')));
  });

  it('commits what git does not ignore, with the subject, body and trailers, as "orchestrator" when git knows no identity', async () => {
    const repo = makeRepo(root, 'commit', { '.gitignore': 'build/\n*.log\n' });
    const r = await run(repo, 'c');
    const t = await started(r, 'fix-1');
    writeFiles(t.dir, { 'src/a.ts': 'a\n', 'build/out.js': 'x\n', 'debug.log': 'y\n' });
    const prompt = 'Fix the parser so that it accepts trailing commas in every list it reads, and test it\nsecond line';
    const c = await commitTask(r, 'fix-1', { prompt, agent: 'coder/claude', summary: '# Done\nParser fixed.', session: 'sess-42' });
    expect(c.kind).toBe('committed');
    expect(treeFiles(repo, taskBranch('c', 'fix-1'))).toEqual(['.gitignore', 'src/a.ts']);
    const subject = g(repo, 'log', '-1', '--format=%s', taskBranch('c', 'fix-1'));
    expect(subject).toBe(commitSubject('fix-1', prompt));
    expect(subject.length).toBeLessThanOrEqual('fix-1: '.length + 60);
    expect(subject.startsWith('fix-1: Fix the parser so that')).toBe(true);
    expect(g(repo, 'log', '-1', '--format=%b', taskBranch('c', 'fix-1'))).toContain('# Done\nParser fixed.');
    const trailers = g(repo, 'log', '-1', '--format=%(trailers:only,unfold)', taskBranch('c', 'fix-1'));
    expect(trailers.split('\n')).toEqual([`${TRAILER.run}: c`, `${TRAILER.task}: fix-1`, `${TRAILER.agent}: coder/claude`, `${TRAILER.session}: sess-42`]);
    expect(g(repo, 'log', '-1', '--format=%an <%ae>|%cn', taskBranch('c', 'fix-1'))).toBe('orchestrator <orchestrator@localhost>|orchestrator');
    // The person's identity is used when git has one; their config is never written.
    const own = makeRepo(root, 'commit-own');
    g(own, 'config', 'user.name', 'Person');
    g(own, 'config', 'user.email', 'person@example.com');
    const configBefore = read(path.join(own, '.git'), 'config');
    const ownRun = await run(own, 'c2');
    const t2 = await started(ownRun, 'x');
    writeFiles(t2.dir, { 'x.txt': 'x\n' });
    await commitTask(ownRun, 'x', { prompt: 'x', ...AGENT });
    expect(g(own, 'log', '-1', '--format=%an', taskBranch('c2', 'x'))).toBe('Person');
    expect(read(path.join(own, '.git'), 'config')).toBe(configBefore);
  });

  it('makes no commit and merges nothing when the agent changed nothing (or only ignored files)', async () => {
    const repo = makeRepo(root, 'nochange', { '.gitignore': '*.log\n' });
    const r = await run(repo, 'n');
    const t = await started(r, 't');
    writeFiles(t.dir, { 'x.log': 'noise\n' });
    expect(await commitTask(r, 't', { prompt: 'p', ...AGENT })).toEqual({ kind: 'no-change' });
    expect(await mergeTask(r, 't')).toEqual({ kind: 'nothing-to-merge' });
    expect(g(repo, 'rev-parse', resultBranch('n'))).toBe(r.base);
  });

  it('is idempotent: a second commit, merge or start finds the work already done', async () => {
    const repo = makeRepo(root, 'idem');
    const r = await run(repo, 'i');
    const t = await started(r, 't');
    writeFiles(t.dir, { 't.txt': 't\n' });
    const c = await commitTask(r, 't', { prompt: 'p', ...AGENT });
    if (c.kind !== 'committed') throw new Error(c.kind);
    expect(await commitTask(r, 't', { prompt: 'p', ...AGENT })).toEqual({ kind: 'already-committed', commit: c.commit });
    const resumed = await startTask(r, 't');
    expect(resumed.kind).toBe('resumed');
    const m = await mergeTask(r, 't');
    expect(m.kind).toBe('merged');
    expect(await mergeTask(r, 't')).toEqual({ kind: 'already-merged', taskCommit: c.commit });
    expect(g(repo, 'rev-list', '--count', `${r.base}..${resultBranch('i')}`)).toBe('2');
  });

  it('makes a worktree again when its checkout was cut short, and reuses a whole one as it is', async () => {
    const repo = makeRepo(root, 'cut');
    const r = await run(repo, 'k');
    const t = await started(r, 't');
    writeFiles(t.dir, { 'wip.txt': 'in progress\n' });
    expect((await startTask(r, 't')).kind).toBe('resumed');
    expect(read(t.dir, 'wip.txt')).toBe('in progress\n');
    // What a kill during `git worktree add` leaves: the lock git holds while it checks out, files missing.
    const gitDir = g(t.dir, 'rev-parse', '--absolute-git-dir');
    writeFiles(gitDir, { locked: 'initializing' });
    rmSync(path.join(t.dir, 'README.md'));
    rmSync(path.join(t.dir, 'wip.txt'));
    const again = await startTask(r, 't');
    expect(again.kind).toBe('started');
    expect(existsSync(path.join(t.dir, 'README.md'))).toBe(true);
    expect(g(t.dir, 'status', '--porcelain')).toBe('');
  });

  it('shows a task diff and a run diff, as patch or stat, coloured on request', async () => {
    const repo = makeRepo(root, 'diff');
    const r = await run(repo, 'f');
    const t = await started(r, 't');
    writeFiles(t.dir, { 'new.txt': 'hello\n' });
    await commitTask(r, 't', { prompt: 'p', ...AGENT });
    const td = await taskDiff(r, 't');
    expect(td.kind === 'diff' && td.text).toContain('+hello');
    const stat = await taskDiff(r, 't', { stat: true });
    expect(stat.kind === 'diff' && stat.text).toMatch(/new\.txt \| 1 \+/);
    expect((await runDiff(r)).kind === 'diff' && (await runDiff(r)).kind).toBe('diff');
    await mergeTask(r, 't');
    const rd = await runDiff(r, { color: true });
    expect(rd.kind === 'diff' && rd.text).toContain('\u001b[');
    expect(rd.kind === 'diff' && rd.text).toContain('hello');
    expect(await taskDiff(r, 'nope')).toEqual({ kind: 'missing', what: 'the start of task nope' });
  });
});
