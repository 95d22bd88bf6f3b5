import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { stringify } from 'yaml';
import { defaultConfig } from '../src/config/defaults.js';
import { topologicalGenerations } from 'graphology-dag';
import { analyzeTasks } from '../src/graph/analyze.js';
import { buildGraph } from '../src/graph/build.js';
import { loadPlan } from '../src/plan/load.js';
import { depthOf, randomDag, taskId } from './dag.js';
import type { BenchRow } from './types.js';
import { collectGarbage, goalRow, median, progress, row, timeMs } from './util.js';

const TASKS = 100_000;
const EDGES = 300_000;
/**
 * Task i can depend on only i earlier tasks, so with at most 3 each a
 * 100,000-task plan holds at most 299,994 edges; 4 is the smallest cap that
 * allows exactly 300,000 (mean 3.0 a task).
 */
const MAX_DEPS = 4;
const SEED = 0x5eed;
const GOAL_MS = 1000;
const GOAL = '< 1000 ms';
const REPEATS = 5;
/** Directories the write paths of the plan with writes spread over. */
const WRITE_DIRS = 1000;

/** The plan file's form of the generated graph: the fields a person would write. */
interface PlanTask {
  id: string;
  agent: string;
  prompt: string;
  dependsOn: string[];
}

/**
 * Validation of a 100,000-task / 300,000-edge plan: the pure graph analysis,
 * and the loader end to end on the plan as JSON and as YAML, and as JSON
 * with write paths (each resolved to its real file).
 */
export async function validateBench(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const knownRoles = Object.keys(defaultConfig().agents);
  const deps = randomDag({ tasks: TASKS, edges: EDGES, maxDeps: MAX_DEPS, seed: SEED });
  const tasks: PlanTask[] = deps.map((list, i) => ({ id: taskId(i), agent: 'shell', prompt: 'true', dependsOn: list.map(taskId) }));
  progress(`validate: generated ${TASKS} tasks, ${EDGES} edges, ${depthOf(deps)} levels`);

  const analyze = () => {
    const result = analyzeTasks(tasks, knownRoles);
    if (result.problems.length) throw new Error(`the generated plan is invalid: ${result.problems[0]!.message}`);
  };
  const analyzeTimes = await repeat(REPEATS, analyze);
  rows.push(goalRow('validate', 'analyzeTasks, first call', analyzeTimes[0]!, 'ms', GOAL_MS, GOAL));
  rows.push(goalRow('validate', `analyzeTasks, median of ${REPEATS}`, median(analyzeTimes), 'ms', GOAL_MS, GOAL));


  const dir = await mkdtemp(path.join(os.tmpdir(), 'orchestrator-bench-'));
  try {
    const jsonFile = path.join(dir, 'plan.json');
    const yamlFile = path.join(dir, 'plan.yaml');
    await writeFile(jsonFile, JSON.stringify({ name: 'bench', tasks }));
    await writeFile(yamlFile, stringify({ name: 'bench', tasks }));
    const sizes = `${mb((await stat(jsonFile)).size)} MB JSON, ${mb((await stat(yamlFile)).size)} MB YAML`;
    progress(`validate: plan files written (${sizes})`);
    const load = (file: string) => async () => {
      const plan = await loadPlan(file, { workspace: dir, knownRoles });
      if (plan.tasks.length !== TASKS) throw new Error(`loadPlan returned ${plan.tasks.length} tasks`);
    };

    const jsonTimes = await repeat(REPEATS, load(jsonFile));
    rows.push(goalRow('validate', 'loadPlan JSON, first call', jsonTimes[0]!, 'ms', GOAL_MS, GOAL));
    rows.push(goalRow('validate', `loadPlan JSON, median of ${REPEATS}`, median(jsonTimes), 'ms', GOAL_MS, GOAL));

    // Every write path is resolved to its real file: one lookup per directory, one lstat per file.
    const withWritesFile = path.join(dir, 'plan-writes.json');
    const withWrites = tasks.map((t, i) => ({ ...t, writes: [`pkg${i % WRITE_DIRS}/src/f${i}.ts`, `pkg${i % WRITE_DIRS}/README.md`] }));
    await writeFile(withWritesFile, JSON.stringify({ name: 'bench', tasks: withWrites }));
    const writesTimes = await repeat(3, load(withWritesFile));
    rows.push(row('validate', `loadPlan JSON, 2 writes a task (${TASKS.toLocaleString('en')} files in ${WRITE_DIRS} directories), median of 3`, median(writesTimes), 'ms'));

    progress('validate: loading the YAML plan (slow: one run)');
    const [yamlTime] = await repeat(1, load(yamlFile));
    rows.push(row('validate', 'loadPlan YAML, one run', yamlTime!, 'ms'));

    const cli = cliValidate(jsonFile, dir);
    if (cli !== undefined) rows.push(goalRow('validate', 'CLI `validate plan.json`, whole process (median of 3)', cli, 'ms', GOAL_MS, GOAL));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  // The library route docs/architecture.md §8 names, on the same graph: why validation orders levels by hand.
  let graph: ReturnType<typeof buildGraph> | undefined;
  const [buildMs] = await repeat(1, () => {
    graph = buildGraph(tasks);
  });
  const [generationsMs] = await repeat(1, () => {
    topologicalGenerations(graph!);
  });
  rows.push(row('validate', 'for comparison: graphology buildGraph, one run', buildMs!, 'ms'));
  rows.push(row('validate', 'for comparison: graphology-dag topologicalGenerations, one run', generationsMs!, 'ms'));
  return rows;
}

async function repeat(times: number, fn: () => unknown): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < times; i++) {
    collectGarbage();
    out.push(await timeMs(fn));
  }
  return out;
}

/**
 * What a person waits for: the built CLI validating the JSON plan in a fresh
 * Node process (start-up, module loading, config, load, print). Undefined
 * when the CLI is not built or fails.
 */
function cliValidate(file: string, cwd: string): number | undefined {
  const bin = fileURLToPath(new URL('../../bin/orchestrator.js', import.meta.url));
  if (!existsSync(bin)) return undefined;
  progress('validate: timing the CLI on the JSON plan');
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const start = performance.now();
    const result = spawnSync(process.execPath, [bin, 'validate', file, '--json', '--workspace', cwd], {
      cwd,
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
    });
    const ms = performance.now() - start;
    if (result.status !== 0) {
      progress(`validate: the CLI failed (exit ${result.status}): ${result.stderr.trim().split('\n')[0] ?? ''}`);
      return undefined;
    }
    times.push(ms);
  }
  return median(times);
}

function mb(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(1);
}
