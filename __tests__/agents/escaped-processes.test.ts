import { afterEach, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createShellBackend } from '../../src/agents/shell-backend.js';
import { defaultConfig } from '../../src/config/defaults.js';
import { TASK_ENV, findMarked, killRunProcesses } from '../../src/os/marked.js';
import { RUN_ENV, readProcFile, readStat, runEnv } from '../../src/os/proc.js';
import { killLiveGroups } from '../../src/os/process-group.js';
import type { TaskSpec } from '../../src/plan/schema.js';
import { Engine } from '../../src/scheduler/engine.js';
import { FakeClock } from '../scheduler/fake-clock.js';
import { shellRun, waitFor } from './helpers.js';

const ESCAPER = resolve('__tests__/fixtures/escaper.sh');

/** Every sleeper a test started, by pid and start time, SIGKILLed after it whatever happened. */
const started: { pid: number; startTime: string }[] = [];
let dir: string | undefined;

afterEach(() => {
  killLiveGroups();
  for (const p of started.splice(0)) if (alive(p)) process.kill(p.pid, 'SIGKILL');
  if (dir) {
    // A test that failed before it read a pid file: that sleeper too (still `sleep 1000`, so not a reused pid).
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.pid'))) {
      const pid = Number(readFileSync(join(dir, name), 'utf8'));
      const cmdline = readProcFile(pid, 'cmdline')?.toString('latin1') ?? '';
      if (pid > 1 && /sleep\0?1000/.test(cmdline)) process.kill(pid, 'SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  }
  dir = undefined;
});

function workdir(): string {
  dir = mkdtempSync(join(tmpdir(), 'orch-escaped-'));
  return dir;
}

/** True while the process runs (not a zombie) and is the one that had `startTime`. */
function alive(p: { pid: number; startTime: string }): boolean {
  const now = readStat(p.pid);
  return now !== undefined && now.state !== 'Z' && now.state !== 'X' && now.startTime === p.startTime;
}

/** Waits for a sleeper's pid file and registers the sleeper for cleanup. */
async function sleeper(pidfile: string): Promise<{ pid: number; startTime: string }> {
  await waitFor(() => existsSync(pidfile), 10_000, `a pid in ${pidfile}`);
  const pid = Number(readFileSync(pidfile, 'utf8'));
  const startTime = readStat(pid)?.startTime;
  if (startTime === undefined) throw new Error(`sleeper ${pid} is not running`);
  const p = { pid, startTime };
  started.push(p);
  // The sleeper left the agent's group and session: only its marker (or parentage) ties it to the task.
  expect(readStat(pid)?.session).toBe(pid);
  return p;
}

/** A sleeper of someone else (another run, or another task of the same run), started outside any session of ours. */
async function foreignSleeper(cwd: string, name: string, env: Record<string, string>): Promise<{ pid: number; startTime: string }> {
  const pidfile = join(cwd, `${name}.pid`);
  const child = spawn('/bin/sh', [ESCAPER, pidfile, 'exit0'], { env: { ...process.env, ...env }, stdio: 'ignore' });
  const p = await sleeper(pidfile);
  await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
  return p;
}

const task = (id: string, prompt: string, extra: Partial<TaskSpec> = {}): TaskSpec => ({
  id, agent: 'shell', prompt, dependsOn: [], writes: [], failureMode: 'soft', retries: 0, followUps: false, ...extra,
});

describe('what an agent started outside its process group ends with its task', () => {
  it('completed, failed, cancelled and timed out: each task’s escaped sleeper is stopped, no other task’s or run’s', async () => {
    const cwd = workdir();
    const run = 'run-a';
    const others = [
      await foreignSleeper(cwd, 'other-run', { [RUN_ENV]: 'run-b', [TASK_ENV]: 'run-b/completes/1/x' }),
      // The same run, a task of its own: a task's end touches only its own marker.
      await foreignSleeper(cwd, 'other-task', { [RUN_ENV]: run, [TASK_ENV]: `${run}/other/1/y` }),
    ];
    const config = defaultConfig();
    config.killGraceMs = 300;
    const clock = new FakeClock();
    const agent = (id: string, then: string): string => `sh '${ESCAPER}' '${cwd}/${id}.pid' ${then} '${cwd}/${id}.go'`;
    const engine = new Engine({
      plan: {
        name: 'escaped', file: join(cwd, 'plan.yaml'), workspace: cwd, tasks: [
          task('completes', agent('completes', 'exit0')),
          task('fails', agent('fails', 'exit1')),
          task('cancelled', agent('cancelled', 'stay')),
          task('times-out', agent('times-out', 'stay'), { timeoutMs: 60_000 }),
        ],
      },
      config,
      backends: { shell: createShellBackend({ env: runEnv(run) }) },
      killAll: killLiveGroups,
      clock,
      concurrency: 4,
      publishIntervalMs: 0,
    });
    const running = engine.run();
    const ids = ['completes', 'fails', 'cancelled', 'times-out'] as const;
    const sleepers = new Map<string, { pid: number; startTime: string }>();
    for (const id of ids) sleepers.set(id, await sleeper(join(cwd, `${id}.pid`)));
    const state = (id: string): string | undefined => engine.store.getSnapshot().tasks.find((t) => t.spec.id === id)?.state.kind;

    const end = async (id: string, how: () => void, expected: string): Promise<void> => {
      how();
      await waitFor(() => state(id) === expected, 10_000, `${id} to be ${expected} (is ${state(id)})`);
      expect(alive(sleepers.get(id)!)).toBe(false);
      sleepers.delete(id);
      for (const [other, p] of sleepers) expect([other, alive(p)]).toEqual([other, true]);
      for (const p of others) expect(alive(p)).toBe(true);
    };
    await end('completes', () => writeFileSync(join(cwd, 'completes.go'), ''), 'completed');
    await end('fails', () => writeFileSync(join(cwd, 'fails.go'), ''), 'failed');
    await end('cancelled', () => expect(engine.cancel('cancelled').ok).toBe(true), 'cancelled');
    await end('times-out', () => clock.advance(60_000), 'failed');
    expect(engine.store.getSnapshot().tasks.find((t) => t.spec.id === 'times-out')?.state).toMatchObject({ kind: 'failed' });
    await running;
    for (const p of others) expect(alive(p)).toBe(true);
  }, 30_000);

  it('in a pty too, and a sleeper that ignores SIGTERM is SIGKILLed after the grace', async () => {
    const cwd = workdir();
    const t = shellRun(`IGNORE_TERM=1 sh '${ESCAPER}' '${cwd}/s.pid' exit0`, { role: { provider: 'shell', interactive: true }, killGraceMs: 200 });
    const execution = createShellBackend({ env: runEnv('run-pty') }).start(t.ctx);
    const p = await sleeper(join(cwd, 's.pid'));
    const ignored = BigInt(`0x${/SigIgn:\s*([0-9a-f]+)/.exec(readFileSync(`/proc/${p.pid}/status`, 'latin1'))![1]}`);
    expect(ignored & (1n << 14n)).toBe(1n << 14n); // SIGTERM (15) is ignored: only SIGKILL ends it.
    await expect(execution.done).resolves.toMatchObject({ ok: true });
    expect(alive(p)).toBe(false);
  }, 20_000);

  it('a sleeper that cleared its environment but stayed in the agent’s session is found by the session', async () => {
    const cwd = workdir();
    const t = shellRun(`SCRUB=1 sh '${ESCAPER}' '${cwd}/s.pid' stay`);
    const execution = createShellBackend().start(t.ctx);
    const pidfile = join(cwd, 's.pid');
    await waitFor(() => existsSync(pidfile), 10_000, 'the sleeper');
    const pid = Number(readFileSync(pidfile, 'utf8'));
    const p = { pid, startTime: readStat(pid)!.startTime };
    started.push(p);
    expect(readFileSync(`/proc/${pid}/environ`, 'latin1')).toBe('');
    expect(readStat(pid)?.pgrp).toBe(pid); // Out of the agent's group…
    expect(readStat(pid)?.session).not.toBe(pid); // …but not out of its session.
    t.controller.abort('cancelled');
    await expect(execution.done).resolves.toMatchObject({ ok: false, reason: 'cancelled' });
    expect(alive(p)).toBe(false);
  }, 20_000);

  it('a forced shutdown (killLiveGroups, also the exit hook) SIGKILLs the escaped of every running session at once', async () => {
    const cwd = workdir();
    const t = shellRun(`IGNORE_TERM=1 sh '${ESCAPER}' '${cwd}/s.pid' stay`, { killGraceMs: 600_000 });
    const execution = createShellBackend().start(t.ctx);
    const p = await sleeper(join(cwd, 's.pid'));
    killLiveGroups();
    await waitFor(() => !alive(p), 2000, 'the sleeper to be SIGKILLed');
    await expect(execution.done).resolves.toMatchObject({ ok: false });
  }, 20_000);
});

describe('the same finder sweeps a killed run’s leftovers', () => {
  it('killRunProcesses kills the run’s escaped processes and leaves another run’s', async () => {
    const cwd = workdir();
    const mine = await foreignSleeper(cwd, 'mine', { [RUN_ENV]: 'dead-run' });
    const theirs = await foreignSleeper(cwd, 'theirs', { [RUN_ENV]: 'dead-run-2' });
    expect(killRunProcesses('dead-run')).toBe(1);
    await waitFor(() => !alive(mine), 2000, 'the leftover to die');
    expect(alive(theirs)).toBe(true);
  }, 20_000);

  it('matches whole environment entries only', async () => {
    const cwd = workdir();
    const longer = await foreignSleeper(cwd, 'longer', { [TASK_ENV]: 'r/t/10' });
    const suffix = await foreignSleeper(cwd, 'suffix', { [`X_${TASK_ENV}`]: 'r/t/1' });
    const exact = await foreignSleeper(cwd, 'exact', { [TASK_ENV]: 'r/t/1' });
    const found = findMarked({ entries: [`${TASK_ENV}=r/t/1`] }).map((f) => f.pid);
    expect(found).toContain(exact.pid);
    expect(found).not.toContain(longer.pid);
    expect(found).not.toContain(suffix.pid);
    expect(found).not.toContain(process.pid);
  }, 20_000);
});
