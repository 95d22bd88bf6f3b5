import { DirectedGraph } from 'graphology';
import type { TaskSpec } from '../plan/schema.js';

/**
 * Builds the graphology graph the scheduler and the DAG view walk: one node
 * per task id, one edge dependency → dependent (a repeated dependency is one
 * edge). Callers validate with `analyzeTasks` first; this throws on a
 * duplicate id, an unknown dependency or a self-loop, and does not search for
 * longer cycles, to stay cheap on large plans.
 */
export function buildGraph(tasks: ReadonlyArray<Pick<TaskSpec, 'id' | 'dependsOn'>>): DirectedGraph {
  const graph = new DirectedGraph({ allowSelfLoops: false });
  for (const task of tasks) {
    if (graph.hasNode(task.id)) throw new Error(`buildGraph: duplicate task id '${task.id}'`);
    graph.addNode(task.id);
  }
  for (const task of tasks) {
    for (const dep of task.dependsOn) {
      if (!graph.hasNode(dep)) throw new Error(`buildGraph: task ${task.id} depends on unknown task '${dep}'`);
      if (dep === task.id) throw new Error(`buildGraph: task ${task.id} depends on itself`);
      if (!graph.hasDirectedEdge(dep, task.id)) graph.addDirectedEdge(dep, task.id);
    }
  }
  return graph;
}
