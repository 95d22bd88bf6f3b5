import { Box, Text } from 'ink';
import { memo, useMemo } from 'react';
import type { StyledLine } from '../src/agents/screen.js';
import { fit } from './glyphs.js';
import { useEngine } from './hooks/engine-context.js';
import { useRun } from './hooks/use-run.js';
import { useScreen } from './hooks/use-screen.js';
import { useThrottled } from './hooks/use-throttled.js';
import type { PaneView } from './ui-state.js';
import { stateLabel } from '../src/report/format.js';
import { inkColor } from './palette.js';

/** How often the search counts follow new output. */
const SEARCH_EVERY_MS = 500;

/** One terminal line as Ink text: each styled run keeps its colours and attributes. */
export const ScreenLine = memo(function ScreenLine({ line, highlight }: { line: StyledLine; highlight: boolean }) {
  if (line.length === 0) return <Text> </Text>;
  return (
    <Text wrap="truncate" inverse={highlight}>
      {line.map((run, i) => {
        const color = inkColor(run.fg);
        const bg = inkColor(run.bg);
        return (
          <Text
            key={i}
            {...(color ? { color } : {})}
            {...(bg ? { backgroundColor: bg } : {})}
            bold={run.bold ?? false}
            dimColor={run.dim ?? false}
            italic={run.italic ?? false}
            underline={run.underline ?? false}
            inverse={run.inverse ?? false}
          >
            {run.text}
          </Text>
        );
      })}
    </Text>
  );
});

/**
 * A task's terminal screen with its colours, following the end or scrolled
 * back (PgUp/PgDn), with the current search match marked.
 */
export function AgentPane(props: {
  id: string | undefined;
  width: number;
  height: number;
  focused: boolean;
  attached: boolean;
  view: PaneView | undefined;
}) {
  const { id, width, height, focused, attached, view } = props;
  const engine = useEngine();
  const { screen, version } = useScreen(id);
  // The label is a string: the selector returns a primitive, so the pane redraws only when it changes.
  const state = useRun((s) => {
    const record = id === undefined ? undefined : s.tasks.find((t) => t.spec.id === id);
    return record && stateLabel(record.state, record.spec.failureMode);
  });
  const rows = Math.max(1, height - 3);
  const inner = width - 2;
  const length = screen?.length ?? 0;
  const bottom = Math.max(0, length - rows);
  const first = screen && view && !view.follow ? Math.min(view.top, bottom) : bottom;
  const end = Math.min(length, first + rows);
  // lines() builds fresh arrays: styled once per screen version and row range, so an unchanged
  // screen keeps the same line objects and every ScreenLine's memo holds across other redraws.
  // eslint-disable-next-line react-hooks/exhaustive-deps -- `version` on purpose: the screen is mutable, its version is what says it changed
  const styled = useMemo(() => screen?.lines(first, end) ?? [], [screen, version, first, end]);
  let lines: StyledLine[];
  let where: string;
  if (screen) {
    lines = styled;
    where = view && !view.follow ? `line ${first + 1}–${first + lines.length} of ${length}` : 'following';
  } else {
    // No terminal screen (a headless engine, or nothing printed yet): the store's last lines.
    const tail = id === undefined ? [] : engine.store.outputTail(id);
    lines = tail.slice(-rows).map((text) => [{ text }]);
    where = tail.length ? 'output' : 'no output yet';
  }
  const match = view && view.match >= 0 ? view.matches[view.match] : undefined;
  // The counts follow output that arrives after the search: searched again as the screen changes,
  // at most twice a second (a search of a full scrollback takes ~6 ms; BENCHMARKS.md).
  const query = view?.query ?? '';
  const searched = useThrottled(version, SEARCH_EVERY_MS);
  // eslint-disable-next-line react-hooks/exhaustive-deps -- `searched` (the screen's version, throttled) on purpose, as `version` for `styled`
  const found = useMemo(() => (screen && query ? screen.search(query) : undefined), [screen, searched, query]);
  const total = found?.length ?? view?.matches.length ?? 0;
  const at = match === undefined ? -1 : (found ?? view?.matches ?? []).indexOf(match);
  const search = query ? ` · /${query} ${total ? `${at >= 0 ? at + 1 : '–'}/${total}` : 'no match'}` : '';
  const title = id === undefined ? 'no task selected' : `${id} · ${state ?? '?'} · ${where}${search}${attached ? ' · ATTACHED (ctrl+] detaches)' : ''}`;
  return (
    <Box flexDirection="column" borderStyle={attached ? 'double' : 'round'} borderColor={attached ? 'yellow' : focused ? 'cyan' : 'gray'} width={width} height={height}>
      <Text bold wrap="truncate" color={attached ? 'yellow' : undefined}>
        {fit(title, inner)}
      </Text>
      <Box flexDirection="column" height={rows} width={inner} overflow="hidden">
        {lines.map((line, i) => (
          <ScreenLine key={i} line={line} highlight={match === first + i} />
        ))}
      </Box>
    </Box>
  );
}
