import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PtyRun } from '../e2e/pty-harness.js';
import { DRAWN, PROMPT_BOX } from '../fixtures/tui-agent-screen.js';
import { cli, ROOT, requireBuild } from './helpers.js';

let ws: string;

beforeAll(() => {
  requireBuild();
  ws = mkdtempSync(path.join(os.tmpdir(), 'orch-tui-'));
  const fixture = path.join(ROOT, '__tests__/fixtures/tui-agent.mjs');
  // The fake TUI as an interactive role: it runs in a pty, as Claude Code or Codex without -p do.
  writeFileSync(
    path.join(ws, 'rc.yaml'),
    `providers:\n  tui: { type: command, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(fixture)}, "{prompt}"] }\nagents:\n  tui: { provider: tui, interactive: true, isolation: none }\n`,
  );
  writeFileSync(path.join(ws, 'plan.yaml'), 'tasks:\n  - { id: t, agent: tui, prompt: fail, retries: 1 }\n');
});

afterAll(() => rmSync(ws, { recursive: true, force: true, maxRetries: 3 }));

describe('a TUI agent, recorded', () => {
  it('logs reads as its screen did, each attempt after a marker; the reason names the error', async () => {
    // An interactive task needs the dashboard (headless refuses it): a real terminal, left when the run ends.
    const run = new PtyRun(['run', 'plan.yaml', '--config', 'rc.yaml', '--exit-on-finish'], { cwd: ws });
    expect((await run.exited).exitCode).toBe(1);
    const [id] = readdirSync(path.join(ws, '.orchestrator', 'runs'));
    const logs = (await cli(ws, ['logs', id!, 't'])).stdout;
    const attempt = [...DRAWN, '✗ Error: Failed to connect to api.example.com (ECONNREFUSED)', 'retrying is up to you', ...PROMPT_BOX, 'Press Ctrl+C to exit'];
    const lines = logs.split('\n');
    const marker = lines.findIndex((l) => /^── attempt 2 · \d\d:\d\d:\d\d ──$/.test(l));
    expect(lines.slice(0, marker)).toEqual(attempt);
    expect(lines.slice(marker + 1)).toEqual([...attempt, '']);
    const show = (await cli(ws, ['show', id!])).stdout;
    expect(show).toMatch(/t\s+failed\s+2\s.*exit code 1: ✗ Error: Failed to connect to api\.example\.com \(ECONNREFUSED\)\n/);
  });
});
