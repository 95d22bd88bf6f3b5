import { Box, useApp } from 'ink';
import { useCallback, useEffect, useMemo } from 'react';
import type { Engine } from '../src/scheduler/engine.js';
import type { RunSnapshot } from '../src/scheduler/run-store.js';
import { isLive } from '../src/scheduler/states.js';
import { AgentPane } from './AgentPane.js';
import { criticalPath } from './critical-path.js';
import { buildRows, levelsOf, listWidthWanted, parseFilter, taskOrder } from './dag-rows.js';
import type { SortOrder } from './dag-rows.js';
import { DagView, useGraph } from './DagView.js';
import type { DagRow } from './dag-rows.js';
import { Footer } from './Footer.js';
import { DiffOverlay } from './DiffOverlay.js';
import { HelpOverlay } from './HelpOverlay.js';
import { helpLayout } from './help.js';
import { EngineContext, useEngine } from './hooks/engine-context.js';
import { useAgentSizes } from './hooks/use-agent-sizes.js';
import { useBell } from './hooks/use-bell.js';
import { useListTop } from './hooks/use-list-top.js';
import { useMouseMode } from './hooks/use-mouse-mode.js';
import { usePager } from './hooks/use-pager.js';
import type { Pager } from './hooks/use-pager.js';
import { useRawInput } from './hooks/use-raw-input.js';
import { useRun } from './hooks/use-run.js';
import { useTerminalSize } from './hooks/use-terminal-size.js';
import type { Size } from './hooks/use-terminal-size.js';
import { useUi } from './hooks/use-ui.js';
import type { Keymap } from './keymap.js';
import { DEFAULT_KEYMAP } from './keymap.js';
import { hitTest } from './hit.js';
import { PANE_CHROME_ROWS, layout, listWidthFor, paneSizes, splitGrid } from './layout.js';
import type { MouseEvent } from './mouse.js';
import { runPager } from './pager.js';
import { settle } from './reducer/reduce.js';
import type { View } from './reducer/types.js';
import { resultLine } from './result-line.js';
import { StatusBar } from './StatusBar.js';

export interface AppProps {
  engine: Engine;
  keymap?: Keymap;
  /** A fixed terminal size (tests); otherwise the real one, following resizes. */
  size?: Size;
  /** Leave as soon as the run finishes (scripts) instead of waiting for q. */
  exitOnFinish?: boolean;
  /** The run as recorded (`orchestrator logs RUN TASK` from another terminal); none when not recorded. */
  runId?: string;
  /** Rings the terminal bell (when a task starts needing you, when the run ends); none: config `bell: false`. */
  bell?: () => void;
  /** Clicks and the wheel (config `mouse`); on unless turned off. */
  mouse?: boolean;
  /** How `o` shows a transcript or diff: $PAGER on the terminal unless a test gives its own. */
  pager?: Pager;
}

/** The dashboard's root: the one place the engine enters the React tree (docs/architecture.md §10). */
export function App({ engine, ...rest }: AppProps) {
  return (
    <EngineContext.Provider value={engine}>
      <Dashboard {...rest} />
    </EngineContext.Provider>
  );
}

const whole = (s: RunSnapshot) => s;

function Dashboard({ keymap = DEFAULT_KEYMAP, size: fixed, exitOnFinish = false, runId, bell, mouse = true, pager = runPager }: Omit<AppProps, 'engine'>) {
  const engine = useEngine();
  const { exit } = useApp();
  const snapshot = useRun(whole);
  useBell(bell);
  const size = useTerminalSize(fixed);
  const [state, dispatch] = useUi(engine, exit);
  const tasks = snapshot.tasks;
  // Specs never change and tasks are only ever added, so the count is the levels' version.
  // eslint-disable-next-line react-hooks/exhaustive-deps -- the count is the version: a new tasks array with the same specs needs no new levels
  const levels = useMemo(() => levelsOf(tasks), [tasks.length]);
  const rows = useMemo(() => buildRows(tasks, levels, parseFilter(state.filter), state.sort), [tasks, levels, state.filter, state.sort]);
  const order = useMemo(() => taskOrder(rows), [rows]);
  // Another filter's or sort's order (keys typed before this frame changed it) is worked out when asked.
  const orderOf = useCallback(
    (filter: string, sort: SortOrder) =>
      filter === state.filter && sort === state.sort ? order : taskOrder(buildRows(tasks, levels, parseFilter(filter), sort)),
    [order, state.filter, state.sort, tasks, levels],
  );
  // A new tasks array comes only when a record changed (a state, usage), never for output or a tick.
  const critical = useMemo(() => new Set(criticalPath(tasks)), [tasks]);
  // Ids and roles never change once a task is added: the count is the version.
  // eslint-disable-next-line react-hooks/exhaustive-deps -- the count is the version, as for levels
  const listWant = useMemo(() => listWidthWanted(tasks), [tasks.length]);
  // What is shown: the state as the run now stands (selection listed, detached from an ended task).
  const ui = useMemo(() => settle(state, { snapshot, order: orderOf }), [state, snapshot, orderOf]);

  const paneFocused = ui.focus === 'pane' || ui.attached !== undefined;
  const lay = useMemo(
    () => layout(size.columns, size.rows, { zoom: ui.zoom, paneFocused, listWant, listAdjust: ui.listAdjust }),
    [size.columns, size.rows, ui.zoom, paneFocused, listWant, ui.listAdjust],
  );
  const live = tasks.filter((t) => isLive(t.state));
  const paneIds = ui.split && !ui.zoom
    ? [...new Set([...(live.some((t) => t.spec.id === ui.selected) ? [ui.selected!] : []), ...live.map((t) => t.spec.id)])].slice(0, 4)
    : [ui.selected];
  const width = Math.max(20, size.columns);
  const body = lay.dag?.height ?? lay.panes?.height ?? 1;
  const listHeight = Math.max(1, (lay.dag?.height ?? 10) - 4);
  const paneRows = Math.max(1, (lay.panes?.height ?? 10) - PANE_CHROME_ROWS);
  // Not while the pager has the terminal: the summary would be printed under it. It leaves once the pager is quit.
  const paging = ui.pager !== undefined;
  useEffect(() => {
    if (snapshot.finished && exitOnFinish && !paging) exit();
  }, [snapshot.finished, exitOnFinish, exit, paging]);

  const grid = lay.panes ? splitGrid(lay.panes, paneIds.length) : [];
  const shown = grid.flat().map((box, i) => ({ id: paneIds[i], box }));
  useAgentSizes(engine, lay.term, paneSizes(shown, lay.term));
  const taskRows = useMemo(() => rows.filter((r): r is Extract<DagRow, { kind: 'task' }> => r.kind === 'task'), [rows]);
  const { lanes, note } = useGraph(ui.graph, taskRows, (lay.dag?.width ?? 2) - 2);
  // The graph has no level headings: one row per task.
  const listRows = lanes ? taskRows : rows;
  const listTop = useListTop(listRows, ui.selected, listHeight);
  // What a click means is read off the frame the person clicked on: this one.
  const frame = { ...(lay.dag ? { dag: lay.dag } : {}), rows: listRows, top: listTop, grid, paneIds };
  const frameKey = `${lay.dag?.width}x${lay.dag?.height}|${listTop}|${paneIds.join(',')}|${grid.map((l) => l.map((b) => `${b.width}x${b.height}`).join(',')).join(';')}`;
  // eslint-disable-next-line react-hooks/exhaustive-deps -- frameKey is the frame's geometry; rows are the rest of it
  const hit = useCallback((x: number, y: number) => hitTest(frame, x, y), [frameKey, listRows]);
  const view = useMemo<View>(
    () => ({
      snapshot,
      keymap,
      order: orderOf,
      listHeight,
      paneRows,
      paneLength: (id) => (id === undefined ? 0 : (engine.screen(id)?.length ?? 0)),
      search: (id, q) => (id === undefined ? [] : (engine.screen(id)?.search(q) ?? [])),
      help: helpLayout(keymap, width, body),
      listWidth: (adjust) => (lay.dag && lay.panes ? listWidthFor(width, listWant, adjust) : undefined),
      hit,
    }),
    [snapshot, keymap, orderOf, listHeight, paneRows, width, body, engine, lay, listWant, hit],
  );
  useRawInput(
    useCallback((raw: string) => dispatch({ type: 'key', raw }, view), [dispatch, view]),
    useCallback((event: MouseEvent) => dispatch({ type: 'mouse', event }, view), [dispatch, view]),
    ui.pager === undefined,
  );
  // Off while attached (the agent's terminal is the person's: selecting text works as usual) and in the pager.
  useMouseMode(mouse && ui.attached === undefined && ui.pager === undefined);
  usePager(ui.pager, pager, { workspace: snapshot.workspace, runId }, (result) => dispatch({ type: 'pager-closed', result }, view));

  let paneIndex = 0;
  return (
    <Box flexDirection="column" width={width} height={Math.max(8, size.rows - 1)}>
      <StatusBar width={width} resumeKey={keymap.find((b) => b.id === 'pause')?.keys[0] ?? 'p'} critical={critical.size} {...(runId !== undefined ? { runId } : {})} />
      {ui.overlay.kind === 'help' ? (
        <HelpOverlay keymap={keymap} width={width} height={body} top={ui.overlay.top} />
      ) : ui.overlay.kind === 'diff' ? (
        <DiffOverlay id={ui.overlay.id} lines={ui.overlay.lines} top={ui.overlay.top} width={width} height={body} />
      ) : (
        <Box flexDirection="row" height={body}>
          {lay.dag ? (
            <DagView
              rows={listRows}
              selected={ui.selected}
              width={lay.dag.width}
              height={lay.dag.height}
              focused={ui.focus === 'tasks'}
              filter={ui.filter}
              sort={ui.sort}
              top={listTop}
              workspace={snapshot.workspace}
              live={!snapshot.finished}
              needsYou={snapshot.needsYou}
              lanes={lanes}
              note={note}
              critical={critical}
            />
          ) : null}
          {lay.panes ? (
            <Box flexDirection="column" width={lay.panes.width} height={lay.panes.height}>
              {grid.map((line, r) => (
                <Box key={r} flexDirection="row">
                  {line.map((box) => {
                    const id = paneIds[paneIndex++];
                    const selected = id === ui.selected;
                    return (
                      <AgentPane
                        key={id ?? `empty-${paneIndex}`}
                        id={id}
                        width={box.width}
                        height={box.height}
                        focused={selected && ui.focus === 'pane'}
                        attached={id !== undefined && id === ui.attached}
                        view={selected ? ui.pane : undefined}
                      />
                    );
                  })}
                </Box>
              ))}
            </Box>
          ) : null}
        </Box>
      )}
      <Footer
        keymap={keymap}
        width={width}
        scope={ui.focus}
        overlay={ui.overlay}
        attached={ui.attached}
        feedback={ui.feedback}
        result={snapshot.finished ? resultLine(snapshot) : undefined}
      />
    </Box>
  );
}
