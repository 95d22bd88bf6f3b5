import { spawn } from 'node:child_process';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import xterm from '@xterm/headless';
import pty from 'node-pty';
import { startSession } from '../src/agents/session.js';
import type { SessionOptions } from '../src/agents/session.js';
import { XtermScreen } from '../src/agents/xterm-screen.js';
import type { BenchRow } from './types.js';
import { collectGarbage, median, memoryNow, progress, row } from './util.js';

const MB = 1_000_000;
/** 99-character lines (98 x and \n), `bytes` of them in all: output shaped like a log, not one endless line. */
const output = (bytes: number): string[] => ['/bin/sh', '-c', `yes ${'x'.repeat(98)} | head -c ${bytes}`];
const SCROLLBACK = 5000;
const STARTS = 200;
const ROUNDS = 5;
const LOSS_RUNS = 20;

/**
 * Sessions: output throughput through session + screen against bare node-pty,
 * memory after 10 MB and 100 MB of output, start-up against child_process.spawn,
 * and how often bare node-pty loses the tail of `seq 1 200000` here.
 */
export async function sessionBench(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const cwd = os.tmpdir();

  // Throughput: alternate bare node-pty, the session with a screen (pty, pipe), the session
  // alone and xterm alone, ROUNDS times; median of each. Bare node-pty is the yardstick.
  const tp: Record<'bare' | 'pty' | 'pipe' | 'ptyAlone' | 'xterm', number[]> = { bare: [], pty: [], pipe: [], ptyAlone: [], xterm: [] };
  const skipped: Record<'pty' | 'pipe', number[]> = { pty: [], pipe: [] };
  for (let round = 0; round < ROUNDS; round++) {
    tp.bare.push(await barePty(output(100 * MB), cwd));
    const pty = await throughSession('pty', 100 * MB, cwd);
    tp.pty.push(pty.ms);
    skipped.pty.push(pty.skipped);
    const pipe = await throughSession('pipe', 100 * MB, cwd);
    tp.pipe.push(pipe.ms);
    skipped.pipe.push(pipe.skipped);
    tp.ptyAlone.push(await timed(() => startSession({ ...quiet(cwd), mode: 'pty', argv: output(100 * MB) }).exited));
    tp.xterm.push(await xtermAlone(100 * MB));
    progress(`session: round ${round + 1}: bare pty ${tp.bare[round]!.toFixed(0)} ms, session+screen pty ${pty.ms.toFixed(0)} ms (${mb(pty.skipped)} MB skipped), pipe ${pipe.ms.toFixed(0)} ms (${mb(pipe.skipped)} MB skipped), session pty alone ${tp.ptyAlone[round]!.toFixed(0)} ms, xterm alone ${tp.xterm[round]!.toFixed(0)} ms`);
  }
  const mbps = (ms: readonly number[]): number => 100 / (median(ms) / 1000);
  // The machine is shared and its load drifts: the ratio is taken within each round, then the median.
  const ratio = median(tp.pty.map((ms, i) => tp.bare[i]! / ms));
  rows.push(
    row('session', '100 MB through bare node-pty (read, no screen)', mbps(tp.bare), 'MB/s'),
    row('session', '100 MB through session (pty) + xterm screen', mbps(tp.pty), 'MB/s'),
    row('session', '  of which the screen skipped (median)', mb(median(skipped.pty)), 'MB'),
    row('session', '100 MB through session (pipe) + xterm screen', mbps(tp.pipe), 'MB/s'),
    row('session', '  of which the screen skipped (median)', mb(median(skipped.pipe)), 'MB'),
    row('session', '100 MB through session (pty), no screen', mbps(tp.ptyAlone), 'MB/s'),
    row('session', '100 MB parsed by xterm alone (64 KB writes, no process)', mbps(tp.xterm), 'MB/s'),
    { bench: 'session', measure: `session+screen (pty) / bare node-pty throughput (median of ${ROUNDS} rounds)`, value: ratio, unit: '×', goal: '≥ 0.5×', met: ratio >= 0.5 },
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

/**
 * ms until `bytes` of output went through a session into a screen and were
 * parsed (or skipped: the screen skips ahead when far behind), and how much
 * the screen skipped. Checks every character arrived and the screen is whole.
 */
async function throughSession(mode: SessionOptions['mode'], bytes: number, cwd: string): Promise<{ ms: number; skipped: number }> {
  const t0 = performance.now();
  const screen = new XtermScreen(120, 40, SCROLLBACK);
  let n = 0;
  const exit = await startSession({ ...quiet(cwd), cols: 120, rows: 40, mode, argv: output(bytes), onData: (c) => { n += c.length; screen.write(c); } }).exited;
  await screen.parsed();
  const ms = performance.now() - t0;
  const lines = screen.length;
  const last = screen.lines(lines - 41, lines).map((l) => l.map((r) => r.text).join('')).filter((l) => l !== '').at(-1);
  const skipped = screen.skippedChars;
  screen.close();
  if (exit.code !== 0 || n < bytes) throw new Error(`session ${mode}: exit ${JSON.stringify(exit)}, ${n} of ${bytes} chars`);
  if (lines !== SCROLLBACK + 40) throw new Error(`screen holds ${lines} lines, expected ${SCROLLBACK + 40}`);
  // The output ends in the middle of a line unless `bytes` is a multiple of 99.
  const lastLine = 'x'.repeat(bytes % 99 || 98);
  if (last !== lastLine) throw new Error(`the screen's last line is ${JSON.stringify(last)}, expected ${lastLine.length} x`);
  return { ms, skipped };
}

/** ms for xterm alone to parse `bytes` of the same lines, written 64 KB at a time, 8 MB ahead at most. */
async function xtermAlone(bytes: number): Promise<number> {
  const term = new xterm.Terminal({ cols: 120, rows: 40, scrollback: SCROLLBACK, allowProposedApi: true, convertEol: true });
  const chunk = `${'x'.repeat(98)}\r\n`.repeat(640);
  const parsed = (): Promise<void> => new Promise((resolve) => term.write('', resolve));
  const t0 = performance.now();
  for (let sent = 0; sent < bytes; sent += chunk.length) {
    term.write(chunk);
    if (sent % (8 * MB) < chunk.length) await parsed(); // xterm throws writes away past 50 MB waiting
  }
  await parsed();
  const ms = performance.now() - t0;
  term.dispose();
  return ms;
}

function mb(chars: number): number {
  return Math.round(chars / MB);
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
