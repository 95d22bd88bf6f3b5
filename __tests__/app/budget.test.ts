import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { requireBuild, ROOT, runCli } from '../helpers/cli.js';
import type { CliResult } from '../helpers/cli.js';

let ws: string;
let home: string;
const fakeClaude = path.join(ROOT, '__tests__/fixtures/fake-claude');

beforeAll(async () => {
  requireBuild();
  ws = mkdtempSync(path.join(os.tmpdir(), 'orch-budget-'));
  home = mkdtempSync(path.join(os.tmpdir(), 'orch-budget-home-'));
  // The fake Claude prints Claude Code's real stream-json, reporting $0.0421 per task.
  write('.orchestratorrc', `concurrency: 1\nproviders:\n  claude: { type: claude, command: ${JSON.stringify(fakeClaude)} }\nagents:\n  spender: { provider: claude, isolation: none }\n`);
  expect((await cli(['trust'])).code).toBe(0);
});

afterAll(() => {
  rmSync(ws, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
});

function cli(args: string[]): Promise<CliResult> {
  return runCli(args, { cwd: ws, home });
}

function write(name: string, text: string): string {
  const file = path.join(ws, name);
  writeFileSync(file, text);
  return file;
}

const TASKS = 'tasks:\n  - { id: first, agent: spender, prompt: look }\n  - { id: second, agent: spender, prompt: look again }\n';

describe('a plan budget', () => {
  it('stops starting tasks once the reported cost reaches it: exit 1, the summary says so, the rest stay resumable', async () => {
    const plan = write('spend.yaml', `budget: { usd: 0.01 }\n${TASKS}`);
    const r = await cli(['run', plan]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/\nfirst\s+completed/);
    expect(r.stdout).toMatch(/\nsecond\s+(eligible|pending)/);
    expect(r.stdout).toMatch(/spend\.yaml: stopped: budget of \$0\.01 spent \(\$0\.04\)/);
    const runId = /recorded as run (\S+):.*orchestrator resume/.exec(r.stdout)?.[1];
    expect(runId).toBeDefined();
    const runs = await cli(['runs']);
    expect(runs.stdout).toMatch(new RegExp(`${runId}.*over-budget\\s.*\\s1 pending, 1 completed`));
    const show = await cli(['show', runId!]);
    expect(show.stdout).toMatch(/budget: \$0\.04 of \$0\.01 — stopped: budget of \$0\.01 spent \(\$0\.04\); go on with a new limit: orchestrator resume \S+ --budget N/);
    expect(show.stdout).toMatch(/\nsecond\s+pending/);
    // Resumed with the recorded budget, nothing can start; with a new limit, the rest runs.
    const again = await cli(['resume', runId!]);
    expect(again.code).toBe(1);
    expect(again.stdout).toMatch(/\nsecond\s+(eligible|pending)/);
    const more = await cli(['resume', runId!, '--budget', '1']);
    expect(more.code).toBe(0);
    expect(more.stdout).toMatch(/\nsecond\s+completed/);
    expect((await cli(['runs'])).stdout).toMatch(new RegExp(`${runId}.*completed\\s.*\\s2 completed`));
  });

  it('--json says it on run-finished (overBudget) and announces the budget on run-started', async () => {
    const plan = write('json.yaml', `budget: { usd: 0.01 }\n${TASKS}`);
    const r = await cli(['run', plan, '--json']);
    expect(r.code).toBe(1);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; budget?: unknown; overBudget?: unknown });
    expect(events[0]).toMatchObject({ type: 'run-started', budget: { usd: 0.01 } });
    expect(events.at(-1)).toMatchObject({ type: 'run-finished', exitCode: 1, overBudget: { unit: 'usd', limit: 0.01, spent: 0.0421 } });
  });

  it('comes from config too, --budget overrides it, and onExceed: stop stops the running tasks as interrupted', async () => {
    const plan = write('cfg.yaml', 'tasks:\n  - { id: quick, agent: spender, prompt: look }\n  - { id: long, agent: spender, prompt: "scenario:stall" }\n');
    const config = write('stop.yaml', `concurrency: 2\nbudget: { tokens: 1000, onExceed: stop }\nproviders:\n  claude: { type: claude, command: ${JSON.stringify(fakeClaude)} }\nagents:\n  spender: { provider: claude, isolation: none }\n`);
    const r = await cli(['run', plan, '--config', config]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/\nlong\s+interrupted/);
    expect(r.stdout).toMatch(/cfg\.yaml: stopped: budget of 1000 tokens spent/);
    const rich = await cli(['run', write('cfg2.yaml', 'tasks:\n  - { id: quick, agent: spender, prompt: look }\n'), '--config', config, '--budget-tokens', '100000000']);
    expect(rich.code).toBe(0);
  });

  it('--budget must be a positive number (exit 2)', async () => {
    const r = await cli(['run', write('x.yaml', TASKS), '--budget', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--budget: expected a number above 0, got '0'");
  });

  it('a token budget works the same way', async () => {
    const plan = write('tokens.yaml', `budget: { tokens: 1 }\n${TASKS}`);
    const r = await cli(['run', plan]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/tokens\.yaml: stopped: budget of 1 tokens spent \(\S+ tokens\)/);
  });

  it('a budget not reached changes nothing', async () => {
    const plan = write('rich.yaml', `budget: { usd: 100, tokens: 100000000 }\n${TASKS}`);
    const r = await cli(['run', plan]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/rich\.yaml: succeeded/);
  });

  it('a bad budget is an input error (exit 2) naming the field', async () => {
    const plan = write('bad.yaml', `budget: { usd: -1, dollars: 3 }\n${TASKS}`);
    const r = await cli(['validate', plan]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/budget/);
  });
});

describe('a task budget', () => {
  it("stops the task's agent once its reported tokens reach the budget; the task fails for good (no retry), with the reason", async () => {
    // scenario:stall reports a message's usage (15,227 tokens) and then never ends by itself.
    const plan = write('task.yaml', 'tasks:\n  - { id: big, agent: spender, retries: 3, budget: { tokens: 1000 }, prompt: "scenario:stall" }\n');
    const started = Date.now();
    const r = await cli(['run', plan]);
    expect(r.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(r.stdout).toMatch(/\nbig\s+failed\s+1\s.*stopped: its budget of 1000 tokens spent \(\d+ tokens\)/);
    expect(r.stdout).not.toMatch(/retrying/);
  });
});
