import { describe, expect, it } from '@jest/globals';
import { makeRepo, writeFiles } from '../git/helpers.js';
import { gitCli, SCRIPT_CODER_RC } from './git-cli.js';

/** `diff` picks its run as `show` and `logs` do: the latest, a unique prefix, or a task alone of the latest run. */
const { root, cli } = gitCli('orch-diff-cli-');

const plan = (word: string) => `tasks:
  - { id: build, agent: coder, followUps: false, prompt: "echo ${word} > ${word}.txt" }
  - { id: other, agent: coder, followUps: false, prompt: "echo other-${word} > other-${word}.txt" }
`;

async function runPlan(repo: string, word: string): Promise<string> {
  writeFiles(repo, { 'plan.yaml': plan(word) });
  const r = await cli(repo, ['run', 'plan.yaml', '--headless', '--no-apply']);
  expect(r.code).toBe(0);
  return /recorded as run (\S+):/.exec(r.stdout)![1]!;
}

describe('orchestrator diff', () => {
  it('takes a task alone from the latest run, a run by a unique prefix, and refuses what names neither (exit 2)', async () => {
    const repo = makeRepo(root(), 'two-runs', { '.gitignore': '.orchestratorrc\nplan.yaml\n', 'README.md': '# r\n' });
    writeFiles(repo, { '.orchestratorrc': SCRIPT_CODER_RC });
    expect((await cli(repo, ['trust'])).code).toBe(0);
    const first = await runPlan(repo, 'first');
    const second = await runPlan(repo, 'second');

    const task = await cli(repo, ['diff', 'build']);
    expect(task.code).toBe(0);
    expect(task.stdout).toContain('+second');
    expect(task.stdout).not.toContain('other-second');
    expect(task.stdout).not.toContain('first');

    const ofFirst = await cli(repo, ['diff', first.slice(0, -1), 'build']);
    expect(ofFirst).toMatchObject({ code: 0 });
    expect(ofFirst.stdout).toContain('+first');
    expect(ofFirst.stdout).not.toContain('second');

    // A prefix alone is the run: both of its tasks' work.
    const wholeFirst = await cli(repo, ['diff', first.slice(0, -1), '--stat']);
    expect(wholeFirst.code).toBe(0);
    expect(wholeFirst.stdout).toContain('first.txt');
    expect(wholeFirst.stdout).toContain('other-first.txt');
    expect(wholeFirst.stdout).not.toContain('second');

    const latest = await cli(repo, ['diff', '--stat']);
    expect(latest.stdout).toContain('other-second.txt');
    expect(latest.stdout).not.toContain('first');

    const neither = await cli(repo, ['diff', 'nosuch']);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain(`no run or task 'nosuch' in`);
    expect(neither.stderr).toContain(`a task of the latest run ${second}`);

    const ambiguous = await cli(repo, ['diff', '2']);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain(first);
    expect(ambiguous.stderr).toContain(second);
  });
});
