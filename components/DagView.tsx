import { Box, Text } from 'ink';
import { useMemo, useState } from 'react';
import type { DagRow } from './dag-rows.js';
import { windowTop } from './dag-rows.js';
import { SPINNER_MS, fit } from './glyphs.js';
import { useEngine } from './hooks/engine-context.js';
import { useNow } from './hooks/use-now.js';
import { TaskList } from './TaskList.js';

/**
 * The DAG view: tasks grouped by level, the selected task's upstream (↑) and
 * downstream (↓) highlighted and named, scrolled so the selection stays in view.
 */
export function DagView(props: {
  rows: readonly DagRow[];
  selected: string | undefined;
  width: number;
  height: number;
  focused: boolean;
  filter: string;
  workspace: string;
  live: boolean;
}) {
  const { rows, selected, width, height, focused, filter } = props;
  const engine = useEngine();
  const inner = width - 2;
  const listHeight = Math.max(1, height - 4);
  const index = rows.findIndex((r) => r.kind === 'task' && r.record.spec.id === selected);
  // Where the window starts depends on where it was (it scrolls only to keep the selection in view):
  // information from the previous render, kept as state and adjusted while rendering (react.dev, useState).
  const [shownTop, setShownTop] = useState(0);
  const top = windowTop(shownTop, index, listHeight, rows.length);
  if (top !== shownTop) setShownTop(top);
  const record = index >= 0 ? (rows[index] as Extract<DagRow, { kind: 'task' }>).record : undefined;
  const upstream = useMemo(() => new Set(record?.spec.dependsOn ?? []), [record?.spec]);
  // dependentsOf grows as follow-ups spawn; rows change then too.
  // eslint-disable-next-line react-hooks/exhaustive-deps -- rows.length is the version of the engine's dependents (follow-ups add both)
  const downstream = useMemo(() => new Set(selected ? engine.dependentsOf(selected) : []), [engine, selected, rows.length]);
  const now = useNow(props.live, SPINNER_MS);
  const tasks = rows.filter((r) => r.kind === 'task').length;
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
        {fit(`tasks${position}${filter ? ` · filter ${filter}` : ''}`, inner)}
      </Text>
      <TaskList
        rows={rows}
        top={top}
        height={listHeight}
        width={inner}
        selected={selected}
        upstream={upstream}
        downstream={downstream}
        workspace={props.workspace}
        now={now}
      />
      <Text wrap="truncate">
        <Text color="cyan">{fit(relation, inner)}</Text>
      </Text>
    </Box>
  );
}
