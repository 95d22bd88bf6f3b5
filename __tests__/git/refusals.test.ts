import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { checkRepo, idProblem, MIN_GIT, parseGitVersion, versionAtLeast } from '../../src/git/repo.js';
import { startRun } from '../../src/git/run.js';
import { startTask } from '../../src/git/task.js';
import { g, isolateGitConfig, makeRepo, run, tempRoot } from './helpers.js';

let root: string;
let config: ReturnType<typeof isolateGitConfig>;
beforeAll(() => {
  config = isolateGitConfig();
  root = tempRoot('orch-git-refuse-');
});
afterAll(() => {
  config.restore();
  rmSync(root, { recursive: true, force: true, maxRetries: 3 });
});

describe('git version', () => {
  it.each([
    ['git version 2.39.5', { major: 2, minor: 39, patch: 5 }, true],
    ['git version 2.38.0', { major: 2, minor: 38, patch: 0 }, true],
    ['git version 2.37.7', { major: 2, minor: 37, patch: 7 }, false],
    ['git version 2.34.1.windows.1', { major: 2, minor: 34, patch: 1 }, false],
    ['git version 2.39.3 (Apple Git-145)', { major: 2, minor: 39, patch: 3 }, true],
    ['git version 3.0', { major: 3, minor: 0, patch: 0 }, true],
  ])('%s', (text, version, ok) => {
    expect(parseGitVersion(text)).toEqual(version);
    expect(versionAtLeast(version, MIN_GIT)).toBe(ok);
  });

  it('refuses a git older than 2.38 with what was found and what to do', async () => {
    const bin = path.join(root, 'old-git');
    writeFileSync(bin, '#!/bin/sh\necho "git version 2.30.2"\n');
    chmodSync(bin, 0o755);
    const repo = makeRepo(root, 'old');
    const check = await checkRepo(repo, { gitBinary: bin });
    expect(check).toEqual({
      ok: false,
      kind: 'git-too-old',
      found: '2.30.2',
      needed: '2.38.0',
      fix: 'isolation: worktree needs git ≥ 2.38 (found 2.30.2); set isolation: none or upgrade git',
    });
    expect((await startRun(repo, 'r', { gitBinary: bin })).ok).toBe(false);
    expect(g(repo, 'branch', '--list', 'orchestrator/*')).toBe('');
  });

  it('refuses when git is not installed', async () => {
    expect((await checkRepo(root, { gitBinary: path.join(root, 'no-such-git') })).ok === false).toBe(true);
    const check = await checkRepo(root, { gitBinary: path.join(root, 'no-such-git') });
    expect(!check.ok && check.kind).toBe('git-missing');
  });
});

describe('repositories a run cannot use', () => {
  it('refuses a directory that is not in a repository', async () => {
    const plain = path.join(root, 'plain');
    mkdirSync(plain);
    const r = await startRun(plain, 'r');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.kind).toBe('not-a-repo');
    expect(!r.ok && r.fix).toContain('git init');
  });

  it('refuses a repository without a commit', async () => {
    const empty = path.join(root, 'empty');
    mkdirSync(empty);
    g(empty, 'init', '-q');
    const r = await startRun(empty, 'r');
    expect(!r.ok && r.kind).toBe('no-commit');
    expect(!r.ok && r.fix).toBe('run `git commit --allow-empty -m init` first: a run starts from a commit');
  });

  it('refuses a base that names no commit', async () => {
    const repo = makeRepo(root, 'badref');
    const r = await startRun(repo, 'r', { ref: 'no-such-branch' });
    expect(!r.ok && r.kind).toBe('bad-ref');
  });

  it('starts from a given ref, from a subdirectory too', async () => {
    const repo = makeRepo(root, 'ref', { 'sub/x.txt': 'x\n' });
    const first = g(repo, 'rev-parse', 'HEAD');
    g(repo, 'commit', '-q', '--allow-empty', '-m', 'second');
    const r = await startRun(path.join(repo, 'sub'), 'r', { ref: 'HEAD~1' });
    expect(r.ok && r.run.base).toBe(first);
    expect(r.ok && r.run.repo).toBe(repo);
  });

  it.each([
    ['a..b', 'must not contain ..'],
    ['.hidden', 'must not start with . or -'],
    ['x.lock', 'must not end with . or .lock'],
    ['a/b', 'only letters, digits, - _ . (at most 200)'],
    ['ok-id_1.2', undefined],
  ])('id %s', (id, problem) => {
    expect(idProblem(id)).toBe(problem);
  });

  it('refuses run and task ids git cannot use in a branch name, before making anything', async () => {
    const repo = makeRepo(root, 'ids');
    const bad = await startRun(repo, 'x.lock');
    expect(!bad.ok && bad.kind).toBe('bad-id');
    const r = await run(repo, 'good');
    expect((await startTask(r, 'a..b')).kind).toBe('bad-id');
    expect(g(repo, 'worktree', 'list').split('\n')).toHaveLength(1);
  });
});
