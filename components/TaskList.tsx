import { Box, Text } from 'ink';
import { memo } from 'react';
import type { TaskRecord } from '../src/scheduler/run-store.js';
import { formatElapsed, stateDetail, stateLabel, taskDuration } from '../src/report/format.js';
import { visible } from '../src/report/visible.js';
import type { Attention, DagRow } from './dag-rows.js';
import { NEEDS_YOU_STYLE, STATE_STYLE, fit, spinner } from './glyphs.js';
import { plural } from '../src/report/plural.js';
import type { GraphRow } from './graph-layout.js';

/** How a row relates to the selected task. */
export type Relation = 'selected' | 'upstream' | 'downstream' | undefined;

interface RowProps {
  record: TaskRecord;
  width: number;
  relation: Relation;
  /** On the critical path: marked ◆. */
  critical: boolean;
  /** In the graph view, the lanes drawn left and right of the task's node. */
  left?: string | undefined;
  right?: string | undefined;
  workspace: string;
  now: number;
  /** The question its agent waits at, when it needs you. */
  asking: string | undefined;
}

const TaskRow = memo(function TaskRow({ record, width, relation, critical, left, right, workspace, now, asking }: RowProps) {
  const { state, spec } = record;
  const style = asking !== undefined ? NEEDS_YOU_STYLE : STATE_STYLE[stateLabel(state, spec.failureMode)];
  const took = taskDuration(record, now);
  const mark = relation === 'selected' ? '›' : relation === 'upstream' ? '↑' : relation === 'downstream' ? '↓' : ' ';
  const markColor = relation === 'upstream' ? 'cyan' : relation === 'downstream' ? 'magenta' : 'white';
  const lanes = (left?.length ?? 0) + (right?.length ?? 0);
  const rest = width - lanes;
  const head = `${fit(spec.id, Math.max(8, Math.floor(rest * 0.45)))} `;
  const role = `${spec.agent} `;
  const time = took !== undefined ? `${formatElapsed(took)} ` : '';
  const retry = record.attempts > 1 ? `#${record.attempts} ` : '';
  // A conflict's files first: the row is narrow, and they are what the person acts on (d shows them, m merges again).
  const detail =
    asking !== undefined ? `needs you: ${visible(asking)}`
    : state.kind === 'failed' && state.failure === 'conflict' ? `conflict: ${(state.files ?? []).join(', ')}`
    : visible(stateDetail(state, workspace, now).replace(/\s+/g, ' '));
  const room = rest - 5 - head.length - role.length - time.length - retry.length;
  return (
    <Text wrap="truncate" inverse={relation === 'selected'}>
      <Text color={markColor} bold>{mark}</Text>
      <Text color="yellow">{critical ? '◆' : ' '}</Text>
      {left ? <Text color="gray">{left}</Text> : null}
      <Text color={style.color} bold={asking !== undefined}>{state.kind === 'running' && asking === undefined ? spinner(now) : style.glyph}</Text>
      {right ? <Text color="gray">{right}</Text> : null}
      <Text> </Text>
      <Text bold={relation !== undefined} color={relation === 'upstream' ? 'cyan' : relation === 'downstream' ? 'magenta' : undefined}>
        {head}
      </Text>
      <Text color="gray">{role}</Text>
      <Text>{time}</Text>
      <Text color="yellow">{retry}</Text>
      <Text color={style.color}>{room > 3 ? fit(detail, room) : ''}</Text>
    </Text>
  );
});

const GROUP_NAMES: Readonly<Record<Attention, string>> = { failed: 'failed', running: 'running', rest: 'the rest' };

/**
 * Renders only the rows in view: a 1,000-task plan costs what a screenful costs.
 * With `graph`, each task's lanes are drawn around its state glyph (graph-layout.ts).
 */
export function TaskList(props: {
  rows: readonly DagRow[];
  top: number;
  height: number;
  width: number;
  selected: string | undefined;
  upstream: ReadonlySet<string>;
  downstream: ReadonlySet<string>;
  critical?: ReadonlySet<string>;
  graph?: ReadonlyMap<string, GraphRow> | undefined;
  workspace: string;
  now: number;
  /** Tasks that need you: id → the question (the run snapshot's needsYou). */
  needsYou: Readonly<Record<string, string>>;
}) {
  const { rows, top, height, width, selected, upstream, downstream, critical, graph } = props;
  const shown = rows.slice(top, top + height);
  return (
    <Box flexDirection="column" height={height} width={width} overflow="hidden">
      {shown.map((row) => {
        if (row.kind === 'level' || row.kind === 'group') {
          const name = row.kind === 'level' ? `level ${row.level + 1}` : GROUP_NAMES[row.group];
          return (
            <Text key={`${row.kind}-${name}`} color={row.kind === 'group' && row.group === 'failed' ? 'red' : 'gray'} wrap="truncate">
              {fit(`── ${name} · ${plural(row.count, 'task')} ${'─'.repeat(width)}`, width)}
            </Text>
          );
        }
        const id = row.record.spec.id;
        const relation: Relation = id === selected ? 'selected' : upstream.has(id) ? 'upstream' : downstream.has(id) ? 'downstream' : undefined;
        const lanes = graph?.get(id);
        return (
          <TaskRow
            key={id}
            record={row.record}
            width={width}
            relation={relation}
            critical={critical?.has(id) ?? false}
            left={lanes?.left}
            right={lanes?.right}
            workspace={props.workspace}
            now={props.now}
            asking={props.needsYou[id]}
          />
        );
      })}
    </Box>
  );
}
