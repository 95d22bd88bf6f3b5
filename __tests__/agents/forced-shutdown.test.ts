import { afterEach, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killLiveGroups, liveGroupPids } from '../../src/os/process-group.js';
import { createShellBackend } from '../../src/agents/shell-backend.js';
import { defaultConfig } from '../../src/config/defaults.js';
import type { TaskSpec } from '../../src/plan/schema.js';
import { Engine } from '../../src/scheduler/engine.js';
import { groupProcs, waitFor } from './helpers.js';

let ws: string | undefined;

afterEach(() => {
  // A failed assertion must not leave its SIGTERM-proof agents behind (jest would never exit).
  killLiveGroups();
  if (ws) rmSync(ws, { recursive: true, force: true });
  ws = undefined;
});


describe('a forced shutdown (second Ctrl+C) reaches every session', () => {
  it('SIGKILLs pty and pipe agents whose whole trees ignore SIGTERM, without waiting out the grace', async () => {
    ws = mkdtempSync(join(tmpdir(), 'orch-force-'));
    const dir = ws;
    const config = defaultConfig();
    // A grace far longer than the test: only the forced shutdown can end these groups in time.
    config.killGraceMs = 600_000;
    config.agents['shell-pty'] = { provider: 'shell', interactive: true };
    // The leader records its pid (its process group: sh -c leads a new group) and starts three
    // grandchildren that ignore SIGTERM; it survives SIGTERM too, noting each one it gets, so the
    // test sees the graceful stop was tried (a group signal reaches every member at once).
    const spec = (id: string, agent: string): TaskSpec => ({
      id, agent, prompt: [
        `echo $$ > '${dir}/${id}.pid'`,
        `for i in 1 2 3; do sh -c 'trap "" TERM; sleep 1000' & done`,
        `trap 'echo term >> "${dir}/${id}.term"' TERM`,
        'while :; do wait; done',
      ].join('\n'),
      dependsOn: [], writes: [], failureMode: 'hard', retries: 0, followUps: false,
    });
    const engine = new Engine({
      plan: { name: 'force', file: join(dir, 'plan.yaml'), workspace: dir, tasks: [spec('in-pty', 'shell-pty'), spec('on-pipes', 'shell')] },
      config,
      backends: { shell: createShellBackend() },
      killAll: killLiveGroups,
      publishIntervalMs: 0,
    });
    const run = engine.run();
    // `echo $$ > file` creates the file before it writes: a pid is there once its line is whole.
    const pidLine = (id: string): string => (existsSync(join(dir, `${id}.pid`)) ? readFileSync(join(dir, `${id}.pid`), 'utf8') : '');
    const pgid = (id: string): number => Number(pidLine(id));
    await waitFor(() => pidLine('in-pty').endsWith('\n') && pidLine('on-pipes').endsWith('\n'), 10_000, 'both agents to start');
    const groups = [pgid('in-pty'), pgid('on-pipes')];
    await waitFor(() => groups.every((g) => groupProcs(g).length >= 7), 10_000, 'leader, 3 subshells, 3 sleeps in each group');
    expect(liveGroupPids()).toEqual(expect.arrayContaining(groups));

    void engine.shutdown('SIGINT'); // SIGTERM: ignored by all of them
    await waitFor(() => existsSync(join(dir, 'in-pty.term')) && existsSync(join(dir, 'on-pipes.term')), 10_000, 'both leaders to get SIGTERM');
    expect(groups.map((g) => groupProcs(g).filter((p) => p.state !== 'Z').length)).toEqual([7, 7]);

    const summary = await engine.shutdown('SIGINT', { force: true });
    expect(summary.interrupted).toBe('SIGINT');
    expect(summary.tasks.map((t) => t.state.kind)).not.toContain('running');
    await run;
    for (const g of groups) {
      await waitFor(() => groupProcs(g).length === 0, 10_000, `no survivor, no zombie in ${g}: ${JSON.stringify(groupProcs(g))}`);
      expect(liveGroupPids()).not.toContain(g);
    }
  }, 30_000);
});
