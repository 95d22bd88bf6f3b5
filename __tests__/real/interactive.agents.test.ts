import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { afterEach, describe, expect, it } from '@jest/globals';
import { PtyRun } from '../e2e/pty-harness.js';
import { orchestrator, realWorkspace } from './agents.js';
import { StubModel } from './stub-model.js';

/**
 * An interactive role: the real Claude Code TUI in a task's pane of the real
 * dashboard, in a real terminal. The agent does its work, the person marks
 * the task done with D, and the work comes back to the checkout.
 */
let stub: StubModel | undefined;
let run: PtyRun | undefined;
afterEach(async () => {
  run?.kill();
  run = undefined;
  await stub?.close();
  stub = undefined;
});

describe('an interactive Claude Code in the dashboard', () => {
  it('shows the TUI in the pane, D marks it done, and its work is applied', async () => {
    stub = await StubModel.start({
      pair: [{ kind: 'write', path: 'pair.txt', content: 'written in the TUI\n' }, { kind: 'text', text: 'Wrote pair.txt for you.' }],
    });
    const ws = realWorkspace(stub, { agents: { pair: { provider: 'claude', interactive: true, permissions: 'edit' } } });
    const plan = path.join(path.dirname(ws.cwd), 'plan.yaml');
    writeFileSync(plan, stringify({ name: 'pair', tasks: [{ id: 'pair', agent: 'pair', prompt: '[[pair]] Write pair.txt.', writes: ['pair.txt'] }] }));
    run = new PtyRun(['run', plan, '--config', ws.config], { cwd: ws.cwd, cols: 160, rows: 45, env: { HOME: ws.home } });
    // The agent's own screen, drawn by the real TUI inside the pane.
    await run.see('Wrote pair.txt for you.', 60_000);
    await run.press('D');
    await run.see('FINISHED', 60_000);
    await run.press('q');
    expect((await run.exited).exitCode).toBe(0);
    expect(readFileSync(path.join(ws.cwd, 'pair.txt'), 'utf8')).toBe('written in the TUI\n');
    expect(execFileSync('git', ['log', '--format=%s', '-1'], { cwd: ws.cwd, encoding: 'utf8' })).toMatch(/pair/);
    // The transcript is the screen's text, words with their spaces.
    const runId = /^(\d{8}-\d{6}-\w+)/m.exec((await orchestrator(ws, 'runs')).stdout)?.[1];
    expect(runId).toBeDefined();
    const logs = await orchestrator(ws, 'logs', runId!, 'pair');
    expect(logs.stdout).toMatch(/Wrote pair\.txt for you\./);
  }, 120_000);
});
