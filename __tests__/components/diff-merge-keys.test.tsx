import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { rmSync } from 'node:fs';
import { worktreePath } from '../../src/git/layout.js';
import { GitWorkspaces } from '../../src/isolation/git-workspaces.js';
import { g, isolateGitConfig, makeRepo, run, tempRoot, writeFiles } from '../git/helpers.js';
import { config, task } from '../scheduler/harness.js';
import type { Pager } from '../../components/hooks/use-pager.js';
import { KEY, renderWithEngine } from './render-with-engine.js';

type Harness = ReturnType<typeof renderWithEngine>;
let h: Harness | undefined;
let root: string;
let gitConfig: ReturnType<typeof isolateGitConfig>;
beforeAll(() => {
  gitConfig = isolateGitConfig();
  root = tempRoot('orch-dash-git-');
});
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});
afterAll(() => {
  gitConfig.restore();
  rmSync(root, { recursive: true, force: true, maxRetries: 3 });
});

/** The dashboard over a real repository: `a` and `b` work in worktrees (the fake agent at the edge writes their files). */
async function dashboard(name: string, pager?: Pager) {
  const repo = makeRepo(root, name, { 's.txt': 'one\ntwo\n' });
  const r = await run(repo, name);
  const tasks = [task('a', { isolation: 'worktree' }), task('b', { isolation: 'worktree' }), task('plain')];
  return { repo, harness: renderWithEngine(tasks, { workspace: repo, workspaces: new GitWorkspaces(r, config()), rows: 40, ...(pager ? { pager } : {}) }) };
}

describe('the diff (d) and merge-again (m) keys on isolated tasks', () => {
  it('d shows what the selected running task changed in its worktree, scrolls, and closes', async () => {
    const { repo, harness } = await dashboard('d1');
    h = harness;
    await h.until((f) => f.includes('running 3/4') && h!.backend.contexts.has('a') && h!.backend.contexts.has('b'), 'all running, in their worktrees');
    writeFiles(worktreePath(repo, 'd1', 'a'), { 's.txt': 'one\nTWO!\n', 'long.txt': Array.from({ length: 80 }, (_, i) => `line ${i}\n`).join('') });
    await h.press('d');
    await h.until((f) => f.includes('changes of a — d or esc closes'), 'the diff overlay');
    await h.until((f) => f.includes('2 files changed, 81 insertions(+), 1 deletion(-)') && f.includes('+line 0'), 'the diff');
    expect(h.frame()).toContain('j k PgUp PgDn g G scroll · d or Esc close');
    // Read through a copy of the index: the agent's own still has long.txt untracked.
    expect(g(worktreePath(repo, 'd1', 'a'), 'status', '--porcelain')).toBe(' M s.txt\n?? long.txt');
    await h.press('j');
    await h.until((f) => f.includes('lines 2–'), 'scrolled a line');
    await h.press('G');
    await h.until((f) => f.includes('+TWO') && !f.includes('+line 0'), 'scrolled to the end');
    await h.press(KEY.escape);
    await h.until((f) => f.includes('closed the changes of a'), 'closed');
  });

  it('o in the diff hands the diff to the pager, and the diff is open again after', async () => {
    const paged: string[] = [];
    const pager: Pager = async (write) => {
      const { PassThrough } = await import('node:stream');
      const into = new PassThrough();
      const chunks: string[] = [];
      into.on('data', (c: Buffer) => chunks.push(String(c)));
      await write(into);
      paged.push(chunks.join(''));
      return { ok: true };
    };
    const { repo, harness } = await dashboard('d3', pager);
    h = harness;
    await h.until((f) => f.includes('running 3/4') && h!.backend.contexts.has('a'), 'a running in its worktree');
    // Another size than the committed file's: git cannot take it for unchanged from its stat, however close in time the two writes come.
    writeFiles(worktreePath(repo, 'd3', 'a'), { 's.txt': 'one\nTWO!\n' });
    await h.press('d');
    await h.until((f) => f.includes('+TWO'), 'the diff');
    await h.press('o');
    await h.until((f) => f.includes('back from the changes of a'), 'back from the pager');
    expect(paged).toHaveLength(1);
    expect(paged[0]).toContain('-two\n+TWO!\n');
    expect(h.frame()).toContain('changes of a — d or esc closes');
  });

  it('d on a task working in the workspace says why there is no diff', async () => {
    const { harness } = await dashboard('d2');
    h = harness;
    await h.until((f) => f.includes('running 3/4'), 'all running');
    await h.press('G', 'd');
    await h.until((f) => f.includes('plain works in the workspace itself (isolation: none): no diff of its own'), 'the refusal');
  });

  it('m after a conflict was resolved in the kept worktree completes the task', async () => {
    const { repo, harness } = await dashboard('m1');
    h = harness;
    await h.until((f) => f.includes('running 3/4') && h!.backend.contexts.has('a') && h!.backend.contexts.has('b'), 'all running, in their worktrees');
    writeFiles(worktreePath(repo, 'm1', 'a'), { 's.txt': 'one\nTWO a\n' });
    writeFiles(worktreePath(repo, 'm1', 'b'), { 's.txt': 'one\nTWO b\n' });
    h.backend.finish('a');
    await h.until(() => h!.engine.store.require('a').state.kind === 'completed', 'a merged');
    h.backend.finish('b');
    h.backend.finish('plain');
    await h.until((f) => f.includes('✗ b shell') && f.includes('conflict: s.txt'), 'b conflicts, and its row names the file');
    await h.press('j', 'm');
    await h.until((f) => f.includes('merging b again'), 'merging');
    await h.until(() => h!.engine.store.getSnapshot().finished, 'the merge tried: b is still conflicted, the run ends again');
    expect(h.engine.store.require('b').state).toMatchObject({ kind: 'failed', failure: 'conflict' });
    writeFiles(worktreePath(repo, 'm1', 'b'), { 's.txt': 'one\nTWO a and b\n' });
    await h.press('m');
    await h.until(() => h!.engine.store.require('b').state.kind === 'completed', 'b merged after the fix');
    // Merged and its worktree gone: d shows the change it brought into the result.
    await h.press('k', 'd');
    await h.until((f) => f.includes('changes of a — d or esc closes') && f.includes('+TWO a'), "a's merged change");
  });
});
