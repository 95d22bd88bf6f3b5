import { afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { requireBuild, runCli } from '../helpers/cli.js';

/** `logs --follow` on the real binary, beside a real headless run whose first task waits for a file the test writes. */
let ws: string;
beforeAll(() => requireBuild());
beforeEach(() => {
  ws = mkdtempSync(path.join(os.tmpdir(), 'orch-follow-'));
  writeFileSync(
    path.join(ws, 'plan.yaml'),
    'tasks:\n  - id: a\n    agent: shell\n    prompt: "echo one; while [ ! -f go ]; do sleep 0.02; done; echo two"\n  - id: b\n    agent: shell\n    dependsOn: [a]\n    prompt: echo bee\n',
  );
});
afterEach(() => rmSync(ws, { recursive: true, force: true }));

/** Starts the run and resolves once task a runs (the run is recorded: a follower finds it as the latest). */
function startRun(): { running: Promise<void>; done: ReturnType<typeof runCli> } {
  let started!: () => void;
  const running = new Promise<void>((resolve) => (started = resolve));
  const done = runCli(['run', 'plan.yaml', '--headless'], { cwd: ws, onStdout: (text) => /\ba +running/.test(text) && started() });
  return { running, done };
}

const go = () => writeFileSync(path.join(ws, 'go'), '');

describe('orchestrator logs --follow', () => {
  it('prints what is there, then what is appended, and ends when the task finishes; a task not started yet is waited for', async () => {
    const run = startRun();
    await run.running;
    const b = runCli(['logs', '--follow', 'b'], { cwd: ws });
    const a = runCli(['logs', '-f', 'a'], { cwd: ws, onStdout: (text) => text === 'one\n' && go() });
    const [fa, fb, ran] = await Promise.all([a, b, run.done]);
    expect(ran.code).toBe(0);
    expect(fa).toMatchObject({ code: 0, stdout: 'one\ntwo\n' });
    expect(fa.stderr).toMatch(/task a of run \S+ completed/);
    expect(fb).toMatchObject({ code: 0, stdout: 'bee\n' });
  });

  it('stops following on Ctrl+C (exit 0, no trace) and leaves the run going', async () => {
    const run = startRun();
    await run.running;
    const a = runCli(['logs', '-f', 'a'], { cwd: ws, onStdout: (text, child) => text === 'one\n' && child.kill('SIGINT') });
    const followed = await a;
    expect(followed).toMatchObject({ code: 0, stdout: 'one\n', stderr: '' });
    go();
    const ran = await run.done;
    expect(ran.code).toBe(0);
    const after = await runCli(['logs', 'a'], { cwd: ws });
    expect(after.stdout).toBe('one\ntwo\n');
  });

  it('ends at once for a finished run, and refuses --json (exit 2)', async () => {
    go();
    expect((await runCli(['run', 'plan.yaml', '--headless'], { cwd: ws })).code).toBe(0);
    expect(await runCli(['logs', '-f', 'b'], { cwd: ws })).toMatchObject({ code: 0, stdout: 'bee\n' });
    const json = await runCli(['logs', '-f', 'b', '--json'], { cwd: ws });
    expect(json.code).toBe(2);
    expect(json.stderr).toContain('--follow cannot be combined with --json');
  });
});
