import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import path from 'node:path';
import { resultBranch } from '../../src/git/layout.js';
import type { TaskState } from '../../src/scheduler/states.js';
import { g, isolateGitConfig, makeRepo, run, tempRoot } from '../git/helpers.js';
import { coder, gitEngine } from './helpers.js';

// Isolated tasks work in separate worktrees, yet their write locks are keyed on the workspace's
// paths: two tasks writing one file (or a directory and a file in it) still take turns.
let root: string;
let gitConfig: ReturnType<typeof isolateGitConfig>;
beforeAll(() => {
  gitConfig = isolateGitConfig();
  root = realpathSync(tempRoot('orch-iso-locks-'));
});
afterAll(() => {
  gitConfig.restore();
  rmSync(root, { recursive: true, force: true, maxRetries: 3 });
});

const stateOf = (tasks: readonly { spec: { id: string }; state: TaskState }[], id: string): TaskState => tasks.find((t) => t.spec.id === id)!.state;

/** A script that logs its start and end to `log` (outside every worktree), with a pause between for an overlap to show. */
const logged = (id: string, log: string, work: string): string =>
  `echo ${id}-start >> ${log}; sleep 0.3; ${work}; echo ${id}-end >> ${log}`;

/** Whether the log shows the two tasks one after the other (no start between another's start and end). */
function turns(log: string): boolean {
  const lines = readFileSync(log, 'utf8').trim().split('\n');
  for (let i = 0; i < lines.length; i += 2) {
    const id = lines[i]!.replace(/-start$/, '');
    if (lines[i + 1] !== `${id}-end`) return false;
  }
  return lines.length === 4;
}

describe('write locks of isolated tasks', () => {
  it.each([
    ['one file', ['shared.txt'], ['shared.txt'], 'echo one > shared.txt', 'echo two > shared.txt'],
    ['a directory and a file in it', ['src'], ['src/x.ts'], 'mkdir -p src && echo one > src/y.ts', 'mkdir -p src && echo two > src/x.ts'],
  ])('%s: in different worktrees, they take turns, and the second starts from the first one\'s work', async (name, w1, w2, work1, work2) => {
    const slug = name.replace(/\W+/g, '-');
    const repo = makeRepo(root, slug, { 'README.md': '# r\n' });
    const log = path.join(root, `${slug}.log`);
    const r = await run(repo, 'r1');
    const engine = gitEngine(r, [
      coder('one', logged('one', log, work1), { writes: w1.map((w) => path.join(repo, w)) }),
      coder('two', logged('two', log, work2), { writes: w2.map((w) => path.join(repo, w)) }),
    ]);
    const summary = await engine.run();
    // Both merged without a conflict: the second worktree was opened after the first one's merge.
    expect(summary.tasks.map((t) => [t.spec.id, t.state.kind])).toEqual([['one', 'completed'], ['two', 'completed']]);
    expect(turns(log)).toBe(true);
  });

  it('a write through a symlink an earlier task committed, leading out of the worktree, fails the task before its agent runs', async () => {
    const repo = makeRepo(root, 'escape', { 'README.md': '# r\n' });
    const outside = path.join(root, 'outside');
    mkdirSync(outside);
    const r = await run(repo, 'r2');
    const engine = gitEngine(r, [
      coder('link', `ln -s ${outside} out`),
      coder('use', `echo pwned > out/x; echo wrote`, { dependsOn: ['link'], writes: [path.join(repo, 'out/x')] }),
    ]);
    const summary = await engine.run();
    expect(stateOf(summary.tasks, 'link').kind).toBe('completed');
    expect(g(repo, 'ls-tree', '--name-only', resultBranch('r2'))).toContain('out');
    expect(stateOf(summary.tasks, 'use')).toEqual({
      kind: 'failed',
      failure: 'permanent',
      reason: `refused: 'out/x' is outside the task's worktree: its real location is ${path.join(outside, 'x')}`,
    });
    expect(() => readFileSync(path.join(outside, 'x'))).toThrow(/ENOENT/);
  });
});
