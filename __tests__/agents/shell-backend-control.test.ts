import { afterEach, describe, expect, it } from '@jest/globals';
import { liveGroupPids } from '../../src/os/process-group.js';
import { createShellBackend } from '../../src/agents/shell-backend.js';
import type { Execution } from '../../src/agents/backend.js';
import { within } from '../scheduler/lock-helpers.js';
import { groupMembers, groupProcs, liveMembers, psStat, shellRun, waitFor } from './helpers.js';
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
    expect(liveMembers(pgid)).toEqual([]);
    // The leader is our child and must have been reaped; orphaned grandchildren belong to init.
    expect(psStat(pgid)).toBe('');
    expect(groupMembers(pgid).filter((row) => row.ppid === process.pid)).toEqual([]);
    expect(liveGroupPids()).not.toContain(pgid);
  });

  it('stops at SIGTERM when the group obeys it, without waiting out the grace', async () => {
    // A grace far longer than the test: ending in time means SIGTERM did it.
    const run = shellRun('sleep 1000 & echo "leader $$"; wait', { killGraceMs: 600_000 });
    const execution = start(run);
    await waitFor(() => /leader \d+/.test(run.text()), 5000, 'the leader pid');
    const pgid = leaderPid(run.text());
    run.controller.abort('timeout after 10m');
    expect(await within(execution.done, 20_000, 'the group to obey SIGTERM')).toEqual({ ok: false, reason: 'timeout after 10m' });
    expect(liveMembers(pgid)).toEqual([]);
  });

  it('uses the abort error message, or "This operation was aborted" without a reason', async () => {
    const run = shellRun('echo up; sleep 1000', { killGraceMs: 100 });
    const execution = start(run);
    await waitFor(() => run.text().includes('up'), 5000, 'the script to start');
    run.controller.abort();
    expect(await execution.done).toEqual({ ok: false, reason: 'This operation was aborted' });
  });

  it('never spawns when the signal is already aborted', async () => {
    // A spawned agent is registered and reported (its pid) before start() returns: none may be.
    const reports: unknown[] = [];
    const run = shellRun('touch spawned', { report: (info) => reports.push(info) });
    run.controller.abort(new Error('shutting down'));
    const before = liveGroupPids().length;
    const execution = start(run);
    expect(liveGroupPids().length).toBe(before);
    expect(reports).toEqual([]);
    expect(await execution.done).toEqual({ ok: false, reason: 'shutting down' });
    expect(reports).toEqual([]);
  });
});

const COUNTER = 'echo "leader $$"; i=0; while :; do i=$((i+1)); echo "n $i"; sleep 0.02; done';
const counted = (text: string): number => (text.match(/^n \d+$/gm) ?? []).length;
/**
 * Every live member of the group is stopped (SIGSTOP): state T. A shell
 * caught in vfork when the signal came is the exception: it waits (state D)
 * for its child to exec, the child is stopped before it could, and the shell
 * stops only once the child goes on; it runs nothing meanwhile either.
 */
const allStopped = (pgid: number): boolean => {
  const live = groupProcs(pgid).filter((p) => p.state !== 'Z');
  const inVfork = (p: (typeof live)[number]) => p.state === 'D' && live.some((c) => c.ppid === p.pid && c.state === 'T');
  return live.length > 0 && live.every((p) => p.state === 'T' || inVfork(p));
};

describe('shell backend: pause and resume', () => {
  it('stops the whole group while paused and continues it on resume', async () => {
    const run = shellRun(COUNTER, { killGraceMs: 300 });
    const execution = start(run);
    await waitFor(() => counted(run.text()) >= 5, 5000, 'the counter to run');
    const pgid = leaderPid(run.text());

    execution.pause();
    // Stopped processes print nothing: every member stopped is what "no output while paused" rests on.
    await waitFor(() => allStopped(pgid), 15_000, `every member stopped: ${JSON.stringify(groupProcs(pgid))}`);
    const atPause = counted(run.text());

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
    // A grace far longer than the test: ending in time means the SIGTERM after SIGCONT did it.
    const run = shellRun(COUNTER, { killGraceMs: 600_000 });
    const execution = start(run);
    await waitFor(() => counted(run.text()) >= 2, 5000, 'the counter to run');
    const pgid = leaderPid(run.text());
    execution.pause();
    await waitFor(() => allStopped(pgid), 15_000, `every member stopped: ${JSON.stringify(groupProcs(pgid))}`);
    run.controller.abort('cancelled');
    expect(await within(execution.done, 20_000, 'the paused group to obey SIGTERM')).toEqual({ ok: false, reason: 'cancelled' });
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
    // The member sleeps far longer than the test: the run ends in time only because it was killed.
    const run = shellRun('sleep 1000 & echo "leader $$"; echo finished', { killGraceMs: 300 });
    const outcome = await within(start(run).done, 20_000, 'the run to end');
    expect(outcome).toEqual({ ok: true, result: expect.stringMatching(/finished$/) });
    expect(liveMembers(leaderPid(run.text()))).toEqual([]);
  });

  it('kills background members that closed their output, before resolving', async () => {
    const run = shellRun('trap "" TERM; sleep 1000 >/dev/null 2>&1 & echo "leader $$"', { killGraceMs: 200 });
    const outcome = await start(run).done;
    expect(outcome.ok).toBe(true);
    expect(liveMembers(leaderPid(run.text()))).toEqual([]);
  });

  it('does not hang on a process that left the group and keeps the pipe open', async () => {
    // It sleeps far longer than the test: the run ends in time only if it does not wait for the pipe.
    const run = shellRun('setsid sleep 1000 & echo "escaped $!"; echo finished');
    const outcome = await within(start(run).done, 20_000, 'the run to end');
    const escaped = Number(/escaped (\d+)/.exec(run.text())?.[1]);
    try {
      expect(outcome).toEqual({ ok: true, result: expect.stringMatching(/finished$/) });
      expect(psStat(escaped)).not.toBe(''); // still running: it really held the pipe open
    } finally {
      if (escaped > 0) process.kill(escaped, 'SIGKILL');
    }
  });
});
