import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { parse, stringify } from 'yaml';
import { realWorkspace, runPlan, sentText } from './agents.js';
import type { RealWorkspace } from './agents.js';
import { StubModel } from './stub-model.js';

/**
 * The account's usage limit as the real CLIs meet it: the stub answers HTTP 429 the way each
 * provider does for a spent limit (Anthropic's `anthropic-ratelimit-unified-*` headers saying
 * `rejected`, OpenAI's `usage_limit_reached` body), resetting a few seconds ahead.
 */
let stub: StubModel | undefined;
afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

const RESET_IN_S = 4;

async function setup(provider: 'claude' | 'codex'): Promise<RealWorkspace> {
  stub = await StubModel.start({
    capped: [{ kind: 'limit', resetsInS: RESET_IN_S }, { kind: 'write', path: 'out.txt', content: 'done\n' }, { kind: 'text', text: 'Wrote out.txt.' }],
  });
  const ws = realWorkspace(stub, { agents: { coder: { provider } }, limits: { marginSeconds: 0 } });
  if (provider === 'claude') {
    // Claude Code reports a usage limit (its rate_limit_event) on a subscription login only, not on an API key.
    const config = parse(readFileSync(ws.config, 'utf8')) as { providers: { claude: { env: Record<string, string> } } };
    delete config.providers.claude.env.ANTHROPIC_API_KEY;
    config.providers.claude.env.CLAUDE_CODE_OAUTH_TOKEN = 'sk-ant-oat01-stub';
    writeFileSync(ws.config, stringify(config));
  }
  return ws;
}

describe.each(['claude', 'codex'] as const)('%s at its usage limit', (provider) => {
  it('waits for the reset, then resumes the same session and completes, without spending a retry', async () => {
    const ws = await setup(provider);
    const started = Date.now();
    const result = await runPlan(ws, [{ id: 'capped', agent: 'coder', prompt: '[[capped]] Write out.txt.', writes: ['out.txt'], retries: 0, followUps: false }]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/\ncapped\s+completed\s+2\s/);
    expect(readFileSync(path.join(ws.cwd, 'out.txt'), 'utf8')).toBe('done\n');
    const requests = stub!.requestsFor('capped');
    // The attempt after the reset continued the conversation, told why it stopped.
    expect(sentText(requests[1]!.body)).toMatch(/stopped by the provider's usage limit, which has reset now/);
    if (provider === 'claude') {
      // Claude's rate_limit_event gives the reset to the second: the run waited for it.
      expect(result.stdout).toMatch(/claude usage limit · resets \d\d:\d\d .*: its tasks wait \(capped goes on then, without spending a retry\)/);
      expect(result.stdout).toMatch(/claude usage limit reset: its tasks go on/);
      expect(Date.now() - started).toBeGreaterThanOrEqual((RESET_IN_S - 1) * 1000);
    }
  });
});
