import { describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { resultBranch, worktreePath } from '../../src/git/layout.js';
import { checkoutState, g, makeRepo, read, writeFiles } from '../git/helpers.js';
import { gitCli, SCRIPT_CODER_RC } from './git-cli.js';
import { until } from '../isolation/helpers.js';

const { root, cli } = gitCli('orch-iso-cli-');

/** A repository whose config and plan are ignored (the person's own files, never committed by a task); the person trusts the config. */
async function repoWith(name: string, plan: string, files: Record<string, string> = {}): Promise<string> {
  const repo = makeRepo(root(), name, { '.gitignore': '.orchestratorrc\nplan.yaml\n', 'README.md': '# r\n', ...files });
  writeFiles(repo, { '.orchestratorrc': SCRIPT_CODER_RC, 'plan.yaml': plan });
  expect((await cli(repo, ['trust'])).code).toBe(0);
  return repo;
}

const PARALLEL = `tasks:
  - { id: a, agent: coder, followUps: false, prompt: "echo a > a.txt; echo made a" }
  - { id: b, agent: coder, followUps: false, prompt: "echo b > b.txt; echo made b" }
  - { id: c, agent: coder, followUps: false, dependsOn: [a, b], prompt: "cat a.txt b.txt > c.txt; echo made c" }
`;

describe('isolated runs from the command line', () => {
  it('refuses (exit 2, nothing recorded) a folder that is not a git repository, and a repository with no commit', async () => {
    const plain = path.join(root(), 'plain');
    mkdirSync(plain);
    writeFileSync(path.join(plain, '.orchestratorrc'), SCRIPT_CODER_RC);
    writeFileSync(path.join(plain, 'plan.yaml'), PARALLEL);
    expect((await cli(plain, ['trust'])).code).toBe(0);
    const r = await cli(plain, ['run', 'plan.yaml', '--headless', '--workspace', plain]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${plain} is not a git repository, and tasks with isolation: worktree need one: run \`git init && git add -A && git commit -m init\` there, or set isolation: none`);
    expect(existsSync(path.join(plain, '.orchestrator', 'runs.db'))).toBe(false);

    g(plain, 'init', '-q', '-b', 'main');
    const empty = await cli(plain, ['run', 'plan.yaml', '--headless']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/has no commit yet: run `git commit --allow-empty -m init` first/);

    // A shell role is not isolated: the same folder runs as before.
    writeFileSync(path.join(plain, 'shell.yaml'), 'tasks:\n  - { id: s, agent: shell, prompt: "echo hi > s.txt" }\n');
    const shell = await cli(plain, ['run', 'shell.yaml', '--headless']);
    expect(shell.code).toBe(0);
    expect(read(plain, 's.txt')).toBe('hi\n');
  });

  it('runs, reports a diffstat per task and the result branch, and fast-forwards the untouched checkout at the end', async () => {
    const repo = await repoWith('full', PARALLEL);
    const r = await cli(repo, ['run', 'plan.yaml', '--headless']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const runId = /recorded as run (\S+):/.exec(r.stdout)![1]!;
    expect(r.stdout).toContain('work by task:\n  a: 1 file changed, 1 insertion(+)\n  b: 1 file changed, 1 insertion(+)\n  c: 1 file changed, 2 insertions(+)\n');
    expect(r.stdout).toMatch(new RegExp(`applied: main fast-forwarded to ${resultBranch(runId)} \\([0-9a-f]{12}\\)`));
    expect(read(repo, 'c.txt')).toBe('a\nb\n');
    expect(g(repo, 'rev-parse', 'HEAD')).toBe(g(repo, 'rev-parse', resultBranch(runId)));

    const stat = await cli(repo, ['diff', runId, '--stat']);
    expect(stat.code).toBe(0);
    expect(stat.stdout).toMatch(/3 files changed, 4 insertions/);
    const one = await cli(repo, ['diff', runId, 'b']);
    expect(one.stdout).toContain('+b');
    expect(one.stdout).not.toContain('a.txt');

    const clean = await cli(repo, ['clean', runId, '--result']);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain(`deleted ${resultBranch(runId)}`);
    expect(g(repo, 'branch', '--list', 'orchestrator/*')).toBe('');
  });

  it('--no-apply leaves the checkout alone; apply refuses local changes in its way with the fix, then applies', async () => {
    const repo = await repoWith('manual', PARALLEL, { 'a.txt': 'old\n' });
    writeFiles(repo, { 'notes.txt': 'mine\n' });
    const before = checkoutState(repo);
    const r = await cli(repo, ['run', 'plan.yaml', '--headless', '--no-apply']);
    expect(r.code).toBe(0);
    const runId = /recorded as run (\S+):/.exec(r.stdout)![1]!;
    expect(r.stdout).toContain(`result branch ${resultBranch(runId)} was not applied (--no-apply); take it with: orchestrator apply ${runId}`);
    expect(checkoutState(repo)).toEqual(before);

    writeFiles(repo, { 'a.txt': 'my edit\n' });
    const refused = await cli(repo, ['apply', runId]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`cannot apply run ${runId}: uncommitted changes to files the result changes: a.txt; commit or stash those changes, then \`orchestrator apply ${runId}\``);
    expect(read(repo, 'a.txt')).toBe('my edit\n');

    g(repo, 'checkout', '--', 'a.txt');
    const applied = await cli(repo, ['apply']);
    expect(applied.stderr).toBe('');
    expect(applied.stdout).toContain(`applied: fast-forwarded main to ${resultBranch(runId)}`);
    expect(read(repo, 'c.txt')).toBe('a\nb\n');
    expect(read(repo, 'notes.txt')).toBe('mine\n');
  });

  it('a conflict: the headless line, the summary and show all say so and name the file; --base starts the run elsewhere', async () => {
    const repo = await repoWith(
      'conflict',
      `tasks:
  - { id: a, agent: coder, followUps: false, prompt: "printf 'one\\nTWO a\\n' > s.txt" }
  - { id: b, agent: coder, followUps: false, dependsOn: [a], isolation: none, prompt: "true" }
  - { id: c, agent: coder, followUps: false, prompt: "printf 'one\\nTWO c\\n' > s.txt" }
`,
      { 's.txt': 'one\ntwo\n' },
    );
    writeFiles(repo, { 'later.txt': 'after the base\n' });
    g(repo, 'add', 'later.txt');
    g(repo, 'commit', '-q', '-m', 'later');
    const r = await cli(repo, ['run', 'plan.yaml', '--headless', '--base', 'HEAD~1']);
    expect(r.code).toBe(1);
    const runId = /recorded as run (\S+):/.exec(r.stdout)![1]!;
    expect(g(repo, 'merge-base', resultBranch(runId), 'HEAD')).toBe(g(repo, 'rev-parse', 'HEAD~1'));
    const lines = r.stdout.split('\n');
    const failedLine = lines.find((l) => /\s(a|c)\s+failed\s+merge conflict in s\.txt \(conflict: resolve in its worktree and merge again, or retry\)/.test(l));
    expect(failedLine).toBeDefined();
    const loser = /\s(a|c)\s+failed/.exec(failedLine!)![1]!;
    // The summary table's row says it too, and the result branch holds the work merged so far.
    expect(lines.filter((l) => l.includes('merge conflict in s.txt')).length).toBeGreaterThanOrEqual(2);
    expect(r.stdout).toContain(`result branch ${resultBranch(runId)} lacks the work of ${loser} (merge conflict); take it with: orchestrator apply ${runId}`);
    const show = await cli(repo, ['show', runId]);
    expect(show.stdout).toContain(`work in ${resultBranch(runId)}, from ${g(repo, 'rev-parse', 'HEAD~1').slice(0, 12)}`);
    expect(show.stdout).toMatch(new RegExp(`${loser}\\s+failed.*merge conflict in s\\.txt`));
    expect(existsSync(worktreePath(repo, runId, loser))).toBe(true);
  });

  it('kill -9 mid-run, then resume: the interrupted task goes on in its worktree and every task is merged exactly once', async () => {
    const go = path.join(root(), 'go');
    const repo = await repoWith(
      'crash',
      `tasks:
  - { id: a, agent: coder, followUps: false, prompt: "echo a > a.txt" }
  - { id: b, agent: coder, followUps: false, dependsOn: [a], prompt: "echo attempt >> tries.txt; while [ ! -f ${go} ]; do sleep 0.05; done; test -f a.txt && echo b > b.txt" }
`,
    );
    const first = cli(repo, ['run', 'plan.yaml', '--headless']);
    let stdout = '';
    first.child.stdout!.on('data', (d: Buffer | string) => (stdout += String(d)));
    const runId = await (async () => {
      await until(() => /\bb\s+running/.test(stdout) && existsSync(path.join(root(), 'crash', '.orchestrator')), 'b running');
      const dirs = () => g(repo, 'for-each-ref', '--format=%(refname)', 'refs/heads/orchestrator/');
      await until(() => /task\/b$/m.test(dirs()), 'b has its branch');
      return /orchestrator\/([^/]+)\/task\/b/.exec(dirs())![1]!;
    })();
    await until(() => existsSync(path.join(worktreePath(repo, runId, 'b'), 'tries.txt')), 'b is in its loop');
    first.child.kill('SIGKILL');
    expect((await first).signal).toBe('SIGKILL');

    writeFileSync(go, '');
    const resumed = await cli(repo, ['resume', runId, '--headless', '--no-apply']);
    expect(resumed.stderr).toMatch(/^resuming run \S+ \(plan\): 1 of 2 tasks done, 1 re-queued\n$/);
    expect(resumed.code).toBe(0);
    const result = resultBranch(runId);
    // b's second attempt ran in the worktree its first one left: both attempts' lines are there.
    expect(g(repo, 'show', `${result}:tries.txt`)).toBe('attempt\nattempt');
    expect(g(repo, 'show', `${result}:b.txt`)).toBe('b');
    const merges = g(repo, 'log', '--first-parent', '--merges', '--format=%(trailers:key=Orchestrator-Task,valueonly)', result).split('\n').filter(Boolean).sort();
    expect(merges).toEqual(['a', 'b']);
  });
});
