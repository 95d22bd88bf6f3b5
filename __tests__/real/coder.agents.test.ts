import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { realWorkspace, runPlan } from './agents.js';
import type { RealWorkspace } from './agents.js';
import { StubModel } from './stub-model.js';
import type { Step } from './stub-model.js';

/**
 * The real Claude Code and Codex CLIs, run by the real orchestrator binary,
 * against the stub model: what a person with the built-in defaults gets.
 */
let stub: StubModel | undefined;
afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

async function setup(scripts: Record<string, Step[]>, extra: Record<string, unknown> = {}): Promise<RealWorkspace> {
  stub = await StubModel.start(scripts);
  return realWorkspace(stub, extra);
}




describe.each(['claude', 'codex'])('a coder on %s with the built-in defaults', (provider) => {
  it('writes its file, completes, and the work comes back to the checkout', async () => {
    const ws = await setup(
      { hello: [{ kind: 'write', path: 'hello.txt', content: 'hello from the agent\n' }, { kind: 'text', text: 'Wrote hello.txt.' }] },
      { agents: { coder: { provider } } },
    );
    const result = await runPlan(ws, [{ id: 'hello', agent: 'coder', prompt: '[[hello]] Write hello.txt.', writes: ['hello.txt'] }]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/hello\s.*completed/);
    // Applied: the person's checkout has the agent's file, committed on the run's result.
    expect(readFileSync(path.join(ws.cwd, 'hello.txt'), 'utf8')).toBe('hello from the agent\n');
    expect(stub!.requestsFor('hello').length).toBeGreaterThanOrEqual(2);
  });

  it('is not "completed" when it was only allowed to read', async () => {
    const ws = await setup(
      { denied: [{ kind: 'write', path: 'denied.txt', content: 'x\n' }, { kind: 'text', text: 'Wrote denied.txt.' }] },
      { agents: { coder: { provider, permissions: 'read-only' } } },
    );
    const result = await runPlan(ws, [{ id: 'denied', agent: 'coder', prompt: '[[denied]] Write denied.txt.', writes: ['denied.txt'] }]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/denied\s.*failed/);
    expect(result.stdout).toMatch(/was denied/);
    expect(result.stdout).toMatch(provider === 'claude' ? /Write .*denied\.txt/ : /printf.*denied\.txt.*Read-only file system/);
    expect(existsSync(path.join(ws.cwd, 'denied.txt'))).toBe(false);
  });
});
