import { Box, Text } from 'ink';
import { memo } from 'react';
import type { TaskRecord } from '../src/scheduler/run-store.js';
import { formatElapsed, stateDetail, stateLabel, taskDuration } from '../src/report/format.js';
import { visible } from '../src/report/visible.js';
import type { DagRow } from './dag-rows.js';
import { STATE_STYLE, fit, spinner } from './glyphs.js';

/** How a row relates to the selected task. */
export type Relation = 'selected' | 'upstream' | 'downstream' | undefined;

interface RowProps {
  record: TaskRecord;
  width: number;
  relation: Relation;
  workspace: string;
  now: number;
}

const TaskRow = memo(function TaskRow({ record, width, relation, workspace, now }: RowProps) {
  const { state, spec } = record;
  const style = STATE_STYLE[stateLabel(state, spec.failureMode)];
  const took = taskDuration(record, now);
  const mark = relation === 'selected' ? '›' : relation === 'upstream' ? '↑' : relation === 'downstream' ? '↓' : ' ';
  const markColor = relation === 'upstream' ? 'cyan' : relation === 'downstream' ? 'magenta' : 'white';
  const head = `${fit(spec.id, Math.max(8, Math.floor(width * 0.45)))} `;
  const role = `${spec.agent} `;
  const time = took !== undefined ? `${formatElapsed(took)} ` : '';
  const retry = record.attempts > 1 ? `#${record.attempts} ` : '';
  // A conflict's files first: the row is narrow, and they are what the person acts on (d shows them, m merges again).
  const detail = state.kind === 'failed' && state.failure === 'conflict' ? `conflict: ${(state.files ?? []).join(', ')}` : visible(stateDetail(state, workspace, now).replace(/\s+/g, ' '));
  const room = width - 4 - head.length - role.length - time.length - retry.length;
  return (
    <Text wrap="truncate" inverse={relation === 'selected'}>
      <Text color={markColor} bold>{mark}</Text>
      <Text color={style.color}>{state.kind === 'running' ? spinner(now) : style.glyph}</Text>
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

/** Renders only the rows in view: a 1,000-task plan costs what a screenful costs. */
export function TaskList(props: {
  rows: readonly DagRow[];
  top: number;
  height: number;
  width: number;
  selected: string | undefined;
  upstream: ReadonlySet<string>;
  downstream: ReadonlySet<string>;
  workspace: string;
  now: number;
}) {
  const { rows, top, height, width, selected, upstream, downstream } = props;
  const shown = rows.slice(top, top + height);
  return (
    <Box flexDirection="column" height={height} width={width} overflow="hidden">
      {shown.map((row) => {
        if (row.kind === 'level') {
          return (
            <Text key={`level-${row.level}`} color="gray" wrap="truncate">
              {fit(`── level ${row.level + 1} · ${row.count} task${row.count === 1 ? '' : 's'} ${'─'.repeat(width)}`, width)}
            </Text>
          );
        }
        const id = row.record.spec.id;
        const relation: Relation = id === selected ? 'selected' : upstream.has(id) ? 'upstream' : downstream.has(id) ? 'downstream' : undefined;
        return <TaskRow key={id} record={row.record} width={width} relation={relation} workspace={props.workspace} now={props.now} />;
      })}
    </Box>
  );
}
