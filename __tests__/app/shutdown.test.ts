import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { requireBuild, runCli } from '../helpers/cli.js';

let home: string;
const dirs: string[] = [];

beforeAll(() => {
  requireBuild();
  home = mkdtempSync(path.join(os.tmpdir(), 'orch-shutdown-home-'));
});

afterAll(() => {
  for (const dir of [home, ...dirs]) rmSync(dir, { recursive: true, force: true });
});

/** `pid (comm) state ppid pgrp …` of a live process, or undefined once it is gone. */
function stat(pid: number): { state: string; pgrp: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0]!, pgrp: Number(fields[2]) };
  } catch {
    return undefined;
  }
}

/** Every process in the table that is not a zombie and belongs to process group `pgid`. */
function liveMembers(pgid: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => {
      const s = stat(pid);
      return s !== undefined && s.pgrp === pgid && s.state !== 'Z' && s.state !== 'X';
    });
}

/**
 * A task whose shell and every descendant ignore SIGTERM (an ignored signal is
 * inherited), with a grandchild in a subshell; it writes each pid to `pids`.
 */
const STUBBORN = [
  "trap '' TERM",
  'echo $$ > pids.tmp',
  "( trap '' TERM; sleep 300 & echo $! >> pids.tmp; wait ) &",
  'echo $! >> pids.tmp',
  'sleep 300 &',
  'echo $! >> pids.tmp',
  // Four pids: this shell, the subshell, its sleep (a grandchild), the other sleep.
  'until [ "$(wc -l < pids.tmp)" -ge 4 ]; do sleep 0.05; done',
  'mv pids.tmp pids',
  'wait',
].join('\n');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  pids: number[];
  pgid: number;
  ms: number;
  /** `orchestrator runs` in the workspace afterwards. */
  runs: string;
}

/** Runs the real binary on the stubborn plan, sends `signals` once its pids are written, and waits for the exit. */
async function interrupt(signals: NodeJS.Signals[], killGraceMs: number): Promise<Run> {
  const ws = mkdtempSync(path.join(os.tmpdir(), 'orch-shutdown-'));
  dirs.push(ws);
  writeFileSync(path.join(ws, '.orchestratorrc'), JSON.stringify({ killGraceMs }));
  writeFileSync(path.join(ws, 'plan.yaml'), `tasks:\n  - id: stubborn\n    agent: shell\n    prompt: ${JSON.stringify(STUBBORN)}\n  - { id: later, agent: shell, prompt: 'echo never', dependsOn: [stubborn] }\n`);
  let stderr = '';
  const running = runCli(['run', 'plan.yaml', '--headless'], { cwd: ws, home });
  const { child } = running;
  child.stderr!.on('data', (d: string) => (stderr += d));
  const pidFile = path.join(ws, 'pids');
  const deadline = Date.now() + 20_000;
  while (!existsSync(pidFile) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const pids = readFileSync(pidFile, 'utf8').trim().split('\n').map(Number);
  expect(pids).toHaveLength(4);
  const pgid = stat(pids[0]!)!.pgrp;
  // Every recorded process is alive and in the agent's group before the signal.
  expect(liveMembers(pgid).sort()).toEqual(expect.arrayContaining([...pids].sort()));
  const sent = Date.now();
  for (const [i, signal] of signals.entries()) {
    if (i > 0) {
      // The second signal comes once the first has been taken (the run says so on stderr).
      while (!stderr.includes('stopping running tasks') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    }
    child.kill(signal);
  }
  const { code, stdout } = await running;
  const ms = Date.now() - sent;
  const runs = (await runCli(['runs'], { cwd: ws, home })).stdout;
  return { code, stdout, stderr, pids, pgid, ms, runs };
}

function expectNothingLeft(run: Run): void {
  for (const pid of run.pids) {
    const s = stat(pid);
    expect(s === undefined || s.state === 'Z' || s.pgrp !== run.pgid).toBe(true);
  }
  expect(liveMembers(run.pgid)).toEqual([]);
}

describe('shutdown of the real binary', () => {
  it('SIGINT: SIGTERM is ignored, so after the grace period the group is SIGKILLed; exit 130, nothing left', async () => {
    const run = await interrupt(['SIGINT'], 1000);
    expect(run.code).toBe(130);
    expectNothingLeft(run);
    expect(run.stdout).toMatch(/stubborn\s+interrupted\s+interrupted \(SIGINT\)/);
    expect(run.stdout).toMatch(/interrupted by SIGINT/);
    expect(run.stdout).not.toMatch(/later\s+running/);
    // The grace period was waited out (the agents ignored SIGTERM).
    expect(run.ms).toBeGreaterThanOrEqual(900);
  });

  it('a second Ctrl+C skips the grace period: killed at once, still recorded, exit 130, nothing left', async () => {
    const run = await interrupt(['SIGINT', 'SIGINT'], 60_000);
    expect(run.code).toBe(130);
    expectNothingLeft(run);
    expect(run.stderr).toMatch(/SIGINT again/);
    expect(run.stdout).toMatch(/stubborn\s+interrupted\s+interrupted \(SIGINT\)/);
    // SIGKILLed, yet recorded as interrupted (not failed), so resume continues it.
    expect(run.runs).toMatch(/\s+interrupted\s+\S+\s+-\s+-\s+1 pending, 1 interrupted/);
    // Far below the 60 s grace: the second signal did not wait for it.
    expect(run.ms).toBeLessThan(30_000);
  });

  it('SIGTERM: exit 143, nothing left', async () => {
    const run = await interrupt(['SIGTERM'], 500);
    expect(run.code).toBe(143);
    expectNothingLeft(run);
    expect(run.stdout).toMatch(/stubborn\s+interrupted\s+interrupted \(SIGTERM\)/);
    expect(run.runs).toMatch(/\s+interrupted\s+\S+\s+-\s+-\s+1 pending, 1 interrupted/);
  });
});
