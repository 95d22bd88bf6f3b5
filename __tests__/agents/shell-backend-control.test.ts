import { afterEach, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { liveGroupPids } from '../../src/os/process-group.js';
import { createShellBackend } from '../../src/agents/shell-backend.js';
import type { Execution } from '../../src/agents/backend.js';
import { groupMembers, liveMembers, psStat, shellRun, waitFor } from './helpers.js';
import type { TestRun } from './helpers.js';

const backend = createShellBackend();
const cleanups: Array<() => Promise<unknown>> = [];

/** Starts a run and remembers it, so a failing assertion cannot leave a group running (and jest hanging). */
function start(run: TestRun): Execution {
  const execution = backend.start(run.ctx);
  cleanups.push(() => {
    execution.resume();
    run.controller.abort('test cleanup');
    return execution.done;
  });
  return execution;
}

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A script that ignores SIGTERM and leaves three grandchildren that ignore it too. */
const STUBBORN = `
trap '' TERM
for i in 1 2 3; do sh -c 'trap "" TERM; sleep 1000' & done
echo "leader $$"
wait
`;

function leaderPid(text: string): number {
  const m = /leader (\d+)/.exec(text);
  if (!m) throw new Error(`no leader pid in ${JSON.stringify(text)}`);
  return Number(m[1]);
}

describe('shell backend: abort', () => {
  it('kills the whole group, grandchildren ignoring SIGTERM included, after the grace', async () => {
    const run = shellRun(STUBBORN, { killGraceMs: 300 });
    const execution = start(run);
    await waitFor(() => /leader \d+/.test(run.text()), 5000, 'the leader pid');
    const pgid = leaderPid(run.text());
    await waitFor(() => liveMembers(pgid).length >= 7, 5000, 'leader, 3 subshells, 3 sleeps');
    expect(liveGroupPids()).toContain(pgid);

    const t0 = Date.now();
    run.controller.abort(new Error('cancelled by you'));
    const outcome = await execution.done;
    const took = Date.now() - t0;

    expect(outcome).toEqual({ ok: false, reason: 'cancelled by you' });
    expect(took).toBeGreaterThanOrEqual(280); // SIGTERM was ignored: the grace ran out
    expect(took).toBeLessThan(3000);
    expect(liveMembers(pgid)).toEqual([]);
    // The leader is our child and must have been reaped; orphaned grandchildren belong to init.
    expect(psStat(pgid)).toBe('');
    expect(groupMembers(pgid).filter((row) => row.ppid === process.pid)).toEqual([]);
    expect(liveGroupPids()).not.toContain(pgid);
  });

  it('stops promptly when the group obeys SIGTERM', async () => {
    const run = shellRun('sleep 1000 & echo "leader $$"; wait', { killGraceMs: 5000 });
    const execution = start(run);
    await waitFor(() => /leader \d+/.test(run.text()), 5000, 'the leader pid');
    const pgid = leaderPid(run.text());
    const t0 = Date.now();
    run.controller.abort('timeout after 10m');
    expect(await execution.done).toEqual({ ok: false, reason: 'timeout after 10m' });
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(liveMembers(pgid)).toEqual([]);
  });

  it('uses the abort error message, or "This operation was aborted" without a reason', async () => {
    const run = shellRun('sleep 1000', { killGraceMs: 100 });
    const execution = start(run);
    setTimeout(() => run.controller.abort(), 50);
    expect(await execution.done).toEqual({ ok: false, reason: 'This operation was aborted' });
  });

  it('never spawns when the signal is already aborted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orch-abort-'));
    try {
      const run = shellRun('touch spawned', { workdir: dir });
      run.controller.abort(new Error('shutting down'));
      const before = liveGroupPids().length;
      const execution = start(run);
      expect(liveGroupPids().length).toBe(before);
      expect(await execution.done).toEqual({ ok: false, reason: 'shutting down' });
      await new Promise((r) => setTimeout(r, 200));
      expect(existsSync(join(dir, 'spawned'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const COUNTER = 'echo "leader $$"; i=0; while :; do i=$((i+1)); echo "n $i"; sleep 0.02; done';
const counted = (text: string): number => (text.match(/^n \d+$/gm) ?? []).length;

describe('shell backend: pause and resume', () => {
  it('stops output while paused and continues it on resume', async () => {
    const run = shellRun(COUNTER, { killGraceMs: 300 });
    const execution = start(run);
    await waitFor(() => counted(run.text()) >= 5, 5000, 'the counter to run');
    const pgid = leaderPid(run.text());

    execution.pause();
    await new Promise((r) => setTimeout(r, 60)); // let output already in the pipe arrive
    const atPause = counted(run.text());
    await new Promise((r) => setTimeout(r, 300));
    expect(counted(run.text())).toBe(atPause);

    execution.resume();
    await waitFor(() => counted(run.text()) >= atPause + 5, 3000, 'the counter to continue');
    const numbers = (run.text().match(/^n (\d+)$/gm) ?? []).map((l) => Number(l.slice(2)));
    expect(numbers).toEqual(numbers.map((_, i) => i + 1)); // continued, not restarted

    run.controller.abort('done');
    expect(await execution.done).toEqual({ ok: false, reason: 'done' });
    expect(liveMembers(pgid)).toEqual([]);
  });

  it('keeps running after many quick pause/resume cycles (a pause can land mid-fork)', async () => {
    const run = shellRun(COUNTER);
    const execution = start(run);
    await waitFor(() => counted(run.text()) >= 2, 5000, 'the counter to run');
    for (let i = 0; i < 100; i++) {
      execution.pause();
      await new Promise((r) => setTimeout(r, 1 + (i % 7)));
      execution.resume();
      await new Promise((r) => setTimeout(r, 1 + (i % 5)));
    }
    const after = counted(run.text());
    await waitFor(() => counted(run.text()) >= after + 5, 3000, 'the counter to continue');
  });

  it('can still kill a paused group, without waiting out the grace', async () => {
    // SIGTERM stays pending on a stopped process: only the SIGCONT after it lets the group obey.
    const run = shellRun(COUNTER, { killGraceMs: 5000 });
    const execution = start(run);
    await waitFor(() => counted(run.text()) >= 2, 5000, 'the counter to run');
    const pgid = leaderPid(run.text());
    execution.pause();
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    run.controller.abort('cancelled');
    expect(await execution.done).toEqual({ ok: false, reason: 'cancelled' });
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(liveMembers(pgid)).toEqual([]);
    expect(psStat(pgid)).toBe('');
  });

  it('can still kill a paused group that ignores SIGTERM', async () => {
    const run = shellRun(`trap '' TERM; ${COUNTER}`, { killGraceMs: 200 });
    const execution = start(run);
    await waitFor(() => counted(run.text()) >= 2, 5000, 'the counter to run');
    const pgid = leaderPid(run.text());
    execution.pause();
    run.controller.abort('cancelled');
    expect(await execution.done).toEqual({ ok: false, reason: 'cancelled' });
    expect(liveMembers(pgid)).toEqual([]);
    expect(psStat(pgid)).toBe('');
  });
});

describe('shell backend: what the script leaves behind', () => {
  it('kills background members still holding the pipe once the leader exits', async () => {
    const run = shellRun('sleep 1000 & echo "leader $$"; echo finished', { killGraceMs: 300 });
    const t0 = Date.now();
    const outcome = await start(run).done;
    expect(outcome).toEqual({ ok: true, result: expect.stringMatching(/finished$/) });
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(liveMembers(leaderPid(run.text()))).toEqual([]);
  });

  it('kills background members that closed their output, before resolving', async () => {
    const run = shellRun('trap "" TERM; sleep 1000 >/dev/null 2>&1 & echo "leader $$"', { killGraceMs: 200 });
    const outcome = await start(run).done;
    expect(outcome.ok).toBe(true);
    expect(liveMembers(leaderPid(run.text()))).toEqual([]);
  });

  it('does not hang on a process that left the group and keeps the pipe open', async () => {
    const run = shellRun('setsid sleep 30 & echo "escaped $!"; echo finished');
    const t0 = Date.now();
    const outcome = await start(run).done;
    const escaped = Number(/escaped (\d+)/.exec(run.text())?.[1]);
    try {
      expect(outcome).toEqual({ ok: true, result: expect.stringMatching(/finished$/) });
      expect(Date.now() - t0).toBeLessThan(3000);
      expect(psStat(escaped)).not.toBe(''); // still running: it really held the pipe open
    } finally {
      if (escaped > 0) process.kill(escaped, 'SIGKILL');
    }
  });
});
