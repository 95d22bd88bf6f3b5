import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { includedFiles } from '../../src/git/bootstrap.js';
import { commitTask } from '../../src/git/commit.js';
import { taskBranch } from '../../src/git/layout.js';
import { startTask } from '../../src/git/task.js';
import { g, isolateGitConfig, makeRepo, read, run, tempRoot, treeFiles, writeFiles } from './helpers.js';

let root: string;
let config: ReturnType<typeof isolateGitConfig>;
beforeAll(() => {
  config = isolateGitConfig();
  root = tempRoot('orch-git-boot-');
});
afterAll(() => {
  config.restore();
  rmSync(root, { recursive: true, force: true, maxRetries: 3 });
});

describe('.worktreeinclude', () => {
  it('copies the files it names that git ignores, and only those, into each new worktree', async () => {
    const repo = makeRepo(root, 'include', {
      '.gitignore': '.env\n*.local.json\nnode_modules/\n',
      '.worktreeinclude': '.env\n*.local.json\nnotes.txt\nsrc/tracked.ts\n# a comment\n!never.local.json\n',
      'src/tracked.ts': 'tracked\n',
    });
    // Ignored and named: copied. Named but not ignored (work in progress): not copied.
    // Ignored but not named: not copied. Tracked and named: comes with the checkout anyway.
    writeFiles(repo, {
      '.env': 'SECRET=1\n',
      'config/app.local.json': '{}\n',
      'never.local.json': '{}\n',
      'notes.txt': 'mine\n',
      'node_modules/x/index.js': 'x\n',
    });
    expect(await includedFiles(repo)).toEqual(['.env', 'config/app.local.json']);
    const r = await run(repo, 'i');
    const s = await startTask(r, 't');
    expect(s.kind).toBe('started');
    if (s.kind !== 'started') return;
    expect(s.copied).toEqual(['.env', 'config/app.local.json']);
    expect(read(s.task.dir, '.env')).toBe('SECRET=1\n');
    expect(existsSync(path.join(s.task.dir, 'notes.txt'))).toBe(false);
    expect(existsSync(path.join(s.task.dir, 'node_modules'))).toBe(false);
    expect(existsSync(path.join(s.task.dir, 'never.local.json'))).toBe(false);
    // Copied files are ignored in the worktree too: they never reach a commit.
    writeFiles(s.task.dir, { 'work.ts': 'w\n' });
    await commitTask(r, 't', { prompt: 'p', agent: 'coder/claude' });
    expect(treeFiles(repo, taskBranch('i', 't'))).toEqual(['.gitignore', '.worktreeinclude', 'src/tracked.ts', 'work.ts']);
  });

  it('copies nothing without a .worktreeinclude', async () => {
    const repo = makeRepo(root, 'none', { '.gitignore': '.env\n' });
    writeFiles(repo, { '.env': 'x\n' });
    expect(await includedFiles(repo)).toEqual([]);
  });
});

describe('the setup command', () => {
  it('runs in the new worktree, as argv or shell string, with the run and task in its environment', async () => {
    const repo = makeRepo(root, 'setup-ok', { '.gitignore': 'setup.out\n' });
    const r = await run(repo, 's');
    const s = await startTask(r, 'a', { setup: 'echo "$ORCHESTRATOR_RUN/$ORCHESTRATOR_TASK" > setup.out' });
    expect(s.kind).toBe('started');
    if (s.kind !== 'started') return;
    expect(read(s.task.dir, 'setup.out')).toBe('s/a\n');
    const argv = await startTask(r, 'b', { setup: ['/bin/sh', '-c', 'pwd > setup.out'] });
    if (argv.kind !== 'started') throw new Error(argv.kind);
    expect(read(argv.task.dir, 'setup.out').trim()).toBe(argv.task.dir);
  });

  it("fails with the end of the setup's output as the reason, and runs again when the task is retried", async () => {
    const repo = makeRepo(root, 'setup-fail', { '.gitignore': 'count\n' });
    const r = await run(repo, 'f');
    const setup = 'echo run >> count; echo "installing"; echo "npm ERR! missing package" >&2; exit 3';
    const s = await startTask(r, 't', { setup });
    expect(s.kind).toBe('setup-failed');
    if (s.kind !== 'setup-failed') return;
    expect(s.exitCode).toBe(3);
    expect(s.timedOut).toBe(false);
    expect(s.reason).toMatch(/^setup exited with 3: /);
    expect(s.reason).toContain('npm ERR! missing package');
    expect(existsSync(s.task.dir)).toBe(true);
    const again = await startTask(r, 't', { setup });
    expect(again.kind).toBe('setup-failed');
    expect(read(s.task.dir, 'count')).toBe('run\nrun\n');
    // Once setup succeeded, a resumed task does not run it again.
    expect((await startTask(r, 't', { setup: 'echo ok >> count' })).kind).toBe('resumed');
    expect((await startTask(r, 't', { setup: 'echo ok >> count' })).kind).toBe('resumed');
    expect(read(s.task.dir, 'count')).toBe('run\nrun\nok\n');
  });

  it('is stopped, with its whole process group, when it outlives its timeout', async () => {
    const repo = makeRepo(root, 'setup-slow');
    const r = await run(repo, 'w');
    const s = await startTask(r, 't', { setup: 'echo starting; sleep 600 & wait', setupTimeoutMs: 200 });
    expect(s.kind).toBe('setup-failed');
    if (s.kind !== 'setup-failed') return;
    expect(s.timedOut).toBe(true);
    expect(s.reason).toMatch(/^setup timed out after 200 ms: starting/);
  });

  it('names the missing command when setup cannot start', async () => {
    const repo = makeRepo(root, 'setup-missing');
    const r = await run(repo, 'm');
    const s = await startTask(r, 't', { setup: ['/nonexistent/setup-tool'] });
    expect(s.kind).toBe('setup-failed');
    expect(s.kind === 'setup-failed' && s.reason).toContain('/nonexistent/setup-tool');
    expect(g(repo, 'status', '--porcelain')).toBe('');
  });
});
