import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import xterm from '@xterm/headless';
import pty from 'node-pty';
import type { BenchRow } from './types.js';
import { goalRow, median, progress, row } from './util.js';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const BIN = path.join(ROOT, 'bin/orchestrator.js');
const AGENTS = 8;
const LOAD_SECONDS = 20;
const KEY_PRESSES = 20;

/** The built binary in a pty, its screen in @xterm/headless: what a person sees, measured. `node` flags go before the binary. */
export function start(args: string[], cwd: string, { cols = 120, rows = 40, env = {}, node = [] }: { cols?: number; rows?: number; env?: Record<string, string>; node?: string[] } = {}) {
  const term = new xterm.Terminal({ cols, rows, allowProposedApi: true });
  const t0 = performance.now();
  const proc = pty.spawn(process.execPath, [...node, BIN, ...args], { name: 'xterm-256color', cols, rows, cwd, env: { ...(process.env as Record<string, string>), ...env } });
  const waiters = new Set<() => void>();
  /** Bytes the dashboard has written to its terminal so far. */
  const written = { bytes: 0 };
  proc.onData((d) => {
    written.bytes += Buffer.byteLength(d);
    term.write(d, () => waiters.forEach((w) => w()));
  });
  const exited = new Promise<void>((r) => proc.onExit(() => r()));
  const screen = () => {
    const b = term.buffer.active;
    return Array.from({ length: term.rows }, (_, i) => b.getLine(b.viewportY + i)?.translateToString(true) ?? '').join('\n');
  };
  const until = (test: (s: string) => boolean, timeoutMs = 30_000) =>
    new Promise<number>((resolve, reject) => {
      const check = () => {
        if (!test(screen())) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(performance.now());
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`dashboard bench: timed out; screen:\n${screen()}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  return { t0, proc, exited, screen, until, written };
}

/** utime+stime of a process in ms, and its RSS in MB (Linux /proc). */
export function usage(pid: number): { cpuMs: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const tick = 100; // USER_HZ on Linux
  const cpuMs = ((Number(fields[11]) + Number(fields[12])) * 1000) / tick;
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuMs, rssMb: Number(rss?.[1] ?? 0) / 1024 };
}

const QUIET_SECONDS = 10;

/** `dir`/firehose.yaml: `agents` shell tasks each writing ~1 MB/s of base64 text for `seconds`. */
export async function writeFirehose(dir: string, agents: number, seconds: number): Promise<void> {
  const script = `i=0; while [ $i -lt ${seconds * 10} ]; do head -c 75000 /dev/urandom | base64 -w 100; sleep 0.1; i=$((i+1)); done`;
  const plan = ['name: firehose', 'tasks:', ...Array.from({ length: agents }, (_, i) => `  - id: agent-${i}\n    agent: shell\n    prompt: '${script}'`)].join('\n');
  await writeFile(path.join(dir, 'firehose.yaml'), `${plan}\n`);
}

/** How long to leave the screen alone for a measurement. */
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Stops a dashboard run: q, then y to confirm stopping the running tasks. */
export async function quit(run: ReturnType<typeof start>): Promise<void> {
  run.proc.write('q');
  await pause(300);
  run.proc.write('y');
  await run.exited;
}

/**
 * What the dashboard writes to its terminal while nothing happens but
 * spinners and clocks: four silent agents at 160×45, bytes a second over
 * QUIET_SECONDS. Over SSH every byte is bandwidth and a chance to flicker.
 * `ORCHESTRATOR_REDRAW=full` (whole frame on every change, as Ink writes it)
 * runs first, for comparison, then the default (changed lines only).
 */
async function quietScreen(dir: string): Promise<BenchRow[]> {
  const plan = ['name: quiet', 'tasks:', ...Array.from({ length: 4 }, (_, i) => `  - id: silent-${i}\n    agent: shell\n    prompt: 'sleep ${QUIET_SECONDS + 20}'`)].join('\n');
  await writeFile(path.join(dir, 'quiet.yaml'), `${plan}\n`);
  const rows: BenchRow[] = [];
  for (const [label, env] of [['whole frame (ORCHESTRATOR_REDRAW=full)', { ORCHESTRATOR_REDRAW: 'full' }], ['changed lines (default)', {}]] as const) {
    progress(`dashboard: four silent agents at 160×45, ${label}`);
    const run = start(['run', 'quiet.yaml', '--workspace', dir, '--concurrency', '4', '--tui'], dir, { cols: 160, rows: 45, env });
    await run.until((s) => s.includes('running 4/4'));
    await pause(1000);
    const bytes0 = run.written.bytes;
    const t0 = performance.now();
    await pause(QUIET_SECONDS * 1000);
    const perSecond = ((run.written.bytes - bytes0) / (performance.now() - t0)) * 1000;
    await quit(run);
    const measure = `bytes written a second, 4 silent agents at 160×45: ${label}`;
    rows.push(label.startsWith('changed') ? goalRow('dashboard', measure, perSecond / 1024, 'KB/s', 20, '≤ 20 KB/s') : row('dashboard', measure, perSecond / 1024, 'KB/s'));
  }
  return rows;
}

/**
 * The dashboard as a person meets it: the first frame of the demo plan, then
 * eight agents each writing 1 MB/s while keys are pressed: how long a key
 * takes to show on the screen, how much CPU the dashboard uses, and whether
 * its memory stays flat.
 */
export async function dashboardBench(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const dir = await mkdtemp(path.join(os.tmpdir(), 'orchestrator-dash-'));
  try {
    const firsts: number[] = [];
    for (let i = 0; i < 3; i++) {
      progress(`dashboard: first frame ${i + 1}/3`);
      const run = start(['run', path.join(ROOT, 'examples/demo.yaml'), '--workspace', dir, '--exit-on-finish', '--tui'], ROOT);
      const at = await run.until((s) => s.includes('running ') && s.includes('level 1'));
      firsts.push(at - run.t0);
      await run.exited;
    }
    rows.push(goalRow('dashboard', 'first frame of the demo plan (median of 3)', median(firsts), 'ms', 500, '< 500 ms'));
    rows.push(...(await quietScreen(dir)));

    await writeFirehose(dir, AGENTS, LOAD_SECONDS);
    progress('dashboard: 8 agents at 1 MB/s each');
    const run = start(['run', 'firehose.yaml', '--workspace', dir, '--concurrency', String(AGENTS), '--tui'], dir);
    await run.until((s) => s.includes(`running ${AGENTS}/${AGENTS}`));
    await new Promise((r) => setTimeout(r, 2000));
    const before = usage(run.proc.pid);
    const wall0 = performance.now();
    const latencies: number[] = [];
    for (let i = 0; i < KEY_PRESSES; i++) {
      const want = `tasks ${(i % (AGENTS - 1)) + 2}/${AGENTS}`;
      const t = performance.now();
      run.proc.write(i % (AGENTS - 1) === 0 && i > 0 ? 'gj' : 'j');
      latencies.push((await run.until((s) => s.includes(want), 10_000)) - t);
      await new Promise((r) => setTimeout(r, 300));
    }
    await new Promise((r) => setTimeout(r, Math.max(0, (LOAD_SECONDS - 6) * 1000 - (performance.now() - wall0))));
    const after = usage(run.proc.pid);
    const wall = performance.now() - wall0;
    await quit(run);
    latencies.sort((a, b) => a - b);
    rows.push(goalRow('dashboard', 'key press → screen under 8 × 1 MB/s (median)', median(latencies), 'ms', 100, '< 100 ms'));
    rows.push(row('dashboard', 'key press → screen under 8 × 1 MB/s (worst of 20)', latencies.at(-1)!, 'ms'));
    rows.push(goalRow('dashboard', 'CPU of the dashboard process under load (cpu / wall)', (after.cpuMs - before.cpuMs) / wall, 'cores', 1, '< 1 core'));
    rows.push(row('dashboard', 'RSS 2 s into the load', before.rssMb, 'MB'));
    rows.push(row('dashboard', `RSS ${Math.round(wall / 1000) + 2} s into the load`, after.rssMb, 'MB'));
    rows.push(goalRow('dashboard', 'RSS growth over the load (after / before)', after.rssMb / before.rssMb, '×', 1.5, '≤ 1.5× (flat)'));
    return rows;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
