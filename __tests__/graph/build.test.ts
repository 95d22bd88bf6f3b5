import { describe, it, expect } from '@jest/globals';
import { hasCycle, topologicalGenerations } from 'graphology-dag';
import { buildGraph } from '../../src/graph/build.js';
import { analyzeTasks } from '../../src/graph/analyze.js';

describe('buildGraph', () => {
  it('has a node per task and an edge from each dependency to its dependent', () => {
    const graph = buildGraph([
      { id: 'setup', dependsOn: [] },
      { id: 'a', dependsOn: ['setup'] },
      { id: 'b', dependsOn: ['setup', 'a'] },
      { id: 'alone', dependsOn: [] },
    ]);
    expect(graph.nodes()).toEqual(['setup', 'a', 'b', 'alone']);
    expect(graph.size).toBe(3);
    expect(graph.hasDirectedEdge('setup', 'a')).toBe(true);
    expect(graph.hasDirectedEdge('a', 'setup')).toBe(false);
    expect(graph.inNeighbors('b').sort()).toEqual(['a', 'setup']);
    expect(graph.outNeighbors('setup').sort()).toEqual(['a', 'b']);
  });

  it('makes one edge of a repeated dependency', () => {
    const graph = buildGraph([
      { id: 'a', dependsOn: [] },
      { id: 'b', dependsOn: ['a', 'a'] },
    ]);
    expect(graph.size).toBe(1);
  });

  it.each([
    { name: 'duplicate id', tasks: [{ id: 'a', dependsOn: [] }, { id: 'a', dependsOn: [] }], error: /duplicate task id 'a'/ },
    { name: 'unknown dependency', tasks: [{ id: 'a', dependsOn: ['ghost'] }], error: /depends on unknown task 'ghost'/ },
    { name: 'self-loop', tasks: [{ id: 'a', dependsOn: ['a'] }], error: /depends on itself/ },
  ])('throws on $name', ({ tasks, error }) => {
    expect(() => buildGraph(tasks)).toThrow(error);
  });

  it('builds a 20,000-task chain whose generations match analyzeTasks', () => {
    const tasks = Array.from({ length: 20_000 }, (_, i) => ({ id: `t${i}`, agent: 'coder', dependsOn: i ? [`t${i - 1}`] : [] }));
    const graph = buildGraph(tasks);
    expect(graph.order).toBe(20_000);
    expect(graph.size).toBe(19_999);
    expect(hasCycle(graph)).toBe(false);
    const generations = topologicalGenerations(graph);
    expect(generations).toHaveLength(20_000);
    expect(generations).toEqual(analyzeTasks(tasks, ['coder']).levels);
  });
});
