import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createShellBackend } from '../../src/agents/shell-backend.js';
import { loadConfig, trustProjectConfig } from '../../src/config/load.js';
import { loadPlan } from '../../src/plan/load.js';
import { Engine } from '../../src/scheduler/engine.js';
import type { BackendRegistry } from '../../src/agents/registry.js';
import { ScriptedBackend } from '../scheduler/harness.js';

let ws: string;
let home: string;

beforeEach(() => {
  ws = mkdtempSync(path.join(os.tmpdir(), 'orch-int-'));
  home = mkdtempSync(path.join(os.tmpdir(), 'orch-home-'));
});

afterEach(() => {
  rmSync(ws, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
});

/** Loads config and plan from real files in the temp workspace, as the CLI does. */
async function load(rc: string, planYaml: string, backends: BackendRegistry = { shell: createShellBackend() }) {
  writeFileSync(path.join(ws, '.orchestratorrc'), rc);
  writeFileSync(path.join(ws, 'plan.yaml'), planYaml);
  const env = { HOME: home, XDG_CONFIG_HOME: path.join(home, '.config') };
  await trustProjectConfig({ cwd: ws, env });
  const { config } = await loadConfig({ cwd: ws, env });
  const plan = await loadPlan(path.join(ws, 'plan.yaml'), { workspace: ws, knownRoles: Object.keys(config.agents) });
  return new Engine({ plan, config, backends, publishIntervalMs: 0 });
}

describe('config → graph → execute → follow-ups', () => {
  it('runs a plan, spawns the workflow follow-up from config, and runs it too', async () => {
    const engine = await load(
      `
agents:
  build: { provider: shell }
  check: { provider: shell }
workflows:
  ci:
    steps:
      - agent: build
      - agent: check
        prompt: "test -s {{task.writes}} && echo checked {{task.id}}: {{task.result}}"
`,
      `
name: int
tasks:
  - id: gen
    agent: build
    writes: [out.txt]
    prompt: "echo generated > out.txt && echo wrote out.txt"
  - id: after
    agent: shell
    dependsOn: [gen]
    prompt: "cat out.txt"
`,
    );
    const summary = await engine.run();
    expect(summary.exitCode).toBe(0);
    const byId = Object.fromEntries(summary.tasks.map((t) => [t.spec.id, t]));
    expect(Object.keys(byId)).toEqual(['gen', 'after', 'gen-check']);
    expect(byId['gen-check']!.state).toEqual({ kind: 'completed', result: 'checked gen: wrote out.txt' });
    expect(byId['gen-check']!.spec.writes).toEqual([path.join(ws, 'out.txt')]);
    expect(byId.after!.state).toEqual({ kind: 'completed', result: 'generated' });
  });
});

describe('files and failure modes with real shell tasks', () => {
  it('two tasks on one file are serialised (their time spans never overlap); another file runs alongside', async () => {
    const span = (name: string) =>
      `echo "$(date +%s%N) start" >> ${name}.log; sleep 0.3; echo "$(date +%s%N) end" >> ${name}.log`;
    const engine = await load(
      'concurrency: 4\n',
      `
tasks:
  - { id: one, agent: shell, writes: [shared.txt], prompt: '${span('one')}' }
  - { id: two, agent: shell, writes: [./shared.txt], prompt: '${span('two')}' }
  - { id: free, agent: shell, writes: [other.txt], prompt: '${span('free')}' }
`,
    );
    const waits: string[] = [];
    engine.store.events.on('task-state', (e) => {
      if (e.to.kind === 'waiting-lock') waits.push(`${e.taskId} waits for ${path.basename(e.to.file)} held by ${e.to.heldBy}`);
    });
    expect((await engine.run()).exitCode).toBe(0);
    const times = (name: string) => readFileSync(path.join(ws, `${name}.log`), 'utf8').trim().split('\n').map((l) => BigInt(l.split(' ')[0]!));
    const [oneStart, oneEnd] = times('one');
    const [twoStart, twoEnd] = times('two');
    const [freeStart, freeEnd] = times('free');
    expect(oneEnd! <= twoStart! || twoEnd! <= oneStart!).toBe(true);
    expect(freeStart! < oneEnd! && oneStart! < freeEnd!).toBe(true);
    expect(waits).toEqual(['two waits for shared.txt held by one']);
  });

  it('a hard failure blocks its dependents; a soft one lets them run; exit code follows', async () => {
    const engine = await load(
      '{}\n',
      `
tasks:
  - { id: hard, agent: shell, prompt: 'echo "compiling"; echo "error: x" >&2; exit 4' }
  - { id: below-hard, agent: shell, dependsOn: [hard], prompt: 'true' }
  - { id: soft, agent: shell, failureMode: soft, prompt: 'exit 1' }
  - { id: below-soft, agent: shell, dependsOn: [soft], prompt: 'echo ran' }
`,
    );
    const summary = await engine.run();
    const byId = Object.fromEntries(summary.tasks.map((t) => [t.spec.id, t.state]));
    expect(byId.hard).toEqual({ kind: 'failed', exitCode: 4, reason: expect.stringMatching(/^exit code 4: .*error: x/s) });
    expect(byId['below-hard']).toEqual({ kind: 'blocked', by: 'hard', reason: 'hard failed' });
    expect(byId.soft).toMatchObject({ kind: 'failed', exitCode: 1 });
    expect(byId['below-soft']).toEqual({ kind: 'completed', result: 'ran' });
    expect(summary.exitCode).toBe(1);
  });

  it('a timeout kills the task and fails it with "timed out after"', async () => {
    const engine = await load('{}\n', `tasks:\n  - { id: slow, agent: shell, timeout: 300ms, prompt: 'sleep 30' }\n`);
    const started = Date.now();
    const summary = await engine.run();
    expect(summary.tasks[0]!.state).toEqual({ kind: 'failed', reason: 'timed out after 300ms' });
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('roles are routed to the backend of their provider type', () => {
  it('each role reaches its configured provider, with that provider command and env', async () => {
    const fake = new ScriptedBackend({ outcome: (ctx) => ({ ok: true, result: `fake ran ${ctx.task.id}` }) });
    const engine = await load(
      `
providers:
  plain: { type: shell, command: /bin/sh, env: { WHO: plain } }
  fancy: { type: shell, command: /bin/bash, env: { WHO: fancy } }
  any:   { type: command, command: my-agent }
agents:
  alpha: { provider: plain }
  beta:  { provider: fancy }
  gamma: { provider: any, model: m1 }
`,
      `
tasks:
  - { id: a, agent: alpha, prompt: 'echo "$WHO $0"' }
  - { id: b, agent: beta, prompt: 'echo "$WHO $BASH_VERSION" | cut -c1-7' }
  - { id: c, agent: gamma, prompt: 'do things' }
`,
      { shell: createShellBackend(), command: fake },
    );
    const summary = await engine.run();
    const byId = Object.fromEntries(summary.tasks.map((t) => [t.spec.id, t.state]));
    expect(byId.a).toEqual({ kind: 'completed', result: 'plain /bin/sh' });
    expect(byId.b).toEqual({ kind: 'completed', result: expect.stringMatching(/^fancy \d/) });
    expect(byId.c).toEqual({ kind: 'completed', result: 'fake ran c' });
    expect(fake.calls.map((c) => [c.ctx.providerName, c.ctx.provider.command, c.ctx.role.model])).toEqual([['any', 'my-agent', 'm1']]);
  });
});
