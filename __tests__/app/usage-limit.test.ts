import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { requireBuild, ROOT, runCli } from '../helpers/cli.js';
import type { CliOptions, CliResult } from '../helpers/cli.js';

/**
 * A provider's usage limit, end to end with the real binary: the stand-in agents print the real
 * CLIs' usage-limit output (fixtures captured from Claude Code 2.1.332 and Codex 0.171.0), resetting
 * FAKE_RESET_IN_S seconds ahead, and complete once their session is resumed after it.
 */
let ws: string;
let home: string;
const fakeClaude = path.join(ROOT, '__tests__/fixtures/fake-claude');
const fakeCodex = path.join(ROOT, '__tests__/fixtures/fake-codex');

beforeAll(async () => {
  requireBuild();
  ws = mkdtempSync(path.join(os.tmpdir(), 'orch-limit-'));
  home = mkdtempSync(path.join(os.tmpdir(), 'orch-limit-home-'));
  write(
    '.orchestratorrc',
    [
      'concurrency: 2',
      'limits: { marginSeconds: 0 }',
      'providers:',
      `  claude: { type: claude, command: ${JSON.stringify(fakeClaude)} }`,
      `  codex: { type: codex, command: ${JSON.stringify(fakeCodex)} }`,
      'agents:',
      '  capper: { provider: claude, isolation: none }',
      '  other: { provider: codex, isolation: none }',
      '',
    ].join('\n'),
  );
  expect((await cli(['trust'])).code).toBe(0);
});

afterAll(() => {
  rmSync(ws, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
});

function cli(args: string[], opts: Partial<CliOptions> = {}): Promise<CliResult> & { child: ChildProcess } {
  return runCli(args, { cwd: ws, home, ...opts });
}

function write(name: string, text: string): string {
  const file = path.join(ws, name);
  writeFileSync(file, text);
  return file;
}

describe.each([
  ['claude', 'capper'],
  ['codex', 'other'],
])('%s at its usage limit', (provider, role) => {
  it('waits for the reset, goes on by itself and completes, without spending a retry', async () => {
    // retries: 0: had the limit spent one, the task would have failed.
    const plan = write(`${provider}.yaml`, `tasks:\n  - { id: capped, agent: ${role}, prompt: "scenario:usage-limit-then-ok", retries: 0 }\n`);
    const r = await cli(['run', plan], { env: { FAKE_RESET_IN_S: '3' } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\ncapped\s+completed\s+2\s/);
    expect(r.stdout).not.toMatch(/capped\s+failed/);
    // Claude says the reset to the second; Codex to the minute, so a reset seconds ahead may read as passed already.
    if (provider === 'codex') return;
    expect(r.stdout).toMatch(/claude usage limit · resets \d\d:\d\d.*: its tasks wait \(capped goes on then, without spending a retry\)/);
    expect(r.stdout).toMatch(/claude usage limit reset: its tasks go on/);
    // The hold lasted until the reset the agent gave (2–3 s ahead: it says whole epoch seconds), by the run's own clock.
    const at = (re: RegExp) => Date.parse(`1970-01-01T${re.exec(r.stdout)![1]}Z`);
    expect(at(/(\d\d:\d\d:\d\d\.\d{3}) {2}claude usage limit reset/) - at(/(\d\d:\d\d:\d\d\.\d{3}) {2}claude usage limit · resets/)).toBeGreaterThanOrEqual(1500);
  });
});

describe('a usage limit', () => {
  it('holds only its provider: a task of another provider starts meanwhile', async () => {
    const plan = write(
      'mixed.yaml',
      'tasks:\n  - { id: capped, agent: capper, prompt: "scenario:usage-limit-then-ok" }\n  - { id: later, agent: capper, prompt: look, dependsOn: [gate] }\n  - { id: gate, agent: other, prompt: "scenario:slow" }\n',
    );
    const r = await cli(['run', plan], { env: { FAKE_RESET_IN_S: '4' } });
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    const held = lines.findIndex((l) => /claude usage limit · resets/.test(l));
    const reset = lines.findIndex((l) => /claude usage limit reset/.test(l));
    const gateDone = lines.findIndex((l) => /\sgate\s+completed/.test(l));
    expect(held).toBeGreaterThan(-1);
    expect(gateDone).toBeGreaterThan(held);
    expect(gateDone).toBeLessThan(reset);
  });

  it('survives kill -9: the recorded hold is honoured by resume, which then completes', async () => {
    const plan = write('crash.yaml', 'tasks:\n  - { id: capped, agent: capper, prompt: "scenario:usage-limit-then-ok", retries: 0 }\n');
    const run = cli(['run', plan], {
      env: { FAKE_RESET_IN_S: '6' },
      onStdout: (text, child) => {
        if (/its tasks wait/.test(text)) child.kill('SIGKILL');
      },
    });
    const killed = await run;
    expect(killed.signal).toBe('SIGKILL');
    const heldAt = Date.now();
    const resumed = await cli(['resume']);
    expect(resumed.stderr).toMatch(/resuming run \S+ \(crash\): 0 of 1 task done/);
    expect(resumed.code).toBe(0);
    // Held again until the recorded reset, not started at once.
    expect(resumed.stdout).toMatch(/claude usage limit · resets .*: its tasks wait/);
    expect(Date.now() - heldAt).toBeGreaterThanOrEqual(3000);
    expect(resumed.stdout).toMatch(/\ncapped\s+completed\s+2\s/);
  });

  it('ends the run as interrupted (exit 75) when the reset is further ahead than limits.maxWaitHours; resume holds it again', async () => {
    const config = write(
      'short.yaml',
      `limits: { maxWaitHours: 1 }\nproviders:\n  claude: { type: claude, command: ${JSON.stringify(fakeClaude)} }\nagents:\n  capper: { provider: claude, isolation: none }\n`,
    );
    const plan = write('far.yaml', 'tasks:\n  - { id: capped, agent: capper, prompt: "scenario:usage-limit-then-ok" }\n  - { id: next, agent: capper, prompt: look, dependsOn: [capped] }\n');
    const r = await cli(['run', plan, '--config', config], { env: { FAKE_RESET_IN_S: String(3 * 3600) } });
    expect(r.code).toBe(75);
    expect(r.stdout).toMatch(/far\.yaml: stopped: claude usage limit · resets .*\(in (2h59|3h0\d)m\), more than limits\.maxWaitHours away; resume the run after it/);
    const runId = /recorded as run (\S+):.*orchestrator resume/.exec(r.stdout)?.[1];
    expect(runId).toBeDefined();
    const again = await cli(['resume', runId!, '--config', config]);
    expect(again.code).toBe(75);
    expect(again.stdout).toMatch(/claude usage limit · resets .*\(in [23]h\d\dm\): its tasks wait/);
    expect(again.stdout).toMatch(/\ncapped\s+(pending|eligible)\s+1\s/);
    expect(again.stdout).not.toMatch(/capped\s+running/);
  });
});
