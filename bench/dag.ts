import type { TaskSpec } from '../src/plan/schema.js';

/** mulberry32: a tiny seeded PRNG, so every run of a benchmark sees the same graph. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface DagOptions {
  tasks: number;
  /** Exactly this many edges in total. */
  edges: number;
  /** Most dependencies one task may have (all on earlier tasks, all distinct). */
  maxDeps: number;
  seed: number;
}

/**
 * A random DAG as dependency lists by index: task i depends on up to
 * `maxDeps` distinct earlier tasks, chosen uniformly, with exactly `edges`
 * edges spread uniformly over the free dependency slots. Task i has only i
 * earlier tasks, so the most edges possible is Σ min(i, maxDeps).
 */
export function randomDag(opts: DagOptions): number[][] {
  const { tasks: n, edges, maxDeps, seed } = opts;
  const random = prng(seed);
  const slots: number[] = [];
  for (let i = 0; i < n; i++) for (let k = Math.min(i, maxDeps); k > 0; k--) slots.push(i);
  if (edges > slots.length) {
    throw new RangeError(`${n} tasks with at most ${maxDeps} dependencies on earlier tasks allow ${slots.length} edges, not ${edges}`);
  }
  // A partial Fisher–Yates: the first `edges` slots are a uniform sample.
  const count = new Int32Array(n);
  for (let e = 0; e < edges; e++) {
    const j = e + Math.floor(random() * (slots.length - e));
    const pick = slots[j]!;
    slots[j] = slots[e]!;
    slots[e] = pick;
    count[pick]!++;
  }
  const deps: number[][] = [];
  for (let i = 0; i < n; i++) {
    const mine: number[] = [];
    while (mine.length < count[i]!) {
      const d = Math.floor(random() * i);
      if (!mine.includes(d)) mine.push(d);
    }
    deps.push(mine.sort((a, b) => a - b));
  }
  return deps;
}

/** Number of topological levels (longest path + 1) of a DAG given by `randomDag`. */
export function depthOf(deps: readonly (readonly number[])[]): number {
  const level = new Int32Array(deps.length);
  let depth = 0;
  for (let i = 0; i < deps.length; i++) {
    let l = 0;
    for (const d of deps[i]!) l = Math.max(l, level[d]! + 1);
    level[i] = l;
    depth = Math.max(depth, l + 1);
  }
  return depth;
}

/** Task ids of a benchmark plan: fixed width, so they sort in plan order. */
export function taskId(i: number): string {
  return `t${String(i).padStart(6, '0')}`;
}

/** Shell tasks running `prompt`, wired by `deps` (an empty list per task: all independent). */
export function shellTasks(deps: readonly (readonly number[])[], prompt: string): TaskSpec[] {
  return deps.map((list, i) => ({
    id: taskId(i),
    agent: 'shell',
    prompt,
    dependsOn: list.map(taskId),
    writes: [],
    failureMode: 'hard',
    retries: 0,
    followUps: true,
  }));
}
