import { afterEach, describe, expect, it } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { KEYS, PtyRun, stopRun, tempWorkspace } from './pty-harness.js';

/**
 * An interactive task that asks and waits: the built binary in a real pty
 * marks it and rings the terminal's bell (counted by the emulator's onBell, as
 * a terminal would beep) unless config says `bell: false`. (A headless run
 * refuses interactive tasks; its line is tested on the reporter.)
 */
const PLAN = `tasks:
  - id: ask
    agent: shell-tty
    prompt: |
      echo starting; printf 'Proceed? [y/N] '; read a; echo "got $a"
`;

function workspace(bell?: boolean): { ws: string; config: string } {
  const ws = tempWorkspace();
  const config = path.join(ws, 'orchestrator.yaml');
  writeFileSync(config, `agents:\n  shell-tty: { provider: shell, interactive: true }\n${bell === undefined ? '' : `bell: ${bell}\n`}`);
  writeFileSync(path.join(ws, 'plan.yaml'), PLAN);
  return { ws, config };
}

let run: PtyRun | undefined;
afterEach(() => {
  stopRun(run);
  run = undefined;
});

/** Runs the plan in the dashboard until its task needs you, answers it, and returns the bells heard up to the end. */
async function answerInDashboard(bell?: boolean): Promise<{ atQuestion: number; atEnd: number }> {
  const { ws, config } = workspace(bell);
  run = new PtyRun(['run', 'plan.yaml', '--config', config, '--workspace', ws], { cwd: ws });
  let bells = 0;
  run.term.onBell(() => bells++);
  await run.waitFor((s) => s.includes('? 1 needs you') && s.includes("needs you: Proceed?"), 'ask marked as needing you');
  const atQuestion = bells;
  await run.press('i', 'y', KEYS.enter);
  await run.see('run succeeded');
  expect(run.screen()).not.toContain('needs you');
  // The end's bell is written right after the frame that says so.
  const end = performance.now() + (bell === false ? 1000 : 10_000);
  while (bells === atQuestion && performance.now() < end) await new Promise((r) => setTimeout(r, 20));
  return { atQuestion, atEnd: bells };
}

describe('a task that needs you, end to end', () => {
  it('is marked in the dashboard, and the bell rings once when it starts needing you and once when the run ends', async () => {
    expect(await answerInDashboard()).toEqual({ atQuestion: 1, atEnd: 2 });
  }, 60_000);

  it('rings no bell with bell: false in config', async () => {
    expect(await answerInDashboard(false)).toEqual({ atQuestion: 0, atEnd: 0 });
  }, 60_000);

});
