import { afterEach, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { formatElapsed } from '../../src/report/format.js';
import { runCli } from '../helpers/cli.js';
import { KEYS, PtyRun, ROOT, alive, aliveInGroups, descendants, groupsOf, stopRun, tempWorkspace, until } from './pty-harness.js';

const CTRL_C = '\u0003';

// The built binary is what is tested: the binary project's globalSetup fails the run when it is missing or stale.
const args = (ws: string) => ['run', 'examples/dashboard.yaml', '--config', 'examples/dashboard.orchestratorrc', '--workspace', ws];

let run: PtyRun | undefined;
/** Agent process groups a failed test must not leave behind (killing the pty does not reach them). */
let groups: number[] = [];
afterEach(() => {
  stopRun(run, groups);
  run = undefined;
  groups = [];
});


/** `promise`, or a failure naming `what` once `timeoutMs` has passed. */
function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** The dashboard plan in a fresh workspace (`ws`), its second level running (setup done). */
async function dashboard(ws = tempWorkspace()): Promise<PtyRun> {
  run = new PtyRun(args(ws));
  await run.see('running 4/4');
  return run;
}

/** `orchestrator runs` in a workspace: how the run was recorded. */
function runsIn(ws: string): string {
  return execFileSync(process.execPath, [`${ROOT}/bin/orchestrator.js`, 'runs', '--workspace', ws], { cwd: ROOT, encoding: 'utf8' });
}

describe('the dashboard, end to end in a real terminal', () => {
  it('shows the plan by level with tasks moving through their states', async () => {
    const r = await dashboard();
    await r.see('✗ 1 failed');
    expect(r.screen()).toMatch(/level 1 · 1 task/);
    expect(r.screen()).toMatch(/✓ setup/);
  }, 60_000);

  it('n selects the failed task and r retries it', async () => {
    const r = await dashboard();
    await r.see('✗ 1 failed');
    await r.press('n');
    await r.see('failed: lint (1/1)');
    await r.press('r');
    await r.see('retrying lint (attempt 2)');
  }, 60_000);

  it('p pauses the selected running task (its processes are stopped), p again resumes it', async () => {
    const r = await dashboard();
    await r.press('g', 'j');
    await r.see('needs setup · unblocks test');
    await r.press('p');
    await r.see('paused compile (its processes are stopped)');
    await r.waitFor((s) => /‖ compile/.test(s), 'the paused glyph');
    await r.press('p');
    await r.see('resumed compile');
  }, 60_000);

  it('P pauses the run (the header says so) and resumes it', async () => {
    const r = await dashboard();
    await r.press('P');
    await r.see('PAUSED');
    await r.press('P');
    await r.waitFor((s) => !s.includes('PAUSED') && s.includes('run resumed'), 'run resumed');
  }, 60_000);

  it('s skips the selected task', async () => {
    const r = await dashboard();
    await r.press('g', 'j', 'j', 'j');
    await r.see('tasks 4/7');
    await r.press('s');
    await r.see('skipping docs');
    await r.see('↷ 1 skipped');
  }, 60_000);

  it('x cancels after asking, and says why a cancel of an ended task does not apply', async () => {
    const r = await dashboard();
    await r.press('g', 'j', 'x');
    await r.see('cancel compile (running)?');
    await r.press('y');
    await r.see('■ 1 cancelled');
    await r.press('x');
    await r.see('compile has already ended (cancelled)');
  }, 60_000);

  it('i attaches to a terminal: what is typed reaches the agent, and it detaches when the agent ends', async () => {
    const r = await dashboard();
    await r.press('g', 'j', 'j', 'j', 'j');
    await r.see('tasks 5/7');
    await r.press('i');
    await r.see('ATTACHED');
    await r.press('b', 'l', 'u', 'e', KEYS.enter);
    await r.see('got: blue');
    await r.waitFor((s) => s.includes('chat is completed: detached') || !s.includes('ATTACHED'), 'detached when chat ended');
  }, 60_000);

  it('? shows the help generated from the keymap; Esc closes it', async () => {
    const r = await dashboard();
    await r.press('?');
    await r.see('keys — Esc, ? or q closes');
    // The overlay's first row can be on screen before the rest of the frame is (a loaded machine): wait for the row.
    await r.waitFor((s) => /i\s+attach: keys go to the selected/.test(s), 'the attach row of the help');
    await r.press(KEYS.escape);
    await r.waitFor((s) => !s.includes('keys — Esc'), 'help closed');
  }, 60_000);

  it('under 80 columns lays out one column (tab toggles list and pane), nothing wider than the terminal', async () => {
    const r = await dashboard();
    r.resize(70, 30);
    await r.waitFor((s) => s.includes('level 1') && !s.includes('╮╭'), 'one column with the task list');
    for (const line of r.screen().split('\n')) expect(line.length).toBeLessThanOrEqual(70);
    await r.press(KEYS.tab);
    await r.waitFor((s) => s.includes('setup · completed') && !s.includes('level 1') && !s.includes('╮╭'), 'one column with the pane');
    for (const line of r.screen().split('\n')) expect(line.length).toBeLessThanOrEqual(70);
    r.resize(120, 40);
    await r.waitFor((s) => s.includes('╮╭'), 'two columns again');
  }, 60_000);

  it('q asks while agents run, then stops every agent, leaving the last frame and the summary below it', async () => {
    const ws = tempWorkspace();
    const r = await dashboard(ws);
    const agents = descendants(r.proc.pid);
    expect(agents.length).toBeGreaterThan(0);
    await r.press('q');
    await r.see('tasks are running: stop them and quit?');
    await r.press('y');
    const exit = await r.exited;
    expect(exit.exitCode).toBe(130);
    expect(alive(agents)).toEqual([]);
    const all = r.all();
    expect(all).toMatch(/TASK\s+STATE\s+ATTEMPTS/);
    expect(all).toContain('interrupted by SIGINT');
    expect(all.indexOf('tasks 1/7')).toBeLessThan(all.indexOf('TASK '));
    // The last frame and the record say interrupted, never failed: resume continues it.
    expect(all).toMatch(/run interrupted by SIGINT: 7 tasks \(.*interrupted/);
    expect(all).not.toContain('run failed');
    expect(runsIn(ws)).toMatch(/\sinterrupted\s/);
  }, 60_000);

  it('falls back to headless without a TTY, and --tui then fails with exit 2', async () => {
    const { spawnSync } = await import('node:child_process');
    const ws = tempWorkspace();
    const tui = spawnSync(process.execPath, [`${ROOT}/bin/orchestrator.js`, 'run', 'examples/demo.yaml', '--workspace', ws, '--tui'], { cwd: ROOT, encoding: 'utf8' });
    expect(tui.status).toBe(2);
    expect(tui.stderr).toContain('--tui needs a terminal');
    const headless = spawnSync(process.execPath, [`${ROOT}/bin/orchestrator.js`, 'run', 'examples/demo.yaml', '--workspace', ws], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(headless.stdout).toContain('run demo: 8 tasks');
    expect(headless.stdout).not.toContain('╭');
  }, 90_000);

  it('in CI it runs headless in a terminal too; --tui there draws the dashboard, and agents still see CI', async () => {
    const ws = tempWorkspace();
    writeFileSync(path.join(ws, 'ci.yaml'), 'name: ci\ntasks:\n  - id: env\n    agent: shell\n    prompt: echo "agent sees CI=$CI"\n');
    run = new PtyRun(['run', 'ci.yaml', '--workspace', ws], { cwd: ws, env: { CI: 'true' } });
    expect((await run.exited).exitCode).toBe(0);
    expect(run.all()).toContain('run ci: 1 task');
    expect(run.all()).not.toContain('╭');
    // Ink reads CI at import and would draw nothing until the end; --tui must draw while the run is live.
    run = new PtyRun(['run', 'ci.yaml', '--workspace', ws, '--tui'], { cwd: ws, env: { CI: 'true' } });
    await run.see('FINISHED');
    expect(run.screen()).toContain('╭');
    await run.press('q');
    expect((await run.exited).exitCode).toBe(0);
    const logs = readdirSync(path.join(ws, '.orchestrator/runs')).map((id) => readFileSync(path.join(ws, '.orchestrator/runs', id, 'logs/env.log'), 'utf8'));
    expect(logs).toEqual([expect.stringContaining('agent sees CI=true'), expect.stringContaining('agent sees CI=true')]);
  }, 90_000);

  it('--exit-on-finish leaves when the run ends, with the summary below the final frame', async () => {
    run = new PtyRun(['run', 'examples/demo.yaml', '--workspace', tempWorkspace(), '--exit-on-finish'], { cols: 100, rows: 30 });
    const exit = await run.exited;
    expect(exit.exitCode).toBe(0);
    expect(run.all()).toContain('FINISHED');
    expect(run.all()).toContain('demo.yaml: succeeded');
  }, 90_000);
  it('headless in a terminal, Ctrl+C stops the run: interrupted in the summary and the record, exit 130', async () => {
    const ws = tempWorkspace();
    writeFileSync(path.join(ws, 'sleepy.yaml'), 'name: sleepy\ntasks:\n  - { id: a, agent: shell, prompt: "echo holding on; sleep 60" }\n  - { id: b, agent: shell, prompt: "sleep 60" }\n');
    run = new PtyRun(['run', 'sleepy.yaml', '--headless', '--workspace', ws], { cwd: ws });
    const r = run;
    await r.see('a             running');
    await r.see('b             running');
    // The terminal turns ^C into SIGINT for the foreground process group (agents are groups of their own).
    await r.press(CTRL_C);
    const exit = await within(r.exited, 30_000, 'exit after Ctrl+C');
    expect(exit.exitCode).toBe(130);
    expect(r.all()).toMatch(/interrupted by SIGINT — 2 tasks \(2 interrupted\)/);
    expect(runsIn(ws)).toMatch(/\sinterrupted\s+\S+\s+-\s+-\s+2 interrupted/);
  }, 60_000);

  it('ctrl+c stops gracefully, and ctrl+c again kills agents that ignore SIGTERM at once', async () => {
    const ws = tempWorkspace();
    // Agents that ignore SIGTERM, and a grace period far longer than the test: only a forced stop ends them in time.
    // Each says so when a SIGTERM reaches it (and kills only its current sleep).
    const stubborn = `trap 'echo ignoring TERM' TERM; echo holding on; while true; do sleep 0.2; done`;
    writeFileSync(path.join(ws, 'stubborn.yaml'), `name: stubborn\ntasks:\n${['a', 'b'].map((id) => `  - id: ${id}\n    agent: shell\n    prompt: "${stubborn}"\n`).join('')}`);
    writeFileSync(path.join(ws, 'stubborn.orchestratorrc'), 'killGraceMs: 120000\n');
    run = new PtyRun(['run', 'stubborn.yaml', '--config', 'stubborn.orchestratorrc', '--workspace', ws], { cwd: ws });
    const r = run;
    await r.see('running 2/4');
    // Split view: both agents' panes on screen.
    await r.press('v');
    await r.waitFor((s) => s.split('holding on').length === 3, 'both agents holding on');
    // Each agent is its own process group: the shell and whichever `sleep` it runs now.
    groups = groupsOf(descendants(r.proc.pid));
    expect(groups.length).toBe(2);
    await r.press(CTRL_C);
    await r.see('stopping 2 running tasks… ctrl+c again kills them now');
    // Both got the SIGTERM and lived on: their groups are still there, and so is the dashboard.
    await r.waitFor((s) => s.split('ignoring TERM').length === 3, 'SIGTERM reached both agents');
    expect(groupsOf(aliveInGroups(groups)).sort()).toEqual([...groups].sort());
    await r.press(CTRL_C);
    // The grace period is 120 s: only the forced stop ends the run before this deadline.
    const exit = await within(r.exited, 60_000, 'exit after the forced stop');
    expect(exit.exitCode).toBe(130);
    expect(aliveInGroups(groups)).toEqual([]);
    expect(r.all()).toContain('interrupted by SIGINT');
    expect(r.all()).toContain('run interrupted by SIGINT: 2 tasks (2 interrupted)');
    expect(runsIn(ws)).toMatch(/\sinterrupted\s+\S+\s+-\s+-\s+2 interrupted/);
  }, 90_000);

  it('ends its summary with the run\'s own duration, not the time the dashboard stayed open', async () => {
    run = new PtyRun(['run', 'examples/demo.yaml', '--workspace', tempWorkspace()], { cols: 120, rows: 30 });
    const r = run;
    const seenAt = await r.see('run succeeded', 60_000);
    const shown = /run succeeded: 8 tasks \(.*?\) in ([\d.]+m?s)/.exec(r.screen())?.[1];
    expect(shown).toBeDefined();
    // The person reads the result before quitting: until a duration measured at the quit would
    // read differently from the run's own (the run ended before the result showed).
    const least = leastElapsed(shown!);
    await until(() => formatElapsed(least + performance.now() - seenAt) !== shown, 'a quit-time duration to read differently');
    await r.press('q');
    const exit = await r.exited;
    expect(exit.exitCode).toBe(0);
    const summary = /demo\.yaml: succeeded — 8 tasks \(.*?\) in ([\d.]+m?s)/.exec(r.all())?.[1];
    expect(summary).toBe(shown);
  }, 90_000);
  it("after resume, a finished task's pane shows what it printed, from its transcript", async () => {
    const ws = tempWorkspace();
    writeFileSync(path.join(ws, 'resume.yaml'), 'tasks:\n  - { id: early, agent: shell, prompt: "echo printed before the crash" }\n  - { id: late, agent: shell, prompt: "sleep 30", dependsOn: [early] }\n');
    // A headless run killed once `early` is done: `late` is left for the resume.
    const first = runCli(['run', 'resume.yaml', '--headless'], {
      cwd: ws,
      // Killed a moment after `late` starts: transcripts are written in batches (25 ms), so `early`'s output is on disk by then.
      onStdout: (text, child) => void (/late\s+running/.test(text) && setTimeout(() => child.kill('SIGKILL'), 300)),
    });
    await within(first, 20_000, 'the first run to be killed');
    run = new PtyRun(['resume', '--workspace', ws]);
    await run.see('late');
    // In the pane (its text starts at its border), not only in the task's row.
    await run.waitFor((screen) => /│printed before the crash/.test(screen), 'the recorded output in the pane');
    expect(run.screen()).not.toContain('no output yet');
  }, 60_000);
});

/** The least duration in ms that formatElapsed shows as `text` (`812ms`, `4.2s`, `1m05s`). */
function leastElapsed(text: string): number {
  const ms = /^(\d+)ms$/.exec(text);
  if (ms) return Number(ms[1]) - 0.5;
  const s = /^([\d.]+)s$/.exec(text);
  if (s) return Number(s[1]) * 1000 - 50;
  const m = /^(\d+)m(\d+)s$/.exec(text);
  if (m) return (Number(m[1]) * 60 + Number(m[2])) * 1000;
  throw new Error(`not a duration: ${text}`);
}
