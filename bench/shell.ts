import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Backend, BackendOutcome } from '../src/agents/backend.js';
import { createShellBackend } from '../src/agents/shell-backend.js';
import { defaultConfig } from '../src/config/defaults.js';
import { Spawner } from '../src/os/spawner.js';
import type { Plan } from '../src/plan/schema.js';
import { Engine } from '../src/scheduler/engine.js';
import { depthOf, randomDag, shellTasks, taskId } from './dag.js';
import type { BenchRow } from './types.js';
import { goalRow, median, progress, row, timeMs } from './util.js';

const TASKS = 1000;
const EDGES = 1500;
const CONCURRENCY = 8;
const SEED = 0x5e11;
const ROUNDS = 3;
const GOAL_VS_LOOP = 1.2;
const GOAL_VS_MAKE = 3;
/** The heap a dashboard run grows to (BENCHMARKS.md, dashboard: 208 → 746 MB), allocated before the second half. */
const BALLAST_MB = 500;
const GOAL_BIG_VS_SMALL = 1.1;

/**
 * 1,000 `true` tasks on a random DAG through the engine and the real shell
 * backend, against make -j8 on the same graph and against a bare spawn loop
 * with no graph at all; the three alternate so machine noise hits all alike.
 */
export async function shellBench(): Promise<BenchRow[]> {
  const deps = randomDag({ tasks: TASKS, edges: EDGES, maxDeps: 3, seed: SEED });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'orchestrator-bench-'));
  try {
    const makefile = path.join(dir, 'Makefile');
    await writeFile(makefile, makefileFor(deps));
    const plan: Plan = { name: 'bench-shell', file: path.join(dir, 'plan.json'), workspace: dir, tasks: shellTasks(deps, 'true') };
    progress(`shell: ${TASKS} tasks, ${EDGES} edges, ${depthOf(deps)} levels, concurrency ${CONCURRENCY}, ${ROUNDS} rounds`);

    const rssMb = process.memoryUsage().rss / 2 ** 20;
    progress(`shell: bench process RSS ${rssMb.toFixed(0)} MB (each spawn forks it: a bigger process spawns slower)`);

    // The default helper (the C one when the build compiled it), and the Node one for comparison.
    const spawner = Spawner.start();
    const nodeSpawner = Spawner.start(fileURLToPath(new URL('../src/os/spawner-child.js', import.meta.url)));
    const contenders: Contender[] = [
      { name: 'engine', run: () => runEngine(plan, createShellBackend()), times: [], cpu: [] },
      { name: 'make', run: () => runMake(makefile, dir), times: [], cpu: [] },
      { name: 'bare loop', run: () => runLoop(TASKS, CONCURRENCY, dir), times: [], cpu: [] },
      { name: 'engine with plain spawn', run: () => runEngine(plan, plainSpawnBackend), times: [], cpu: [] },
      { name: 'engine with spawner', run: () => runEngine(plan, createShellBackend({ spawner })), times: [], cpu: [] },
      { name: 'engine with Node spawner', run: () => runEngine(plan, createShellBackend({ spawner: nodeSpawner })), times: [], cpu: [] },
    ];
    // The second half: the same runs from a process grown to a dashboard's size.
    const big: Contender[] = [
      { name: 'engine', run: contenders[0]!.run, times: [], cpu: [] },
      { name: 'make', run: contenders[1]!.run, times: [], cpu: [] },
      { name: 'engine with spawner', run: contenders[4]!.run, times: [], cpu: [] },
    ];
    let bigRssMb = 0;
    try {
      await rounds('shell', contenders);
      const ballast = heapBallast(BALLAST_MB);
      bigRssMb = process.memoryUsage().rss / 2 ** 20;
      progress(`shell: ${BALLAST_MB} MB of heap allocated, RSS ${bigRssMb.toFixed(0)} MB`);
      await rounds(`shell (RSS ${bigRssMb.toFixed(0)} MB)`, big);
      ballast.length = 0;
    } finally {
      await Promise.all([spawner.close(), nodeSpawner.close()]);
    }
    const [engine, make, loop, plain, viaSpawner, viaNode] = contenders.map((c) => c.times) as [number[], number[], number[], number[], number[], number[]];
    const [bigEngine, bigMake, bigSpawner] = big.map((c) => c.times) as [number[], number[], number[]];
    const [engineCpu, , loopCpu, plainCpu] = contenders.map((c) => median(c.cpu)) as [number, number, number, number];
    const perTask = (cpuMs: number) => (cpuMs * 1000) / TASKS;
    const e = median(engine);
    /** The median over rounds of a ratio taken inside each round: times next to each other share the machine's mood. */
    const ratio = (a: number[], b: number[]) => median(a.map((x, i) => x / b[i]!));
    const of = `median of ${ROUNDS}`;
    return [
      row('shell', 'bench process RSS at start', rssMb, 'MB'),
      row('shell', `engine + shell backend, ${TASKS} tasks (${of})`, e, 'ms'),
      row('shell', `make -j${CONCURRENCY} (${of})`, median(make), 'ms'),
      row('shell', `bare spawn loop, ${CONCURRENCY} at a time (${of})`, median(loop), 'ms'),
      row('shell', `engine + plain-spawn backend (${of})`, median(plain), 'ms'),
      row('shell', 'engine + shell backend, per task', (e * 1000) / TASKS, 'µs'),
      goalRow('shell', `engine / bare loop (${of} per-round ratios)`, ratio(engine, loop), '×', GOAL_VS_LOOP, `≤ ${GOAL_VS_LOOP}×`),
      goalRow('shell', `engine / make (${of} per-round ratios)`, ratio(engine, make), '×', GOAL_VS_MAKE, `≤ ${GOAL_VS_MAKE}×`),
      row('shell', 'engine + plain-spawn backend / bare loop', ratio(plain, loop), '×'),
      row('shell', 'bare loop / make', ratio(loop, make), '×'),
      row('shell', 'CPU of this process per task: engine + shell backend', perTask(engineCpu), 'µs'),
      row('shell', 'CPU of this process per task: engine + plain-spawn backend', perTask(plainCpu), 'µs'),
      row('shell', 'CPU of this process per task: bare loop', perTask(loopCpu), 'µs'),
      row('shell', `engine + shell backend through the spawner (${of})`, median(viaSpawner), 'ms'),
      goalRow('shell', `engine through the spawner / make (${of} per-round ratios)`, ratio(viaSpawner, make), '×', GOAL_VS_MAKE, `≤ ${GOAL_VS_MAKE}×`),
      row('shell', 'CPU of this process per task: engine through the spawner', perTask(median(contenders[4]!.cpu)), 'µs'),
      row('shell', `engine through the Node spawner (${of})`, median(viaNode), 'ms'),
      row('shell', `engine through the Node spawner / make (${of} per-round ratios)`, ratio(viaNode, make), '×'),
      row('shell', `bench process RSS after ${BALLAST_MB} MB of heap`, bigRssMb, 'MB'),
      row('shell', `engine + shell backend, big process (${of})`, median(bigEngine), 'ms'),
      row('shell', `engine through the spawner, big process (${of})`, median(bigSpawner), 'ms'),
      row('shell', 'engine in-process: big / small process (medians)', median(bigEngine) / e, '×'),
      goalRow('shell', 'engine through the spawner: big / small process (medians)', median(bigSpawner) / median(viaSpawner), '×', GOAL_BIG_VS_SMALL, `≤ ${GOAL_BIG_VS_SMALL}×`),
      row('shell', `engine through the spawner / make, big process (${of} per-round ratios)`, ratio(bigSpawner, bigMake), '×'),
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The engine's scheduling with the least a backend can do: spawn, wait for
 * 'close', no process group, no output handling. Against the real shell
 * backend it splits the engine's overhead into scheduler and backend.
 */
const plainSpawnBackend: Backend = {
  start(ctx) {
    const done = new Promise<BackendOutcome>((resolve) => {
      const child = spawn(ctx.provider.command, [...ctx.provider.args, '-c', ctx.task.prompt], { cwd: ctx.workspace.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
      child.once('error', (err) => resolve({ ok: false, reason: err.message }));
      child.once('close', (code) => resolve(code === 0 ? { ok: true, result: '' } : { ok: false, reason: `exit code ${code}` }));
    });
    return { done, pause() {}, resume() {} };
  },
};

async function runEngine(plan: Plan, backend: Backend): Promise<void> {
  const engine = new Engine({ plan, config: defaultConfig(), backends: { shell: backend }, concurrency: CONCURRENCY, publishIntervalMs: 50 });
  const summary = await engine.run();
  if (summary.exitCode !== 0) {
    const failed = summary.tasks.find((t) => t.state.kind !== 'completed');
    throw new Error(`the engine run failed: ${failed?.spec.id} is ${failed?.state.kind}`);
  }
}

/** One phony target per task, its dependencies as prerequisites; `all` needs every task. */
function makefileFor(deps: readonly (readonly number[])[]): string {
  const ids = deps.map((_, i) => taskId(i));
  const lines = [`.PHONY: all ${ids.join(' ')}`, `all: ${ids.join(' ')}`, ''];
  deps.forEach((list, i) => lines.push(`${ids[i]}: ${list.map(taskId).join(' ')}`, '\t@true', ''));
  return lines.join('\n');
}

function runMake(makefile: string, cwd: string): void {
  const result = spawnSync('make', [`-j${CONCURRENCY}`, '-f', makefile, 'all'], { cwd, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`make failed (exit ${result.status}): ${result.stderr}`);
}

/** The floor: spawn `/bin/sh -c true` `count` times, `width` at a time, no graph, no bookkeeping. */
function runLoop(count: number, width: number, cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let started = 0;
    let finished = 0;
    const next = (): void => {
      if (started >= count) return;
      started++;
      const child = spawn('/bin/sh', ['-c', 'true'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
      child.once('error', reject);
      child.once('close', (code) => {
        if (code !== 0) return reject(new Error(`/bin/sh -c true exited ${code}`));
        if (++finished === count) resolve();
        else next();
      });
    };
    for (let i = 0; i < width; i++) next();
  });
}

/** Runs every contender once a round, each round starting with a different one, so none always runs first (or after make). */
async function rounds(label: string, contenders: Contender[]): Promise<void> {
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < contenders.length; k++) {
      const c = contenders[(r + k) % contenders.length]!;
      const cpu = process.cpuUsage();
      c.times.push(await timeMs(c.run));
      const used = process.cpuUsage(cpu);
      c.cpu.push((used.user + used.system) / 1000);
    }
    progress(`${label}: round ${r + 1}: ${contenders.map((c) => `${c.name} ${c.times[r]!.toFixed(0)} ms`).join(', ')}`);
  }
}

/** `mb` MB of live JS heap (arrays of doubles, touched), as a dashboard's screens and records hold. */
function heapBallast(mb: number): number[][] {
  const perArray = (1 << 20) / 8;
  return Array.from({ length: mb }, (_, i) => Array.from({ length: perArray }, (_, j) => i + j + 0.5));
}

interface Contender {
  name: string;
  run: () => unknown;
  times: number[];
  /** CPU time of this (the bench) process, ms: make's own is in another process and not counted. */
  cpu: number[];
}
