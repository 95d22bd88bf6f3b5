import { afterEach, describe, expect, it } from '@jest/globals';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PtyRun, stopRun, tempWorkspace, until } from './pty-harness.js';

const MOUSE_ON = '\u001b[?1000h\u001b[?1006h';
const MOUSE_OFF = '\u001b[?1000l\u001b[?1006l';

let run: PtyRun | undefined;
afterEach(() => {
  stopRun(run);
  run = undefined;
});


/**
 * A workspace with a plan of two long-running shell tasks, and a fake pager
 * that keeps what it was given, says so on the terminal, and reads one line
 * from the terminal itself (as less reads its keys), keeping that too. It sets
 * the terminal's modes itself first, as less does.
 */
function workspace(): { ws: string; pager: string } {
  const ws = tempWorkspace();
  writeFileSync(
    path.join(ws, 'plan.yaml'),
    ['name: room', 'tasks:', '  - { id: alpha, agent: shell, prompt: "printf \'ALPHA-MARKER bell\\\\007here\\\\n\'; sleep 60" }', '  - { id: beta, agent: shell, prompt: "echo beta here; sleep 60" }', ''].join('\n'),
  );
  const pager = path.join(ws, 'fake-pager');
  writeFileSync(pager, `#!/bin/sh\ncat > "${pager}.got"\nstty sane < /dev/tty\necho FAKE-PAGER-OPEN\nread -r line < /dev/tty\necho "$line" > "${pager}.typed"\n`);
  chmodSync(pager, 0o755);
  return { ws, pager };
}

describe('the mouse and the pager, in a real terminal', () => {
  it('turns mouse reports on, maps a click to the row, and hands the whole terminal to $PAGER and back', async () => {
    const { ws, pager } = workspace();
    let raw = '';
    run = new PtyRun(['run', 'plan.yaml', '--workspace', ws], { cwd: ws, env: { PAGER: pager } });
    run.proc.onData((d) => (raw += d));
    await run.see('running 2/4');
    await run.see('ALPHA-MARKER');
    expect(raw).toContain(MOUSE_ON);

    // 120 columns: header rows 1–2, the list's border 3, title 4, level heading 5, alpha 6, beta 7 (1-based, as SGR counts).
    run.proc.write('\u001b[<0;6;7M\u001b[<0;6;7m');
    await run.see('selected beta');
    await run.see('beta here');
    run.proc.write('\u001b[<0;6;6M\u001b[<0;6;6m');
    await run.see('selected alpha');

    const before = raw.length;
    await run.press('o');
    await run.see('FAKE-PAGER-OPEN');
    // The mouse was off before the pager started, and no frame was drawn over it.
    const handover = raw.slice(before);
    expect(handover.indexOf(MOUSE_OFF)).toBeGreaterThanOrEqual(0);
    expect(handover.indexOf(MOUSE_OFF)).toBeLessThan(handover.indexOf('FAKE-PAGER-OPEN'));
    const pagerStart = raw.length;
    // Typed into the pager: every key is the pager's, none the dashboard's.
    await run.press(...'typed-in-pager', '\r');
    await until(() => existsSync(`${pager}.typed`) && readFileSync(`${pager}.typed`, 'utf8') === 'typed-in-pager\n', 'the pager got the line');
    await run.see('back from the transcript of alpha');
    // Redrawn whole: the header and both rows again, and the mouse back on.
    await run.waitFor((s) => s.includes('running 2/4') && s.includes('alpha') && s.includes('beta'), 'the dashboard redrawn');
    // The mouse is turned on in an effect after the frame is drawn: on a loaded machine it may come a moment later.
    await until(() => raw.slice(pagerStart).includes(MOUSE_ON), 'mouse reports on again');
    expect(run.screen()).not.toContain('does nothing here');
    // What `orchestrator logs RUN alpha` prints to a terminal: the agent's control characters made visible.
    expect(readFileSync(`${pager}.got`, 'utf8')).toContain('ALPHA-MARKER bell\\ahere');

    // A ctrl+c typed into the pager is the pager's: it ends the pager, never the run.
    await run.press('o');
    await run.waitFor((s) => s.includes('FAKE-PAGER-OPEN') && !s.includes('back from'), 'the pager again');
    await run.press('\u0003');
    await run.see('back from the transcript of alpha');
    await run.waitFor((s) => s.includes('running 2/4'), 'both still running');
    expect(run.all()).not.toContain('stopping running tasks');

    await run.press('q', 'y');
    await run.exited;
    expect(raw.lastIndexOf(MOUSE_OFF)).toBeGreaterThan(raw.lastIndexOf(MOUSE_ON));
  }, 90_000);

  it('leaves the mouse to the terminal with mouse: false', async () => {
    const { ws } = workspace();
    writeFileSync(path.join(ws, 'quiet.json'), JSON.stringify({ mouse: false }));
    let raw = '';
    run = new PtyRun(['run', 'plan.yaml', '--workspace', ws, '--config', 'quiet.json'], { cwd: ws });
    run.proc.onData((d) => (raw += d));
    await run.see('running 2/4');
    await run.press('q', 'y');
    await run.exited;
    expect(raw).not.toContain(MOUSE_ON);
  }, 60_000);
});
