import { afterEach, describe, expect, it } from '@jest/globals';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';
import { PtyRun, tempWorkspace } from './pty-harness.js';

let watch: PtyRun | undefined;
let ws: string | undefined;
afterEach(() => {
  watch?.kill();
  watch = undefined;
  if (ws) rmSync(ws, { recursive: true, force: true });
  ws = undefined;
});

describe('orchestrator runs --watch', () => {
  it('redraws the list on a terminal until Ctrl+C (exit 0), and is refused into a pipe (exit 2)', async () => {
    ws = tempWorkspace();
    writeFileSync(path.join(ws, 'plan.yaml'), 'tasks:\n  - id: a\n    agent: shell\n    prompt: echo hi\n');
    const ran = await runCli(['run', 'plan.yaml', '--headless'], { cwd: ws });
    const id = /recorded as run (\S+):/.exec(ran.stdout)![1]!;

    watch = new PtyRun(['runs', '--watch'], { cwd: ws, cols: 140, rows: 20 });
    await watch.see(id);
    await watch.see('Ctrl+C to stop');
    const stamp = /every 1s · (\S+ \S+) UTC/.exec(watch.screen())![1]!;
    await watch.waitFor((s) => /every 1s · (\S+ \S+) UTC/.exec(s)?.[1] !== stamp && s.includes(id), 'a redraw with a later time');
    expect(watch.screen().split('\n').filter((l) => l.startsWith('RUN '))).toHaveLength(1);
    watch.proc.write('\u0003');
    expect((await watch.exited).exitCode).toBe(0);

    const piped = await runCli(['runs', '--watch'], { cwd: ws });
    expect(piped.code).toBe(2);
    expect(piped.stderr).toContain('stdout is not one');
    expect(piped.stdout).toBe('');
  });
});
