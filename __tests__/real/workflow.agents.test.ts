import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { realWorkspace, runPlan, sentText } from './agents.js';
import { StubModel } from './stub-model.js';

/**
 * The built-in standard workflow on the real CLIs: a coder on Codex, then the
 * reviewer and the tester (Claude Code) that the workflow adds as follow-ups.
 * Each follow-up's prompt quotes the earlier task's result, so a marker in
 * a final answer picks the next agent's script.
 */
let stub: StubModel | undefined;
afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

describe('coder → reviewer → tester', () => {
  it('runs each on its real CLI: the reviewer reads, the tester runs a command, all complete', async () => {
    stub = await StubModel.start({
      code: [{ kind: 'write', path: 'greet.txt', content: 'hello\n' }, { kind: 'text', text: 'Wrote greet.txt. [[review]]' }],
      review: [{ kind: 'shell', command: 'git status --short' }, { kind: 'text', text: 'Looks right. APPROVED [[test]]' }],
      test: [{ kind: 'shell', command: 'grep -q hello greet.txt && echo ok > tested.txt' }, { kind: 'text', text: 'PASS' }],
    });
    const ws = realWorkspace(stub, { agents: { coder: { provider: 'codex' } } });
    const result = await runPlan(ws, [{ id: 'greet', agent: 'coder', prompt: '[[code]] Write greet.txt.', writes: ['greet.txt'] }]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/greet-reviewer\s.*completed/);
    expect(result.stdout).toMatch(/greet-reviewer-tester\s.*completed/);
    // The reviewer was told what the coder reported; the tester, what the reviewer said.
    expect(sentText(stub.requestsFor('review')[0]!.body)).toMatch(/Wrote greet\.txt/);
    expect(sentText(stub.requestsFor('test')[0]!.body)).toMatch(/APPROVED/);
    // The reviewer's read-only shell command ran (its output went back to the model).
    expect(sentText(stub.requestsFor('review')[1]!.body)).not.toMatch(/denied/i);
    expect(readFileSync(path.join(ws.cwd, 'greet.txt'), 'utf8')).toBe('hello\n');
    expect(readFileSync(path.join(ws.cwd, 'tested.txt'), 'utf8')).toBe('ok\n');
  });

  it('a reviewer that tries to write is refused: it fails soft, and the tester still runs', async () => {
    stub = await StubModel.start({
      code: [{ kind: 'write', path: 'greet.txt', content: 'hello\n' }, { kind: 'text', text: 'Wrote greet.txt. [[review]]' }],
      review: [{ kind: 'write', path: 'greet.txt', content: 'rewritten by the reviewer\n' }, { kind: 'text', text: 'Fixed it myself. [[test]]' }],
      test: [{ kind: 'text', text: 'PASS' }],
    });
    const ws = realWorkspace(stub);
    const result = await runPlan(ws, [{ id: 'greet', agent: 'coder', prompt: '[[code]] Write greet.txt.', writes: ['greet.txt'] }]);
    expect(result.stdout).toMatch(/greet-reviewer\s.*failed.*was denied.*Write/);
    expect(result.stdout).toMatch(/greet-reviewer-tester\s.*completed/);
    expect(result.code).toBe(0);
    expect(readFileSync(path.join(ws.cwd, 'greet.txt'), 'utf8')).toBe('hello\n');
    expect(existsSync(path.join(ws.cwd, 'tested.txt'))).toBe(false);
  });
});
