import { afterEach, describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { KEYS, PtyRun, ROOT, alive, aliveInGroups, descendants, groupsOf, tempWorkspace } from './pty-harness.js';

const CTRL_C = '\u0003';

// The built binary is what is tested: `npm run build` first.
const built = existsSync(`${ROOT}/dist/bundle/cli.js`);
const args = (ws: string) => ['run', 'examples/dashboard.yaml', '--config', 'examples/dashboard.orchestratorrc', '--workspace', ws];

let run: PtyRun | undefined;
/** Agent process groups a failed test must not leave behind (killing the pty does not reach them). */
let groups: number[] = [];
afterEach(() => {
  run?.kill();
  run = undefined;
  for (const g of groups) {
    try {
      process.kill(-g, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  groups = [];
});

(built ? describe : describe.skip)('the dashboard, end to end in a real terminal', () => {
  it('shows tasks moving, obeys p P r s x i ? and resize, and quits leaving no agent alive', async () => {
    run = new PtyRun(args(tempWorkspace()));
    const r = run;
    await r.see('dashboard');
    await r.see('running 4/4');
    await r.see('✗ 1 failed');
    expect(r.screen()).toMatch(/level 1 · 1 task/);
    expect(r.screen()).toMatch(/✓ setup/);

    // n selects the failed task; r retries it.
    await r.press('n');
    await r.see('failed: lint (1/1)');
    await r.press('r');
    await r.see('retrying lint (attempt 2)');

    // p pauses the selected running task (its processes are stopped), p again resumes it.
    await r.press('g', 'j');
    await r.see('needs setup · unblocks test');
    await r.press('p');
    await r.see('paused compile (its processes are stopped)');
    await r.waitFor((s) => /‖ compile/.test(s), 'the paused glyph');
    await r.press('p');
    await r.see('resumed compile');

    // P pauses the run: the header says so.
    await r.press('P');
    await r.see('PAUSED');
    await r.press('P');
    await r.waitFor((s) => !s.includes('PAUSED') && s.includes('run resumed'), 'run resumed');

    // s skips docs; x cancels compile after asking.
    await r.press('j', 'j', 's');
    await r.see('skipping docs');
    await r.see('↷ 1 skipped');
    await r.press('g', 'j', 'x');
    await r.see('cancel compile (running)?');
    await r.press('y');
    await r.see('■ 1 cancelled');
    // An action that does not apply says why.
    await r.press('x');
    await r.see('compile has already ended (cancelled)');

    // i attaches to the terminal of chat: what is typed reaches the agent.
    await r.press('j', 'j', 'j', 'i');
    await r.see('ATTACHED');
    await r.press('b', 'l', 'u', 'e', KEYS.enter);
    await r.see('got: blue');
    await r.waitFor((s) => s.includes('chat is completed: detached') || !s.includes('ATTACHED'), 'detached when chat ended');

    // ? shows the help generated from the keymap; Esc (or ? or q) closes it.
    await r.press('?');
    await r.see('keys — Esc, ? or q closes');
    expect(r.screen()).toMatch(/i\s+attach: keys go to the selected/);
    await r.press(KEYS.escape);
    await r.waitFor((s) => !s.includes('keys — Esc'), 'help closed');

    // Resize: under 80 columns the layout is one column, and nothing is wider than the terminal.
    r.resize(70, 30);
    // Attaching focused the pane: one column shows it; tab toggles to the task list.
    await r.waitFor((s) => s.includes('got: blue') && !s.includes('╮╭'), 'one column with the pane');
    await r.press(KEYS.tab);
    await r.waitFor((s) => s.includes('level 1') && !s.includes('╮╭'), 'one column with the task list');
    for (const line of r.screen().split('\n')) expect(line.length).toBeLessThanOrEqual(70);
    r.resize(120, 40);
    await r.waitFor((s) => s.includes('╮╭'), 'two columns again');

    // Retry compile so an agent runs, then quit: asked first, then every agent is stopped.
    await r.press('g', 'j', 'r');
    await r.see('retrying compile (attempt 2)');
    await r.waitFor((s) => /compile shell \d/.test(s) && s.includes('running 1/4'), 'compile running again');
    const agents = descendants(r.proc.pid);
    expect(agents.length).toBeGreaterThan(0);
    await r.press('q');
    await r.see('1 task is running: stop it and quit?');
    await r.press('y');
    const exit = await r.exited;
    expect(exit.exitCode).toBe(130);
    expect(alive(agents)).toEqual([]);
    // The last frame stays, and the summary is printed below it.
    const all = r.all();
    expect(all).toMatch(/TASK\s+STATE\s+ATTEMPTS/);
    expect(all).toContain('interrupted by SIGINT');
    expect(all.indexOf('tasks 2/7')).toBeLessThan(all.indexOf('TASK '));
  }, 120_000);

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
  it('ctrl+c stops gracefully, and ctrl+c again kills agents that ignore SIGTERM at once', async () => {
    const ws = tempWorkspace();
    // Agents that ignore SIGTERM, and a grace period far longer than the test: only a forced stop ends them in time.
    const stubborn = `trap '' TERM; echo holding on; while true; do sleep 0.2; done`;
    writeFileSync(path.join(ws, 'stubborn.yaml'), `name: stubborn\ntasks:\n${['a', 'b'].map((id) => `  - id: ${id}\n    agent: shell\n    prompt: "${stubborn}"\n`).join('')}`);
    writeFileSync(path.join(ws, 'stubborn.orchestratorrc'), 'killGraceMs: 120000\n');
    run = new PtyRun(['run', 'stubborn.yaml', '--config', 'stubborn.orchestratorrc', '--workspace', ws], { cwd: ws });
    const r = run;
    await r.see('running 2/4');
    await r.see('holding on');
    // Each agent is its own process group: the shell and whichever `sleep` it runs now.
    groups = groupsOf(descendants(r.proc.pid));
    expect(groups.length).toBe(2);
    await r.press(CTRL_C);
    await r.see('stopping 2 running tasks… ctrl+c again kills them now');
    // SIGTERM is ignored: a second later both groups are still there, and so is the dashboard.
    await new Promise((res) => setTimeout(res, 1000));
    expect(groupsOf(aliveInGroups(groups)).sort()).toEqual([...groups].sort());
    const forcedAt = performance.now();
    await r.press(CTRL_C);
    const exit = await r.exited;
    expect(performance.now() - forcedAt).toBeLessThan(15_000);
    expect(exit.exitCode).toBe(130);
    expect(aliveInGroups(groups)).toEqual([]);
    expect(r.all()).toContain('interrupted by SIGINT');
  }, 90_000);

  it('ends its summary with the run\'s own duration, not the time the dashboard stayed open', async () => {
    run = new PtyRun(['run', 'examples/demo.yaml', '--workspace', tempWorkspace()], { cols: 120, rows: 30 });
    const r = run;
    await r.see('run succeeded', 60_000);
    const shown = /run succeeded: 8 tasks \(.*?\) in ([\d.]+m?s)/.exec(r.screen())?.[1];
    expect(shown).toBeDefined();
    // The person reads the result for a while before quitting.
    await new Promise((res) => setTimeout(res, 3000));
    await r.press('q');
    const exit = await r.exited;
    expect(exit.exitCode).toBe(0);
    const summary = /demo\.yaml: succeeded — 8 tasks \(.*?\) in ([\d.]+m?s)/.exec(r.all())?.[1];
    expect(summary).toBe(shown);
  }, 90_000);
});
