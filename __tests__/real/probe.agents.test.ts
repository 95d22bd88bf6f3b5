import { it } from '@jest/globals';
import { writeFileSync, chmodSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { realWorkspace, runPlan, agentBinDir } from './agents.js';
import { StubModel } from './stub-model.js';

it.each(['claude'])('%s raw', async (provider) => {
  const stub = await StubModel.start({ lim: [{ kind: 'limit', resetsInS: 7200, times: 3 }] });
  const ws = realWorkspace(stub, { agents: { coder: { provider } } });
  const wrap = path.join(ws.home, 'wrap.sh');
  writeFileSync(wrap, `#!/bin/sh\n"${path.join(agentBinDir(), provider)}" "$@" | tee /tmp/raw-${provider}.jsonl\n`);
  chmodSync(wrap, 0o755);
  const cfg = parse(readFileSync(ws.config, 'utf8'));
  cfg.providers[provider].command = wrap; if (provider === 'claude') { delete cfg.providers.claude.env.ANTHROPIC_API_KEY; cfg.providers.claude.env.CLAUDE_CODE_OAUTH_TOKEN = 'sk-ant-oat01-dummy'; }
  writeFileSync(ws.config, stringify(cfg));
  const result = await runPlan(ws, [{ id: 'lim', agent: 'coder', prompt: '[[lim]] Write out.txt.' }]);
  console.log(result.stdout);
  await stub.close();
}, 120000);
