import { spawn } from 'node:child_process';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import pty from 'node-pty';
import { startSession } from '../src/agents/session.js';
import type { SessionOptions } from '../src/agents/session.js';
import { XtermScreen } from '../src/agents/xterm-screen.js';
import type { BenchRow } from './types.js';
import { collectGarbage, median, memoryNow, progress, row } from './util.js';

const MB = 1_000_000;
/** 100-character lines (99 x and \n), `bytes` of them in all: output shaped like a log, not one endless line. */
const output = (bytes: number): string[] => ['/bin/sh', '-c', `yes ${'x'.repeat(98)} | head -c ${bytes}`];
const SCROLLBACK = 5000;
const STARTS = 200;
const LOSS_RUNS = 20;

/**
 * Sessions: output throughput through session + screen against bare node-pty,
 * memory after 10 MB and 100 MB of output, start-up against child_process.spawn,
 * and how often bare node-pty loses the tail of `seq 1 200000` here.
 */
export async function sessionBench(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const cwd = os.tmpdir();

  // Throughput: alternate, bare first then session, twice; median of each.
  const bare: number[] = [];
  const withScreen: number[] = [];
  const pipeScreen: number[] = [];
  for (let round = 0; round < 2; round++) {
    bare.push(await barePty(output(100 * MB), cwd));
    withScreen.push(await throughSession('pty', 100 * MB, cwd));
    pipeScreen.push(await throughSession('pipe', 100 * MB, cwd));
    progress(`session: round ${round + 1}: bare pty ${bare[round]!.toFixed(0)} ms, session+screen (pty) ${withScreen[round]!.toFixed(0)} ms, (pipe) ${pipeScreen[round]!.toFixed(0)} ms`);
  }
  const mbps = (ms: number): number => 100 / (ms / 1000);
  const ratio = mbps(median(withScreen)) / mbps(median(bare));
  rows.push(
    row('session', '100 MB through bare node-pty (read, no screen)', mbps(median(bare)), 'MB/s'),
    row('session', '100 MB through session (pty) + xterm screen', mbps(median(withScreen)), 'MB/s'),
    row('session', '100 MB through session (pipe) + xterm screen', mbps(median(pipeScreen)), 'MB/s'),
    { bench: 'session', measure: 'session+screen / bare node-pty throughput', value: ratio, unit: '×', goal: '≥ 0.5×', met: ratio >= 0.5 },
  );

  // Memory: one screen fed 10 MB, RSS; the same fed 100 MB, RSS.
  collectGarbage();
  const base = memoryNow().rssMb;
  await throughSession('pty', 10 * MB, cwd);
  collectGarbage();
  const after10 = memoryNow().rssMb;
  await throughSession('pty', 100 * MB, cwd);
  collectGarbage();
  const after100 = memoryNow().rssMb;
  const growth = after100 / after10;
  rows.push(
    row('session', 'RSS before', base, 'MB'),
    row('session', 'RSS after 10 MB through session + screen', after10, 'MB'),
    row('session', 'RSS after 100 MB through session + screen', after100, 'MB'),
    { bench: 'session', measure: 'RSS after 100 MB / after 10 MB', value: growth, unit: '×', goal: '≤ 1.5×', met: growth <= 1.5 },
  );

  // Start-up: `/bin/sh -c true` to its end, one at a time, three contenders alternating.
  const times: Record<'spawn' | 'pipe' | 'pty', number[]> = { spawn: [], pipe: [], pty: [] };
  for (let i = 0; i < STARTS; i++) {
    times.spawn.push(await timed(() => spawnTrue(cwd)));
    times.pipe.push(await timed(() => startSession({ ...quiet(cwd), mode: 'pipe', argv: ['/bin/sh', '-c', 'true'] }).exited));
    times.pty.push(await timed(() => startSession({ ...quiet(cwd), mode: 'pty', argv: ['/bin/sh', '-c', 'true'] }).exited));
  }
  const [s, p, t] = [median(times.spawn), median(times.pipe), median(times.pty)];
  rows.push(
    row('session', `child_process.spawn sh -c true to close (median of ${STARTS})`, s, 'ms'),
    row('session', `session (pipe) sh -c true to exited (median of ${STARTS})`, p, 'ms'),
    row('session', `session (pty) sh -c true to exited (median of ${STARTS})`, t, 'ms'),
    row('session', 'session (pipe) / spawn', p / s, '×'),
    row('session', 'session (pty) / spawn', t / s, '×'),
  );

  // The tail: bare node-pty against the session, `seq 1 200000`.
  let bareLost = 0;
  let sessionLost = 0;
  const expected = 1_288_895 + 200_000;
  for (let i = 0; i < LOSS_RUNS; i++) {
    if ((await bareCount(['seq', '1', '200000'], cwd)) !== expected) bareLost++;
    let n = 0;
    await startSession({ ...quiet(cwd), mode: 'pty', argv: ['seq', '1', '200000'], onData: (c) => (n += c.length) }).exited;
    if (n !== expected) sessionLost++;
  }
  rows.push(
    row('session', `bare node-pty runs of seq 1 200000 that lost the tail (of ${LOSS_RUNS})`, bareLost, 'runs'),
    row('session', `session (pty) runs of seq 1 200000 that lost the tail (of ${LOSS_RUNS})`, sessionLost, 'runs'),
  );
  return rows;
}

function quiet(cwd: string): Omit<SessionOptions, 'mode' | 'argv'> {
  return { cwd, cols: 80, rows: 24, killGraceMs: 1000, onData: () => {} };
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** ms until `bytes` of output went through a session into a screen and were parsed. */
async function throughSession(mode: SessionOptions['mode'], bytes: number, cwd: string): Promise<number> {
  const t0 = performance.now();
  const screen = new XtermScreen(120, 40, SCROLLBACK);
  let n = 0;
  const exit = await startSession({ ...quiet(cwd), cols: 120, rows: 40, mode, argv: output(bytes), onData: (c) => { n += c.length; screen.write(c); } }).exited;
  await screen.parsed();
  const ms = performance.now() - t0;
  const lines = screen.length;
  screen.close();
  if (exit.code !== 0 || n < bytes) throw new Error(`session ${mode}: exit ${JSON.stringify(exit)}, ${n} of ${bytes} chars`);
  if (lines !== SCROLLBACK + 40) throw new Error(`screen holds ${lines} lines, expected ${SCROLLBACK + 40}`);
  return ms;
}

/** ms for bare node-pty to run `argv` and emit exit, only counting what it reads. */
async function barePty(argv: string[], cwd: string): Promise<number> {
  const t0 = performance.now();
  await bareCount(argv, cwd);
  return performance.now() - t0;
}

function bareCount(argv: string[], cwd: string): Promise<number> {
  return new Promise((resolve) => {
    const term = pty.spawn(argv[0]!, argv.slice(1), { name: 'xterm-256color', cols: 120, rows: 40, cwd, env: process.env as Record<string, string> });
    let n = 0;
    term.onData((c) => (n += c.length));
    term.onExit(() => resolve(n));
  });
}

function spawnTrue(cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', 'true'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    child.once('error', reject);
    child.once('close', () => resolve());
  });
}
