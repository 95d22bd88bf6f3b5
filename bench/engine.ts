import os from 'node:os';
import type { Backend } from '../src/agents/backend.js';
import { defaultConfig } from '../src/config/defaults.js';
import type { Plan, TaskSpec } from '../src/plan/schema.js';
import { attachReporter } from '../src/report/headless.js';
import { Engine } from '../src/scheduler/engine.js';
import { depthOf, randomDag, shellTasks } from './dag.js';
import type { BenchRow } from './types.js';
import { collectGarbage, goalRow, median, memoryNow, progress, row, timeMs } from './util.js';

const TASKS = 10_000;
const CONCURRENCY = 8;
const DAG_EDGES = 15_000;
const SEED = 0xda6;
const REPEATS = 3;
const GOAL_MS = 1000;
const GOAL_US = 100;

/** A backend whose every attempt has already succeeded: what is left is the engine's own cost. */
const instantBackend: Backend = {
  start() {
    return { done: Promise.resolve({ ok: true, result: '' }), pause() {}, resume() {} };
  },
};

type Extra = 'none' | 'json-reporter' | 'line-reporter' | 'snapshot-subscriber';

/** One engine run of `tasks`: builds the engine and runs it to the end. */
async function runOnce(tasks: TaskSpec[], extra: Extra): Promise<Engine> {
  const plan: Plan = { name: 'bench', file: 'bench.json', workspace: os.tmpdir(), tasks };
  const engine = new Engine({ plan, config: defaultConfig(), backends: { shell: instantBackend }, concurrency: CONCURRENCY, publishIntervalMs: 50 });
  if (extra === 'json-reporter') attachReporter(engine.store, { json: true, write: () => {} });
  if (extra === 'line-reporter') attachReporter(engine.store, { json: false, write: () => {} });
  // What the dashboard does: read a snapshot on every publish.
  if (extra === 'snapshot-subscriber') engine.store.subscribe(() => void engine.store.getSnapshot());
  const summary = await engine.run();
  const done = summary.tasks.filter((t) => t.state.kind === 'completed').length;
  if (summary.exitCode !== 0 || done !== tasks.length) throw new Error(`engine run ended with ${done}/${tasks.length} tasks completed`);
  return engine;
}

async function variant(label: string, tasks: TaskSpec[], extra: Extra, goal: boolean): Promise<{ rows: BenchRow[]; times: number[] }> {
  progress(`engine: ${label}`);
  const times: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    collectGarbage();
    times.push(await timeMs(() => runOnce(tasks, extra)));
  }
  const ms = median(times);
  const us = (ms * 1000) / tasks.length;
  const rows = goal
    ? [
        goalRow('engine', `${label}: total, median of ${REPEATS}`, ms, 'ms', GOAL_MS, `< ${GOAL_MS} ms`),
        goalRow('engine', `${label}: per task`, us, 'µs', GOAL_US, `≤ ${GOAL_US} µs`),
      ]
    : [row('engine', `${label}: total, median of ${REPEATS}`, ms, 'ms'), row('engine', `${label}: per task`, us, 'µs')];
  return { rows, times };
}

/**
 * 10,000 no-op tasks through the real engine (store, executor, locks,
 * scheduler loop) at concurrency 8 with an in-process backend that succeeds
 * at once, so every microsecond measured is the engine's.
 */
export async function engineBench(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const independent = shellTasks(Array.from({ length: TASKS }, () => []), 'true');
  const dagDeps = randomDag({ tasks: TASKS, edges: DAG_EDGES, maxDeps: 3, seed: SEED });
  const dag = shellTasks(dagDeps, 'true');

  const alone = await variant(`${TASKS} independent`, independent, 'none', true);
  rows.push(
    goalRow('engine', `${TASKS} independent: first run (cold)`, alone.times[0]!, 'ms', GOAL_MS, `< ${GOAL_MS} ms`),
    ...alone.rows,
  );
  rows.push(...(await variant(`${TASKS} random DAG (${DAG_EDGES} edges, ${depthOf(dagDeps)} levels)`, dag, 'none', true)).rows);
  rows.push(...(await variant(`${TASKS} independent + JSON reporter`, independent, 'json-reporter', false)).rows);
  rows.push(...(await variant(`${TASKS} independent + line reporter`, independent, 'line-reporter', false)).rows);
  rows.push(...(await variant(`${TASKS} independent + snapshot subscriber`, independent, 'snapshot-subscriber', false)).rows);

  progress('engine: memory of one run');
  collectGarbage();
  const before = memoryNow();
  const engine = await runOnce(independent, 'none');
  const peak = memoryNow();
  collectGarbage();
  const retained = memoryNow();
  rows.push(row('engine', `${TASKS} independent: RSS growth`, peak.rssMb - before.rssMb, 'MB'));
  rows.push(row('engine', `${TASKS} independent: heap used at end, before GC`, peak.heapMb - before.heapMb, 'MB'));
  rows.push(row('engine', `${TASKS} independent: heap retained by the finished run`, retained.heapMb - before.heapMb, 'MB'));
  void engine.store;
  return rows;
}
