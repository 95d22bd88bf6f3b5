import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { layoutGraph } from '../../components/graph-layout.js';
import type { GraphLayout, GraphNode } from '../../components/graph-layout.js';

const n = (id: string, ...dependsOn: string[]): GraphNode => ({ id, dependsOn });

/** The drawing as a person sees it: lanes with the node, then the id. */
function picture(layout: GraphLayout): string[] {
  return layout.rows.map((r) => `${r.left}●${r.right} ${r.id}`.trimEnd());
}

const DOWN_INTO = new Set(['│', '├', '┤', '┼', '└', '┘', '┴', '●']);
const JUNCTION = new Set(['├', '┤', '┼', '└', '┘', '┴']);
const ENDS = new Set(['└', '┘', '┴']);

/**
 * Reads the edges back out of the drawing the way a person would: lanes run
 * down from a task, and each junction on a row (or a lane running straight
 * into the task) is an edge from the lane's task into that row's task.
 * Throws where the drawing is ambiguous: a lane that vanishes, or a glyph
 * that connects upward with nothing above it.
 */
function readEdges(layout: GraphLayout): Array<[string, string]> {
  const edges: Array<[string, string]> = [];
  // Per column: the task whose lane flows down it, and whether that task is on the row just above (a leaf may end there).
  let flow: Array<{ id: string; fresh: boolean } | undefined> = [];
  for (const row of layout.rows) {
    const cells = [...`${row.left}●${row.right}`].filter((_, i) => i % 2 === 0);
    const next: typeof flow = [];
    cells.forEach((g, c) => {
      const from = flow[c];
      if ((c === row.column) !== (g === '●')) throw new Error(`row ${row.id}: '${g}' in column ${c}, the task is in column ${row.column}`);
      if (!from) {
        if (c !== row.column && g !== ' ' && g !== '─') throw new Error(`row ${row.id}: '${g}' in column ${c} has no lane above it`);
        return;
      }
      if (!DOWN_INTO.has(g)) {
        if (!from.fresh) throw new Error(`row ${row.id}: the lane of ${from.id} in column ${c} vanishes`);
        return;
      }
      if (JUNCTION.has(g) || c === row.column) edges.push([from.id, row.id]);
      if (c !== row.column && !ENDS.has(g)) next[c] = { id: from.id, fresh: false };
    });
    for (let c = cells.length; c < flow.length; c++) if (flow[c] && !flow[c]!.fresh) throw new Error(`row ${row.id}: lane ${c} cut off`);
    next[row.column] = { id: row.id, fresh: true };
    flow = next;
  }
  for (const f of flow) if (f && !f.fresh) throw new Error(`the lane of ${f.id} runs past the last row`);
  return edges;
}

const edgesOf = (nodes: readonly GraphNode[]) => nodes.flatMap((x) => [...new Set(x.dependsOn)].map((d): [string, string] => [d, x.id]));
const sorted = (edges: Array<[string, string]>) => edges.map((e) => e.join('>')).sort();

describe('the graph layout', () => {
  it.each<[string, GraphNode[], string[]]>([
    ['a diamond', [n('a'), n('b', 'a'), n('c', 'a'), n('d', 'b', 'c')], ['●   a', '├─● b', '● │ c', '●─┘ d']],
    [
      'a fan-out and a fan-in (the example plan)',
      [n('setup'), n('compile', 'setup'), n('lint', 'setup'), n('docs', 'setup'), n('chat', 'setup'), n('test', 'compile', 'lint'), n('release', 'test', 'docs', 'chat')],
      ['●       setup', '├─●     compile', '├─│─●   lint', '├─│─│─● docs', '● │ │ │ chat', '│ ●─┘ │ test', '●─┴───┘ release'],
    ],
    // Leaves under one parent: never one straight under another, which would read as an edge between them.
    ['a fan-out to leaves', [n('s'), n('a', 's'), n('b', 's'), n('c', 's')], ['●     s', '├─●   a', '├───● b', '●     c']],
    ['independent tasks', [n('a'), n('b'), n('c')], ['●   a', '  ● b', '●   c']],
    ['two chains that meet', [n('a'), n('x'), n('b', 'a'), n('y', 'x'), n('z', 'b', 'y')], ['●   a', '│ ● x', '● │ b', '│ ● y', '●─┘ z']],
  ])('draws %s', (_what, nodes, drawn) => {
    const layout = layoutGraph(nodes);
    expect(picture(layout)).toEqual(drawn);
    expect(sorted(readEdges(layout))).toEqual(sorted(edgesOf(nodes)));
  });

  it('keeps a long chain in one column (and does not recurse: 20,000 tasks)', () => {
    const chain = Array.from({ length: 20_000 }, (_, i) => n(`t${i}`, ...(i ? [`t${i - 1}`] : [])));
    const layout = layoutGraph(chain);
    expect(layout.width).toBe(1);
    expect(layout.rows.every((r) => r.column === 0 && r.left === '' && r.right === '')).toBe(true);
  });

  it('draws a follow-up added later under the task that spawned it, leaving the rows above as they were', () => {
    const plan = [n('a'), n('b', 'a'), n('c', 'a'), n('d', 'b')];
    const before = picture(layoutGraph(plan));
    // A follow-up of c, listed at its level (after d, as the DAG view orders them).
    const after = layoutGraph([...plan, n('c-review', 'c')]);
    expect(before).toEqual(['●   a', '├─● b', '● │ c', '  ● d']);
    expect(picture(after).slice(0, 3)).toEqual(before.slice(0, 3));
    expect(picture(after)).toEqual(['●   a', '├─● b', '● │ c', '│ ● d', '●   c-review']);
    expect(sorted(readEdges(after))).toContain('c>c-review');
  });

  it('draws no edge for a dependency that is not listed (filtered out)', () => {
    const layout = layoutGraph([n('b', 'a'), n('c', 'b', 'gone')]);
    expect(picture(layout)).toEqual(['● b', '● c']);
    expect(readEdges(layout)).toEqual([['b', 'c']]);
  });

  it('draws every edge of any DAG, and only those, readable lane by lane', () => {
    const dag = fc.integer({ min: 1, max: 40 }).chain((size) =>
      fc.tuple(...Array.from({ length: size }, (_, i) => fc.uniqueArray(fc.integer({ min: 0, max: Math.max(0, i - 1) }), { maxLength: i ? 4 : 0 }))),
    );
    fc.assert(
      fc.property(dag, (deps) => {
        const nodes = deps.map((ds, i) => n(`t${i}`, ...ds.filter((d) => d < i).map((d) => `t${d}`)));
        const layout = layoutGraph(nodes);
        expect(sorted(readEdges(layout))).toEqual(sorted(edgesOf(nodes)));
        for (const r of layout.rows) expect(r.left.length + 1 + r.right.length).toBe(layout.width);
      }),
      { numRuns: 300 },
    );
  });
});
