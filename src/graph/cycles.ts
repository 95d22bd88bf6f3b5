/**
 * A dependency graph over task indexes in compressed sparse row form: the
 * dependents of node `v` are `targets[starts[v] .. starts[v + 1])`. Typed
 * arrays keep 100,000-task plans cheap to analyse.
 */
export interface IndexedGraph {
  /** Number of nodes; node ids are 0 .. order-1 in plan order. */
  order: number;
  /** Length order+1. */
  starts: Int32Array;
  /** Edge targets: dependency → dependent. */
  targets: Int32Array;
}

/**
 * Finds every cyclic group (strongly connected component with a cycle) among
 * the nodes where `alive[v]` is 1, and one shortest cycle through each.
 *
 * Each cycle is returned in "depends on" order — `[a, b, c, a]` means a
 * depends on b, b on c, c on a — starting and ending at the member that comes
 * first in plan order; cycles are sorted by that member. Tarjan's algorithm
 * and the BFS run with explicit stacks, so a 20,000-node chain does not
 * overflow the call stack.
 */
export function findCycles(graph: IndexedGraph, alive: Uint8Array): number[][] {
  const { order, starts, targets } = graph;
  const index = new Int32Array(order).fill(-1);
  const low = new Int32Array(order);
  const onStack = new Uint8Array(order);
  const stack = new Int32Array(order);
  const callNode = new Int32Array(order);
  const callEdge = new Int32Array(order);
  const comp = new Int32Array(order).fill(-1);
  const cyclicStarts: number[] = [];
  let sp = 0;
  let csp = 0;
  let counter = 0;
  let compCount = 0;

  const enter = (v: number): void => {
    index[v] = counter;
    low[v] = counter;
    counter++;
    stack[sp++] = v;
    onStack[v] = 1;
    callNode[csp] = v;
    callEdge[csp] = starts[v]!;
    csp++;
  };

  for (let s = 0; s < order; s++) {
    if (!alive[s] || index[s]! >= 0) continue;
    enter(s);
    while (csp > 0) {
      const v = callNode[csp - 1]!;
      const e = callEdge[csp - 1]!;
      if (e < starts[v + 1]!) {
        callEdge[csp - 1] = e + 1;
        const w = targets[e]!;
        if (!alive[w]) continue;
        if (index[w]! < 0) enter(w);
        else if (onStack[w] && index[w]! < low[v]!) low[v] = index[w]!;
        continue;
      }
      csp--;
      if (low[v] === index[v]) {
        let size = 0;
        let first = v;
        let w: number;
        do {
          w = stack[--sp]!;
          onStack[w] = 0;
          comp[w] = compCount;
          size++;
          if (w < first) first = w;
        } while (w !== v);
        if (size > 1 || hasSelfLoop(graph, v)) cyclicStarts.push(first);
        compCount++;
      }
      if (csp > 0) {
        const u = callNode[csp - 1]!;
        if (low[v]! < low[u]!) low[u] = low[v]!;
      }
    }
  }

  cyclicStarts.sort((a, b) => a - b);
  const parent = new Int32Array(order).fill(-1);
  return cyclicStarts.map((start) => shortestCycle(graph, comp, parent, start));
}

function hasSelfLoop(graph: IndexedGraph, v: number): boolean {
  for (let e = graph.starts[v]!; e < graph.starts[v + 1]!; e++) if (graph.targets[e] === v) return true;
  return false;
}

/** BFS from `start` inside its component until an edge returns to it; `parent` is scratch, left all -1. */
function shortestCycle(graph: IndexedGraph, comp: Int32Array, parent: Int32Array, start: number): number[] {
  const { starts, targets } = graph;
  const group = comp[start];
  const queue: number[] = [start];
  parent[start] = start;
  let last = -1;
  for (let head = 0; head < queue.length && last < 0; head++) {
    const u = queue[head]!;
    for (let e = starts[u]!; e < starts[u + 1]!; e++) {
      const w = targets[e]!;
      if (w === start) {
        last = u;
        break;
      }
      if (comp[w] !== group || parent[w]! >= 0) continue;
      parent[w] = u;
      queue.push(w);
    }
  }
  // Edges run dependency → dependent, so walking parents back from `last`
  // reads the cycle in "depends on" order: start depends on last, and so on.
  const cycle = [start];
  for (let v = last; v !== start; v = parent[v]!) cycle.push(v);
  cycle.push(start);
  for (const v of queue) parent[v] = -1;
  return cycle;
}
