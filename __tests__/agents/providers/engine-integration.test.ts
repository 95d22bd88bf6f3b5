import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createBackends } from '../../../src/agents/registry.js';
import { loadConfig, trustProjectConfig } from '../../../src/config/load.js';
import { loadPlan } from '../../../src/plan/load.js';
import { Engine } from '../../../src/scheduler/engine.js';
import { fake } from './helpers.js';

let ws: string;
let home: string;

beforeEach(() => {
  ws = mkdtempSync(path.join(os.tmpdir(), 'orch-prov-int-'));
  home = mkdtempSync(path.join(os.tmpdir(), 'orch-prov-home-'));
});

afterEach(() => {
  rmSync(ws, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
});

describe('a plan through the real Engine with a (fake) Claude Code provider', () => {
  it('completes with the result, keeps the session id, and sums usage and cost per task and run', async () => {
    writeFileSync(
      path.join(ws, '.orchestratorrc'),
      `providers:\n  claude: { type: claude, command: ${JSON.stringify(fake('claude'))} }\n\n`,
    );
    writeFileSync(
      path.join(ws, 'plan.yaml'),
      'name: p\ntasks:\n  - { id: a, agent: coder, prompt: "add sum", followUps: false }\n  - { id: b, agent: reviewer, prompt: "review", dependsOn: [a], followUps: false }\n  - { id: c, agent: coder, prompt: "scenario:rate-limit" }\n',
    );
    // The person trusts the project file that names the provider's command, as `orchestrator trust` does.
    const env = { HOME: home, XDG_CONFIG_HOME: path.join(home, '.config') };
    await trustProjectConfig({ cwd: ws, env });
    const { config } = await loadConfig({ cwd: ws, env });
    const plan = await loadPlan(path.join(ws, 'plan.yaml'), { workspace: ws, knownRoles: Object.keys(config.agents) });
    const engine = new Engine({ plan, config, backends: createBackends(), publishIntervalMs: 0 });
    await engine.run();
    const snap = engine.store.getSnapshot();
    const task = (id: string) => snap.tasks.find((t) => t.spec.id === id)!;
    expect(task('a').state).toEqual({ kind: 'completed', result: 'Added sum() to src/a.ts with a test; npm test passes.' });
    expect(task('b').state.kind).toBe('completed');
    expect(task('a').sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(task('b').sessionId).not.toBe(task('a').sessionId);
    expect(task('a').usage).toEqual({ inputTokens: 16, outputTokens: 412, cacheReadTokens: 44020, cacheWriteTokens: 2183, costUsd: 0.0421 });
    expect(task('c').state).toMatchObject({ kind: 'failed', failure: 'transient', retryAfterMs: 30_000 });
    expect(snap.usage.costUsd).toBeCloseTo(0.0842, 6);
    expect(snap.usage.outputTokens).toBe(824);
  });
});

describe('a retried agent task that resumes its session', () => {
  // Goose's `complete` and Codex's `turn.completed` report the session's running totals.
  it.each([
    ['goose', { inputTokens: 8400, outputTokens: 600 }],
    ['codex', { inputTokens: 5400, cacheReadTokens: 3000, outputTokens: 600 }],
  ] as const)("%s: counts the session's tokens once: the resumed run's totals less what the first run reported", async (type, want) => {
    writeFileSync(
      path.join(ws, '.orchestratorrc'),
      `providers:\n  ${type}: { type: ${type}, command: ${JSON.stringify(fake(type))} }\nagents:\n  local: { provider: ${type} }\nretryBaseMs: 1\nretryMaxMs: 1\n`,
    );
    writeFileSync(path.join(ws, 'plan.yaml'), 'name: p\ntasks:\n  - { id: g, agent: local, prompt: "scenario:session-totals", retries: 1, followUps: false }\n');
    // The person trusts the project file that names the provider's command, as `orchestrator trust` does.
    const env = { HOME: home, XDG_CONFIG_HOME: path.join(home, '.config') };
    await trustProjectConfig({ cwd: ws, env });
    const { config } = await loadConfig({ cwd: ws, env });
    const plan = await loadPlan(path.join(ws, 'plan.yaml'), { workspace: ws, knownRoles: Object.keys(config.agents) });
    const engine = new Engine({ plan, config, backends: createBackends(), publishIntervalMs: 0 });
    await engine.run();
    const g = engine.store.require('g');
    expect(g.state.kind).toBe('completed');
    expect(g.attempts).toBe(2);
    expect(g.usage).toMatchObject(want);
  });
});
