import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { orchestrator, realWorkspace, runPlan } from './agents.js';
import { StubModel } from './stub-model.js';

/** A run stopped while a real agent waits on the model is interrupted, not failed, and a bare `resume` finishes it. */
let stub: StubModel | undefined;
afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

describe.each(['claude', 'codex'])('%s: Ctrl+C while the agent waits on the model', (provider) => {
  it('records the run and the task as interrupted; `orchestrator resume` continues the session and completes', async () => {
    stub = await StubModel.start({
      slow: [{ kind: 'hang' }, { kind: 'write', path: 'slow.txt', content: 'finally\n' }, { kind: 'text', text: 'Wrote slow.txt.' }],
    });
    const ws = realWorkspace(stub, { agents: { coder: { provider } } });
    const running = runPlan(ws, [{ id: 'slow', agent: 'coder', prompt: '[[slow]] Write slow.txt.', writes: ['slow.txt'] }]);
    const deadline = Date.now() + 60_000;
    while (stub.requestsFor('slow').length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(stub.requestsFor('slow')).toHaveLength(1);
    running.child.kill('SIGINT');
    const stopped = await running;
    expect(stopped.code).toBe(130);
    expect(stopped.stdout).toMatch(/slow\s.*interrupted/);
    expect(stopped.stdout).not.toMatch(/slow\s.*failed/);

    const runs = await orchestrator(ws, 'runs');
    expect(runs.stdout).toMatch(/interrupted/);
    expect(runs.stdout).not.toMatch(/\bfailed\b/);

    const resumed = await orchestrator(ws, 'resume', '--config', ws.config, '--headless');
    expect(resumed.stderr).toMatch(/^resuming run \S+ \(real\): 0 of 1 task done, 1 re-queued/);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/slow\s.*completed/);
    expect(readFileSync(path.join(ws.cwd, 'slow.txt'), 'utf8')).toBe('finally\n');
  });
});
