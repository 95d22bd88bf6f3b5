/**
 * The DAG view's graph, drawn as lanes beside the task list (as `git log --graph` does):
 * one task per row, so selection, scrolling and a row's state and duration work as in the list.
 *
 * Written here rather than taken from npm: the layered-layout libraries (dagre,
 * elkjs) place nodes on a 2-D plane in coordinates, and the text renderers
 * (beautiful-mermaid) draw a free picture of it; neither keeps one task per
 * row, and @gitgraph models branches and commits for the browser.
 *
 * A lane carries one task's edges down to its dependents not yet drawn
 * (a fan-out is one lane however wide). On a task's row a horizontal line joins
 * it to the lanes of its dependencies: ├ ┤ ┼ where the lane goes on to another
 * dependent, └ ┘ ┴ where this was its last. A lane the line only passes stays │
 * (drawn over the line), so every junction on a row is an edge into that row's task.
 */

/** A task as the graph sees it. */
export interface GraphNode {
  readonly id: string;
  readonly dependsOn: readonly string[];
}

/** One row: the lane text left and right of the task's node, which the view draws in the task's state glyph. */
export interface GraphRow {
  readonly id: string;
  readonly column: number;
  readonly left: string;
  readonly right: string;
}

export interface GraphLayout {
  readonly rows: readonly GraphRow[];
  /** Columns of text every row's lanes take (left + node + right). */
  readonly width: number;
}

/** Above this many tasks the view lists tasks by level instead: a graph that tall is no longer read as a shape. */
export const GRAPH_MAX_TASKS = 300;

/**
 * Lays out `nodes`, given in a topological order (every dependency listed
 * before its dependents, as the DAG view's level order is). A dependency that
 * is not among the nodes (filtered out) or is listed later draws no edge.
 */
export function layoutGraph(nodes: readonly GraphNode[]): GraphLayout {
  const index = new Map(nodes.map((n, i) => [n.id, i]));
  const depsOf = nodes.map((n, i) => [...new Set(n.dependsOn)].filter((d) => (index.get(d) ?? i) < i));
  // Dependents each task still has below the current row: its lane ends when this reaches 0.
  const remaining = new Map<string, number>();
  for (const deps of depsOf) for (const d of deps) remaining.set(d, (remaining.get(d) ?? 0) + 1);
  const lanes: (string | undefined)[] = [];
  const laneOf = new Map<string, number>();
  const drawn: Array<{ id: string; column: number; text: string }> = [];
  let width = 0;

  nodes.forEach((node, i) => {
    const feeds = new Map<number, boolean>();
    for (const d of depsOf[i]!) {
      const left = remaining.get(d)! - 1;
      remaining.set(d, left);
      feeds.set(laneOf.get(d)!, left === 0);
    }
    const ending = [...feeds].filter(([, ends]) => ends).map(([c]) => c);
    // Not straight below the row above's task: a node under a node reads as an edge between them.
    const above = drawn.at(-1)?.column;
    let free = 0;
    while (free < lanes.length && (lanes[free] !== undefined || free === above)) free++;
    if (free === above) free++;
    // On the lane of a dependency that ends here the edge runs straight down into the task: a chain stays one column.
    const column = ending.length ? Math.min(...ending) : free;
    const columns = Math.max(lanes.length, column + 1);
    const lo = Math.min(column, ...feeds.keys());
    const hi = Math.max(column, ...feeds.keys());
    let text = '';
    for (let c = 0; c < columns; c++) {
      const ends = feeds.get(c);
      let glyph: string;
      if (c === column) glyph = '●';
      else if (ends !== undefined) glyph = junction(c, column, ends, c === lo || c === hi);
      else if (lanes[c] !== undefined) glyph = '│';
      else glyph = c > lo && c < hi ? '─' : ' ';
      text += glyph + (c >= lo && c < hi ? '─' : ' ');
    }
    drawn.push({ id: node.id, column, text });
    width = Math.max(width, text.trimEnd().length);

    for (const c of ending) lanes[c] = undefined;
    if ((remaining.get(node.id) ?? 0) > 0) {
      lanes[column] = node.id;
      laneOf.set(node.id, column);
    }
    while (lanes.length && lanes.at(-1) === undefined) lanes.pop();
  });

  const rows = drawn.map(({ id, column, text }) => {
    const full = text.padEnd(width).slice(0, width);
    return { id, column, left: full.slice(0, column * 2), right: full.slice(column * 2 + 1) };
  });
  return { rows, width };
}

/** Where a dependency's lane meets the line to its dependent at `column`: at the line's end or in its middle, going on or ending. */
function junction(c: number, column: number, ends: boolean, outer: boolean): string {
  if (!outer) return ends ? '┴' : '┼';
  if (c < column) return ends ? '└' : '├';
  return ends ? '┘' : '┤';
}
