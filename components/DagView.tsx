import { Box, Text } from 'ink';
import { useMemo } from 'react';
import type { DagRow, SortOrder } from './dag-rows.js';
import { SPINNER_MS, fit } from './glyphs.js';
import { GRAPH_MAX_TASKS, layoutGraph } from './graph-layout.js';
import type { GraphRow } from './graph-layout.js';
import { useEngine } from './hooks/engine-context.js';
import { useNow } from './hooks/use-now.js';
import { TaskList } from './TaskList.js';

type TaskRow = Extract<DagRow, { kind: 'task' }>;

/**
 * The graph's lanes by task, or why the list is shown instead. Laid out only
 * when the listed tasks change (a follow-up, the filter), not on a state
 * change or a spinner tick: specs never change, so the ids are the shape.
 */
export function useGraph(on: boolean, tasks: readonly TaskRow[], inner: number): { lanes: ReadonlyMap<string, GraphRow> | undefined; note: string } {
  const big = tasks.length > GRAPH_MAX_TASKS;
  const shape = on && !big ? tasks.map((r) => r.record.spec.id).join('\n') : '';
  // eslint-disable-next-line react-hooks/exhaustive-deps -- `shape` is the version of `tasks` the layout reads (ids in order; their dependencies never change)
  const layout = useMemo(() => (shape ? layoutGraph(tasks.map((r) => r.record.spec)) : undefined), [shape]);
  if (!on) return { lanes: undefined, note: '' };
  if (big) return { lanes: undefined, note: ` · list (> ${GRAPH_MAX_TASKS} tasks)` };
  // The lanes may take all but what a row needs to stay readable: marks, an id's start, its role.
  // The title is short to fit the narrowest list (32 columns); the README says what it means.
  if (layout && layout.width > Math.max(8, inner - 24)) return { lanes: undefined, note: ' · list (too wide)' };
  return { lanes: new Map(layout?.rows.map((r) => [r.id, r])), note: ' · graph' };
}

/**
 * The DAG view: tasks grouped by level, or drawn as a graph (`graph`), the
 * selected task's upstream (↑) and downstream (↓) highlighted and named, the
 * critical path marked ◆, scrolled so the selection stays in view.
 */
export function DagView(props: {
  rows: readonly DagRow[];
  selected: string | undefined;
  width: number;
  height: number;
  focused: boolean;
  filter: string;
  sort: SortOrder;
  /** The first row in view (useListTop). */
  top: number;
  workspace: string;
  live: boolean;
  needsYou: Readonly<Record<string, string>>;
  /** The graph's lanes by task (useGraph); undefined: the list by level. */
  lanes: ReadonlyMap<string, GraphRow> | undefined;
  /** What the title says of the view: ` · graph`, or why the list is shown instead. */
  note: string;
  critical: ReadonlySet<string>;
}) {
  const { rows, selected, width, height, focused, filter, top } = props;
  const engine = useEngine();
  const inner = width - 2;
  const listHeight = Math.max(1, height - 4);
  const lanes = props.lanes;
  const tasks = useMemo(() => rows.filter((r) => r.kind === 'task').length, [rows]);
  const index = rows.findIndex((r) => r.kind === 'task' && r.record.spec.id === selected);
  const record = index >= 0 ? (rows[index] as TaskRow).record : undefined;
  const upstream = useMemo(() => new Set(record?.spec.dependsOn ?? []), [record?.spec]);
  // dependentsOf grows as follow-ups spawn; rows change then too.
  // eslint-disable-next-line react-hooks/exhaustive-deps -- rows.length is the version of the engine's dependents (follow-ups add both)
  const downstream = useMemo(() => new Set(selected ? engine.dependentsOf(selected) : []), [engine, selected, rows.length]);
  const now = useNow(props.live, SPINNER_MS);
  const relation = record
    ? [
        upstream.size ? `needs ${[...upstream].join(', ')}` : 'needs nothing',
        downstream.size ? `unblocks ${[...downstream].join(', ')}` : 'unblocks nothing',
        record.spec.spawnedBy ? `follow-up of ${record.spec.spawnedBy}` : '',
      ]
        .filter(Boolean)
        .join(' · ')
    : 'no task selected';
  const position = index >= 0 ? ` ${rows.slice(0, index + 1).filter((r) => r.kind === 'task').length}/${tasks}` : ` ${tasks}`;
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={focused ? 'cyan' : 'gray'} width={width} height={height}>
      <Text bold wrap="truncate">
        {fit(`tasks${position}${props.note}${props.sort === 'attention' ? ' · failed/running first' : ''}${filter ? ` · filter ${filter}` : ''}`, inner)}
      </Text>
      <TaskList
        rows={rows}
        top={top}
        height={listHeight}
        width={inner}
        selected={selected}
        upstream={upstream}
        downstream={downstream}
        critical={props.critical}
        graph={lanes}
        workspace={props.workspace}
        now={now}
        needsYou={props.needsYou}
      />
      <Text wrap="truncate">
        <Text color="cyan">{fit(relation, inner)}</Text>
      </Text>
    </Box>
  );
}
