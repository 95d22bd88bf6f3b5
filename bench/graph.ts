import { performance } from 'node:perf_hooks';
import { criticalPath } from '../components/critical-path.js';
import { buildRows, levelsOf, parseFilter } from '../components/dag-rows.js';
import { GRAPH_MAX_TASKS, layoutGraph } from '../components/graph-layout.js';
import type { TaskRecord } from '../src/scheduler/run-store.js';
import { randomDag, shellTasks } from './dag.js';
import type { BenchRow } from './types.js';
import { goalRow, median, progress, row } from './util.js';

const ROUNDS = 21;

/** Median and first (cold) time of `fn` over ROUNDS calls, in ms. */
function timed(fn: () => unknown): { first: number; median: number } {
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  return { first: times[0]!, median: median(times) };
}

/**
 * The dashboard's graph view at its largest (GRAPH_MAX_TASKS tasks, a random
 * DAG of up to 3 dependencies each): laying it out, in level order as the
 * view lists it, and finding the critical path. Both run on the dashboard's
 * thread, so they must fit well inside a frame (~33 ms at 30 fps).
 */
export async function graphBench(): Promise<BenchRow[]> {
  progress(`graph: ${GRAPH_MAX_TASKS} tasks`);
  const specs = shellTasks(randomDag({ tasks: GRAPH_MAX_TASKS, edges: GRAPH_MAX_TASKS * 2, maxDeps: 3, seed: 14 }), 'true');
  const records: TaskRecord[] = specs.map((spec, order) => ({ spec, order, state: { kind: 'pending' }, attempts: 0 }));
  const listed = buildRows(records, levelsOf(records), parseFilter('')).flatMap((r) => (r.kind === 'task' ? [r.record.spec] : []));
  const layout = timed(() => layoutGraph(listed));
  const path = timed(() => criticalPath(records));
  const width = layoutGraph(listed).width;
  return [
    goalRow('graph', `layout of ${GRAPH_MAX_TASKS} tasks, ${GRAPH_MAX_TASKS * 2} edges (median of ${ROUNDS})`, layout.median, 'ms', 10, '< 10 ms'),
    row('graph', `layout of ${GRAPH_MAX_TASKS} tasks, first call (cold)`, layout.first, 'ms'),
    row('graph', `its width (lanes × 2 − 1)`, width, 'columns'),
    goalRow('graph', `critical path of ${GRAPH_MAX_TASKS} tasks (median of ${ROUNDS})`, path.median, 'ms', 10, '< 10 ms'),
  ];
}
