import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { rmSync } from 'node:fs';
import { applyResult, canAutoApply, decideApply } from '../../src/git/apply.js';
import type { ApplyFacts } from '../../src/git/apply.js';
import { commitTask } from '../../src/git/commit.js';
import { resultBranch } from '../../src/git/layout.js';
import type { RunRef } from '../../src/git/layout.js';
import { mergeTask } from '../../src/git/merge.js';
import { startTask } from '../../src/git/task.js';
import { g, isolateGitConfig, makeRepo, read, run, tempRoot, writeFiles } from './helpers.js';

let root: string;
let config: ReturnType<typeof isolateGitConfig>;
beforeAll(() => {
  config = isolateGitConfig();
  root = tempRoot('orch-git-apply-');
});
afterAll(() => {
  config.restore();
  rmSync(root, { recursive: true, force: true, maxRetries: 3 });
});

/** A run in which one task changed `files`, merged into the result. */
async function finishedRun(name: string, files: Record<string, string>, base: Record<string, string> = { 'README.md': 'readme\n' }): Promise<{ repo: string; r: RunRef }> {
  const repo = makeRepo(root, name, base);
  const r = await run(repo, 'run');
  const s = await startTask(r, 't');
  if (s.kind !== 'started') throw new Error(s.kind);
  writeFiles(s.task.dir, files);
  await commitTask(r, 't', { prompt: 'change', agent: 'coder/claude' });
  expect((await mergeTask(r, 't')).kind).toBe('merged');
  return { repo, r };
}

const FACTS: ApplyFacts = {
  head: 'h',
  branch: 'main',
  startBranch: 'main',
  result: 'r',
  upToDate: false,
  fastForward: true,
  touched: ['a.ts'],
  localChanges: [],
};

describe('decideApply', () => {
  it.each<[string, Partial<ApplyFacts>, ReturnType<typeof decideApply>]>([
    ['fast-forward from where the run started', {}, { kind: 'fast-forward', to: 'r' }],
    ['nothing to do', { upToDate: true }, { kind: 'up-to-date' }],
    ['local changes elsewhere are no obstacle', { localChanges: ['b.ts'] }, { kind: 'fast-forward', to: 'r' }],
    ['local changes in the way', { localChanges: ['b.ts', 'a.ts'] }, { kind: 'refused', reason: 'local-changes', files: ['a.ts'] }],
    ['another branch', { branch: 'dev' }, { kind: 'refused', reason: 'wrong-branch', expected: 'main', found: 'dev' }],
    ['a rebase in progress', { inProgress: 'rebase' }, { kind: 'refused', reason: 'in-progress', operation: 'rebase' }],
    ['HEAD moved: a merge', { fastForward: false, merge: { tree: 't' } }, { kind: 'merge', tree: 't' }],
    ['HEAD moved and conflicts', { fastForward: false, merge: { conflicts: ['a.ts'] } }, { kind: 'refused', reason: 'conflict', files: ['a.ts'] }],
  ])('%s', (_name, facts, decision) => {
    expect(decideApply({ ...FACTS, ...facts })).toEqual(decision);
  });
});

describe('applyResult', () => {
  it('fast-forwards the checkout when it is still where the run started, keeping unrelated local changes', async () => {
    const { repo, r } = await finishedRun('ff', { 'feature.ts': 'f\n' });
    writeFiles(repo, { 'README.md': 'local edit\n', 'scratch.txt': 'mine\n' });
    expect(await canAutoApply(r)).toEqual({ kind: 'fast-forward', to: g(repo, 'rev-parse', resultBranch('run')) });
    const applied = await applyResult(r);
    expect(applied).toEqual({ kind: 'fast-forwarded', commit: g(repo, 'rev-parse', resultBranch('run')) });
    expect(g(repo, 'rev-parse', 'HEAD')).toBe(g(repo, 'rev-parse', resultBranch('run')));
    expect(read(repo, 'feature.ts')).toBe('f\n');
    expect(read(repo, 'README.md')).toBe('local edit\n');
    expect(g(repo, 'status', '--porcelain')).toBe(' M README.md\n?? scratch.txt');
    expect(await applyResult(r)).toEqual({ kind: 'up-to-date' });
  });

  it('refuses, listing the files, when local changes are in the way, and changes nothing', async () => {
    const { repo, r } = await finishedRun('dirty', { 'README.md': 'from the agent\n', 'new.ts': 'n\n' });
    writeFiles(repo, { 'README.md': 'my edit\n', 'new.ts': 'my untracked file\n' });
    const head = g(repo, 'rev-parse', 'HEAD');
    const refusal = { kind: 'refused', reason: 'local-changes', files: ['README.md', 'new.ts'] };
    expect(await canAutoApply(r)).toEqual(refusal);
    expect(await applyResult(r)).toEqual(refusal);
    expect(g(repo, 'rev-parse', 'HEAD')).toBe(head);
    expect(read(repo, 'README.md')).toBe('my edit\n');
    expect(read(repo, 'new.ts')).toBe('my untracked file\n');
  });

  it('makes a merge commit when the checkout moved on since the run started', async () => {
    const { repo, r } = await finishedRun('moved', { 'feature.ts': 'f\n' });
    writeFiles(repo, { 'mine.ts': 'm\n' });
    g(repo, 'add', 'mine.ts');
    g(repo, 'commit', '-q', '-m', 'my own work');
    const head = g(repo, 'rev-parse', 'HEAD');
    const applied = await applyResult(r);
    expect(applied.kind).toBe('merged');
    expect(g(repo, 'rev-parse', 'HEAD^1')).toBe(head);
    expect(g(repo, 'rev-parse', 'HEAD^2')).toBe(g(repo, 'rev-parse', resultBranch('run')));
    expect(g(repo, 'status', '--porcelain')).toBe('');
    expect(read(repo, 'feature.ts')).toBe('f\n');
  });

  it('refuses when the checkout moved on in a way that conflicts, or is on another branch', async () => {
    const { repo, r } = await finishedRun('conflict', { 'README.md': 'agent\n' });
    writeFiles(repo, { 'README.md': 'person\n' });
    g(repo, 'commit', '-q', '-am', 'mine');
    expect(await applyResult(r)).toEqual({ kind: 'refused', reason: 'conflict', files: ['README.md'] });
    g(repo, 'switch', '-q', '-c', 'other');
    expect(await applyResult(r)).toEqual({ kind: 'refused', reason: 'wrong-branch', expected: 'main', found: 'other' });
  });
});
