import { describe, expect, it } from '@jest/globals';
import path from 'node:path';
import type { OutputOnly } from '../../src/agents/backend.js';
import { commandAdapter } from '../../src/agents/providers/command.js';
import { FIXTURES, runAgent } from './providers/helpers.js';
import { DRAWN, PROMPT_BOX } from '../fixtures/tui-agent-screen.js';

/** The fake TUI (fixtures/tui-agent.mjs) as an interactive role: in a pty, as Claude Code or Codex run. */
function runTui(scenario: 'ok' | 'fail') {
  const out: { chunk: string; only: OutputOnly | undefined }[] = [];
  const run = runAgent(commandAdapter, {
    prompt: scenario,
    provider: { type: 'command', command: process.execPath, args: [path.join(FIXTURES, 'tui-agent.mjs'), '{prompt}'] },
    role: { interactive: true },
    output: (chunk, only) => out.push({ chunk, only }),
  });
  const of = (only: OutputOnly) => out.filter((o) => o.only === only).map((o) => o.chunk).join('');
  return { run, screen: () => of('screen'), transcript: () => of('transcript'), unmarked: () => out.filter((o) => o.only === undefined) };
}


describe('an agent in a terminal (pty): its text is what its screen showed', () => {
  it('the transcript is the rendered screen: cursor-move spaces, one line per redraw, the alternate screen when left', async () => {
    const tui = runTui('fail');
    await tui.run.done;
    expect(tui.transcript()).toBe(
      [...DRAWN, '✗ Error: Failed to connect to api.example.com (ECONNREFUSED)', 'retrying is up to you', ...PROMPT_BOX, 'Press Ctrl+C to exit', ''].join('\n'),
    );
    // The pane still gets the terminal's own bytes; nothing goes out unmarked.
    expect(tui.screen()).toContain('Failed\x1b[1Cto\x1b[1Cconnect');
    expect(tui.unmarked()).toEqual([]);
  });

  it('the failure reason leads with the line that tells, then the screen as text', async () => {
    const outcome = await runTui('fail').run.done;
    if (outcome.ok) throw new Error('the TUI failed: the attempt must too');
    const [first, ...rest] = outcome.reason.split('\n');
    expect(first).toBe('exit code 1: ✗ Error: Failed to connect to api.example.com (ECONNREFUSED)');
    expect(rest.join('\n')).toContain('retrying is up to you\n╭');
    expect(outcome.reason).not.toContain('\x1b');
    expect(outcome.reason).not.toContain('Failedto');
  });

  it('the result is the end of the rendered screen', async () => {
    const outcome = await runTui('ok').run.done;
    // The tail keeps no blank lines.
    expect(outcome).toEqual({ ok: true, result: [...DRAWN.filter((l) => l !== ''), 'All 3 tests passed', ...PROMPT_BOX].join('\n') });
  });
});
