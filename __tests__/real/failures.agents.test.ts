import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { realWorkspace, runPlan, sentText } from './agents.js';
import type { RealWorkspace } from './agents.js';
import { StubModel } from './stub-model.js';
import type { Step } from './stub-model.js';

/** Failures of the model API as the real CLIs report them, and what the run makes of them. */
let stub: StubModel | undefined;
afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

async function setup(scripts: Record<string, Step[]>, provider: string): Promise<RealWorkspace> {
  stub = await StubModel.start(scripts);
  return realWorkspace(stub, { agents: { coder: { provider } } });
}


const WRITE_AND_FINISH: Step[] = [
  { kind: 'write', path: 'out.txt', content: 'done\n' },
  { kind: 'text', text: 'Wrote out.txt.' },
];


/**
 * Codex retries a 5xx and a 401 itself before it gives up (codex-cli 0.171.0,
 * `stream_max_retries = 1` here: two requests), Claude Code does not with
 * CLAUDE_CODE_MAX_RETRIES=0: an error is repeated so the CLI gives up on it.
 */
const GIVE_UP = { claude: 1, codex: 2 } as const;

describe.each([
  ['claude', 529],
  ['claude', 429],
  ['codex', 500],
  ['codex', 429],
] as const)('%s: a transient API error', (provider, status) => {
  it(`(HTTP ${status}) is retried, and the retry resumes the same session with a note of why`, async () => {
    const ws = await setup({ flaky: [{ kind: 'status', status, times: GIVE_UP[provider] }, ...WRITE_AND_FINISH] }, provider);
    const result = await runPlan(ws, [{ id: 'flaky', agent: 'coder', prompt: '[[flaky]] Write out.txt.', writes: ['out.txt'], retries: 2 }]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/flaky\s.*completed/);
    expect(readFileSync(path.join(ws.cwd, 'out.txt'), 'utf8')).toBe('done\n');
    const requests = stub!.requestsFor('flaky');
    // The retry continued the first attempt's conversation (its prompt is in the history) and was told why.
    const retry = requests[GIVE_UP[provider]]!;
    expect(sentText(retry.body)).toMatch(/previous attempt at this task failed/);
    expect(result.stdout).toMatch(/flaky\s.*retrying|flaky\s.*waiting/);
    // Codex's "Model metadata … not found" warning came first: the 500 stayed transient all the same.
    expect(result.stdout).not.toMatch(/permanent failure/);
  });
});

describe.each(['claude', 'codex'] as const)('%s: an API key the provider refuses', (provider) => {
  it('(HTTP 401) fails at once as permanent, naming the cause, without a retry', async () => {
    const ws = await setup({ auth: [{ kind: 'status', status: 401, message: 'invalid x-api-key', times: 5 }] }, provider);
    const result = await runPlan(ws, [{ id: 'auth', agent: 'coder', prompt: '[[auth]] Write out.txt.', retries: 3 }]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/auth\s.*failed.*401/);
    expect(result.stdout).toMatch(/permanent failure: not retried/);
    expect(stub!.requestsFor('auth')).toHaveLength(GIVE_UP[provider]);
  });
});

describe('codex: a stream cut mid-answer', () => {
  it('is reconnected by Codex and the completed turn is a success, not a failure', async () => {
    const ws = await setup({ cut: [{ kind: 'cut' }, ...WRITE_AND_FINISH] }, 'codex');
    const result = await runPlan(ws, [{ id: 'cut', agent: 'coder', prompt: '[[cut]] Write out.txt.', writes: ['out.txt'] }]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/cut\s.*completed/);
    expect(readFileSync(path.join(ws.cwd, 'out.txt'), 'utf8')).toBe('done\n');
  });
});

describe('claude: a stream cut mid-answer', () => {
  it('fails the attempt as transient, and the retry completes', async () => {
    const ws = await setup({ cut: [{ kind: 'cut' }, ...WRITE_AND_FINISH] }, 'claude');
    const result = await runPlan(ws, [{ id: 'cut', agent: 'coder', prompt: '[[cut]] Write out.txt.', writes: ['out.txt'], retries: 1 }]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/cut\s.*completed/);
    expect(readFileSync(path.join(ws.cwd, 'out.txt'), 'utf8')).toBe('done\n');
  });
});
