import { afterEach, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PtyRun, tempWorkspace } from './pty-harness.js';

// Isolated agent tasks in the dashboard, in a real terminal on a real repository: `d` shows a
// task's change, a conflict is shown with its file, and `m` merges it again after the fix.

let run: PtyRun | undefined;
afterEach(() => {
  run?.kill();
  run = undefined;
});

const git = (cwd: string, ...args: string[]): string => execFileSync('git', args, { cwd, encoding: 'utf8' });

/** A repository with one commit, a toy agent (appends its prompt to the file its prompt names) and two tasks that touch one line. */
function conflictingRepo(): string {
  const ws = tempWorkspace();
  git(ws, 'init', '-q', '-b', 'main');
  git(ws, 'config', 'user.email', 'e2e@example.com');
  git(ws, 'config', 'user.name', 'e2e');
  writeFileSync(path.join(ws, 'app.txt'), 'hello\n');
  const agent = path.join(ws, 'agent.sh');
  writeFileSync(agent, '#!/bin/sh\nf=$(echo "$1" | cut -d" " -f1)\necho "$1" >> "$f"\necho "done: $1"\n');
  chmodSync(agent, 0o755);
  git(ws, 'add', '.');
  git(ws, 'commit', '-qm', 'init');
  writeFileSync(
    path.join(ws, 'rc.json'),
    JSON.stringify({ agents: { coder: { provider: 'toy' } }, providers: { toy: { type: 'command', command: agent } } }),
  );
  writeFileSync(
    path.join(ws, 'plan.yaml'),
    [
      'tasks:',
      '  - { id: first, agent: coder, prompt: "app.txt from first", followUps: false }',
      '  - { id: second, agent: coder, prompt: "app.txt from second", followUps: false }',
      '  - { id: after, agent: coder, dependsOn: [first, second], prompt: "notes.txt after both", followUps: false }',
    ].join('\n'),
  );
  return ws;
}

describe('isolated tasks in the dashboard', () => {
  it('d shows a task\'s change; a conflict names its file; m merges it again once resolved', async () => {
    const ws = conflictingRepo();
    run = new PtyRun(['run', 'plan.yaml', '--config', 'rc.json'], { cwd: ws, cols: 140, rows: 40 });
    const r = run;
    await r.see('FINISHED');
    await r.see('conflict: app.txt');
    // Which of the two lost the race is up to the machine; the other one is merged.
    const loser = /[✗] (first|second) coder/.exec(r.screen())?.[1];
    expect(loser).toBeDefined();
    // Which task the list selected first is up to the first frame: n goes to the failed one (the only one).
    await r.press('n');
    await r.waitFor((s) => new RegExp(`›.✗ ${loser}`).test(s), 'the conflicted task selected (after the critical-path gutter)');

    await r.press('d');
    await r.see(`changes of ${loser}`);
    await r.see(`+app.txt from ${loser}`);
    await r.press('d');

    const runs = readdirSync(path.join(ws, '.orchestrator', 'worktrees'));
    const file = path.join(ws, '.orchestrator', 'worktrees', runs[0]!, loser!, 'app.txt');
    expect(readFileSync(file, 'utf8')).toContain('<<<<<<<');
    writeFileSync(file, 'hello\napp.txt from first\napp.txt from second\n');
    await r.press('m');
    await r.see('✓ 3 completed');
    expect(git(ws, 'status', '--porcelain', '--untracked-files=no')).toBe('');
    await r.press('q');
    expect((await r.exited).exitCode).toBe(0);
    // Applied at the end: the person's checkout has every task's work.
    expect(readFileSync(path.join(ws, 'app.txt'), 'utf8')).toBe('hello\napp.txt from first\napp.txt from second\n');
    expect(readFileSync(path.join(ws, 'notes.txt'), 'utf8')).toBe('notes.txt after both\n');
  }, 90_000);
});
