import type { Problem } from '../errors.js';
import { didYouMean } from '../input/suggest.js';
import { findCycles } from './cycles.js';
import type { IndexedGraph } from './cycles.js';

/**
 * What the analysis reads of a task. `agent` and dependsOn entries may be
 * undefined when the loader could not read them (their wrong type is reported
 * elsewhere), so they are skipped rather than reported twice.
 */
export interface AnalyzableTask {
  id: string;
  agent?: string | undefined;
  dependsOn: ReadonlyArray<string | undefined>;
}

/** Options for analysing a subset of a plan file's tasks. */
export interface AnalyzeOptions {
  /** Position in the plan file of each task, when `tasks` skips some; fields then name the file's positions. */
  positions?: readonly number[];
}

/** Every problem found in a plan's graph, and its order when there is one. */
export interface GraphAnalysis {
  problems: Problem[];
  /**
   * Task ids per topological generation (level 0 needs nothing), in plan order
   * within a level. Empty when a cycle or a duplicate id makes an order
   * meaningless; an unknown dependency is left out of the order instead.
   */
  levels: string[][];
}

interface Found {
  at: number;
  problem: Problem;
}

/**
 * Checks a plan's tasks as a graph — duplicate ids, unknown roles, missing
 * dependencies, cycles (each cyclic group once, with one concrete path) — and
 * orders them into levels. Pure and iterative, linear in tasks + edges, so
 * `validate` can report every problem at once even on very large plans.
 */
export function analyzeTasks(
  tasks: ReadonlyArray<AnalyzableTask>,
  knownRoles: readonly string[],
  options: AnalyzeOptions = {},
): GraphAnalysis {
  const n = tasks.length;
  if (n === 0) return { problems: [{ field: 'tasks', message: 'the plan has no tasks' }], levels: [] };
  const pos = (i: number): number => options.positions?.[i] ?? i;
  const found: Found[] = [];
  const roles = new Set(knownRoles);
  let knownList: string | undefined;

  const first = new Map<string, number>();
  const alive = new Uint8Array(n);
  let duplicates = false;
  let edgeCount = 0;
  for (let i = 0; i < n; i++) {
    const { id, agent, dependsOn } = tasks[i]!;
    const earlier = first.get(id);
    if (earlier === undefined) {
      first.set(id, i);
      alive[i] = 1;
    } else {
      duplicates = true;
      found.push({
        at: i,
        problem: {
          field: `tasks[${pos(i)}].id`,
          message: `duplicate id '${id}': tasks[${pos(earlier)}] and tasks[${pos(i)}] both use it`,
        },
      });
    }
    if (agent !== undefined && !roles.has(agent)) {
      knownList ??= knownRoles.length ? knownRoles.join(', ') : 'none';
      found.push({
        at: i,
        problem: { field: `tasks[${pos(i)}].agent`, message: `unknown role '${agent}' (known: ${knownList})${didYouMean(agent, knownRoles)}` },
      });
    }
    edgeCount += dependsOn.length;
  }

  // A missing dependency is often a typo of a task id: the first few get a suggestion (each one compares against every id).
  let suggestions = 0;
  let allIds: string[] | undefined;
  const ids = () => (allIds ??= [...first.keys()]);
  // Edges dependency → dependent, gathered and then laid out as CSR.
  const from = new Int32Array(edgeCount);
  const to = new Int32Array(edgeCount);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const { id, dependsOn } = tasks[i]!;
    for (let j = 0; j < dependsOn.length; j++) {
      const dep = dependsOn[j];
      if (dep === undefined) continue;
      const d = first.get(dep);
      if (d === undefined) {
        found.push({
          at: i,
          problem: {
            field: `tasks[${pos(i)}].dependsOn[${j}]`,
            message: `task ${id} depends on '${dep}', which is not in the plan${suggestions++ < MAX_SUGGESTIONS ? didYouMean(dep, ids().filter((other) => other !== id)) : ''}`,
          },
        });
      } else if (alive[i]) {
        from[m] = d;
        to[m] = i;
        m++;
      }
    }
  }
  const graph = toCsr(n, from, to, m);

  const { level, processed } = kahn(graph, alive);
  let aliveCount = 0;
  for (let i = 0; i < n; i++) aliveCount += alive[i]!;
  let cyclic = false;
  if (processed < aliveCount) {
    const remaining = alive.slice();
    for (let i = 0; i < n; i++) if (level[i]! >= 0) remaining[i] = 0;
    for (const cycle of findCycles(graph, remaining)) {
      cyclic = true;
      found.push({ at: cycle[0]!, problem: cycleProblem(tasks, first, cycle, pos) });
    }
  }

  found.sort((a, b) => a.at - b.at);
  const problems = found.map((f) => f.problem);
  if (cyclic || duplicates) return { problems, levels: [] };
  const levels: string[][] = [];
  for (let i = 0; i < n; i++) {
    const l = level[i]!;
    while (levels.length <= l) levels.push([]);
    levels[l]!.push(tasks[i]!.id);
  }
  return { problems, levels };
}

function toCsr(n: number, from: Int32Array, to: Int32Array, m: number): IndexedGraph {
  const starts = new Int32Array(n + 1);
  for (let e = 0; e < m; e++) starts[from[e]! + 1]!++;
  for (let v = 0; v < n; v++) starts[v + 1]! += starts[v]!;
  const fill = starts.slice(0, n);
  const targets = new Int32Array(m);
  for (let e = 0; e < m; e++) targets[fill[from[e]!]!++] = to[e]!;
  return { order: n, starts, targets };
}

/** Kahn's algorithm; `level[v]` is the longest path from a source, -1 for nodes on or after a cycle. */
function kahn(graph: IndexedGraph, alive: Uint8Array): { level: Int32Array; processed: number } {
  const { order, starts, targets } = graph;
  const indegree = new Int32Array(order);
  for (let e = 0; e < starts[order]!; e++) indegree[targets[e]!]!++;
  const level = new Int32Array(order).fill(-1);
  const queue = new Int32Array(order);
  let tail = 0;
  for (let v = 0; v < order; v++) {
    if (alive[v] && indegree[v] === 0) {
      queue[tail++] = v;
      level[v] = 0;
    }
  }
  for (let head = 0; head < tail; head++) {
    const u = queue[head]!;
    const next = level[u]! + 1;
    for (let e = starts[u]!; e < starts[u + 1]!; e++) {
      const w = targets[e]!;
      if (next > level[w]!) level[w] = next;
      if (--indegree[w]! === 0) queue[tail++] = w;
    }
  }
  // Nodes reached only part-way keep a level from a processed parent: reset them.
  for (let v = 0; v < order; v++) if (indegree[v]! > 0) level[v] = -1;
  return { level, processed: tail };
}

function cycleProblem(
  tasks: ReadonlyArray<AnalyzableTask>,
  first: ReadonlyMap<string, number>,
  cycle: readonly number[],
  pos: (i: number) => number,
): Problem {
  const start = cycle[0]!;
  const next = cycle[1]!;
  const ids = cycle.map((v) => tasks[v]!.id);
  const deps = tasks[start]!.dependsOn;
  let j = 0;
  while (j < deps.length - 1 && first.get(deps[j]!) !== next) j++;
  const path = `cycle: ${ids.join(' → ')}`;
  return {
    field: `tasks[${pos(start)}].dependsOn[${j}]`,
    message: cycle.length === 2 ? `${path} (task ${ids[0]} depends on itself)` : `${path} (each task depends on the next)`,
  };
}

/** How many missing dependencies get a "did you mean": each suggestion compares against every task id. */
const MAX_SUGGESTIONS = 20;
