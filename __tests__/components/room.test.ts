import { describe, expect, it } from '@jest/globals';
import type { RunSnapshot, TaskRecord } from '../../src/scheduler/run-store.js';
import { STATE_KINDS } from '../../src/scheduler/states.js';
import type { TaskState } from '../../src/scheduler/states.js';
import { buildRows, levelsOf, listWidthWanted, parseFilter, taskOrder } from '../../components/dag-rows.js';
import type { DagRow, SortOrder } from '../../components/dag-rows.js';
import { helpLayout } from '../../components/help.js';
import { hitTest } from '../../components/hit.js';
import type { Frame } from '../../components/hit.js';
import { DEFAULT_KEYMAP } from '../../components/keymap.js';
import { createKeypressSplitter } from '../../components/keypresses.js';
import { HEADER_ROWS, layout, listWidthFor, splitGrid } from '../../components/layout.js';
import { parseMouse } from '../../components/mouse.js';
import { reduce } from '../../components/reducer/reduce.js';
import type { Action } from '../../components/reducer/actions.js';
import type { View } from '../../components/reducer/types.js';
import { initialUi } from '../../components/ui-state.js';
import type { UiState } from '../../components/ui-state.js';
import { task } from '../scheduler/harness.js';

const running: TaskState = { kind: 'running' };
const pending: TaskState = { kind: 'pending' };
const completed: TaskState = { kind: 'completed', result: 'ok' } as TaskState;
const failed: TaskState = { kind: 'failed', reason: 'exit 1' } as TaskState;

/** Records of tasks in these states; `deps` makes a task depend on another (a deeper level). */
function records(states: Record<string, TaskState>, deps: Record<string, string[]> = {}): TaskRecord[] {
  return Object.entries(states).map(([id, state], order) => ({ spec: task(id, { dependsOn: deps[id] ?? [] }), order, state, attempts: 1 }));
}

function snapshotOf(tasks: TaskRecord[]): RunSnapshot {
  const counts = Object.fromEntries(STATE_KINDS.map((k) => [k, tasks.filter((t) => t.state.kind === k).length])) as RunSnapshot['counts'];
  return { version: 1, plan: 'p', file: '/p.yaml', workspace: '/', concurrency: 4, startedAt: 0, paused: false, finished: false, tasks, counts, usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 } as RunSnapshot['usage'], holds: [], needsYou: {} };
}

/** The reducer's view of a run as the dashboard builds it: the real rows and order, a 220-column layout. */
function viewOf(tasks: TaskRecord[], over: Partial<View> = {}): View {
  const levels = levelsOf(tasks);
  const want = listWidthWanted(tasks);
  return {
    snapshot: snapshotOf(tasks),
    keymap: DEFAULT_KEYMAP,
    order: (filter: string, sort: SortOrder) => taskOrder(buildRows(tasks, levels, parseFilter(filter), sort)),
    listHeight: 10,
    paneRows: 10,
    paneLength: () => 100,
    search: () => [],
    help: helpLayout(DEFAULT_KEYMAP, 220, 40),
    listWidth: (adjust) => listWidthFor(220, want, adjust),
    hit: () => ({ kind: 'none' }),
    ...over,
  };
}

function act(ui: UiState, view: View, ...actions: Action[]): UiState {
  for (const action of actions) ui = reduce(ui, action, view).ui;
  return ui;
}
const key = (raw: string): Action => ({ type: 'key', raw });

describe("the task list's width", () => {
  it('follows its rows at a wide terminal instead of a fixed 64 columns, within bounds', () => {
    const short = records({ a: running, b: pending });
    const long = records({ 'migrate-the-billing-database': running });
    // Short rows: the agent gets what the list does not need.
    expect(listWidthWanted(short)).toBeLessThan(64);
    expect(layout(220, 50, { zoom: false, paneFocused: false, listWant: listWidthWanted(short) }).dag!.width).toBe(listWidthWanted(short));
    // Long ids: more than the old 64, so the id shows whole; the id gets 45% of the list's inside.
    const wide = layout(220, 50, { zoom: false, paneFocused: false, listWant: listWidthWanted(long) });
    expect(wide.dag!.width).toBe(listWidthWanted(long));
    expect(Math.floor((wide.dag!.width - 2) * 0.45)).toBeGreaterThanOrEqual('migrate-the-billing-database'.length);
    expect(wide.dag!.width + wide.panes!.width).toBe(220);
    // Never more than 40% (at most 100), never under 34.
    expect(listWidthFor(220, 500, 0)).toBe(88);
    expect(listWidthFor(400, 500, 0)).toBe(100);
    expect(listWidthFor(220, 5, 0)).toBe(34);
    // An 80–100 column terminal keeps the list it had.
    expect(layout(100, 30, { zoom: false, paneFocused: false, listWant: 200 }).dag!.width).toBe(40);
  });

  it('moves by < and >, kept across other keys, and says when it can go no further', () => {
    const tasks = records({ a: running, b: pending });
    const view = viewOf(tasks);
    const base = view.listWidth(0)!;
    let ui = act(initialUi(), view, key('>'), key('>'), key('j'));
    expect(ui.listAdjust).toBe(8);
    expect(ui.feedback).toBeDefined();
    ui = act(ui, view, key('<'));
    expect(ui).toMatchObject({ listAdjust: 4 });
    expect(act(ui, view, key('>')).feedback).toEqual({ ok: true, text: `task list: ${base + 8} columns` });
    // Down to the minimum, then no further: the adjustment does not run on past the bound.
    for (let i = 0; i < 40; i++) ui = act(ui, view, key('<'));
    expect(view.listWidth(ui.listAdjust)).toBe(20);
    expect(ui.feedback).toEqual({ ok: false, text: 'the task list is as narrow as it goes (20 columns)' });
    expect(view.listWidth(act(ui, view, key('>')).listAdjust)).toBe(24);
    // Not beside the pane (narrow, zoom): it says so.
    expect(act(initialUi(), viewOf(tasks, { listWidth: () => undefined }), key('<')).feedback?.ok).toBe(false);
  });
});

describe('attention order (S)', () => {
  const tasks = records(
    { setup: completed, lint: failed, build: running, test: pending, docs: running, ship: failed },
    { lint: ['setup'], build: ['setup'], test: ['build'], docs: ['setup'], ship: ['test'] },
  );
  const levels = levelsOf(tasks);
  const heads = (rows: DagRow[]) => rows.map((r) => (r.kind === 'task' ? r.record.spec.id : r.kind === 'group' ? `[${r.group} ${r.count}]` : `[level ${r.level + 1}]`));

  it('puts failed, then running tasks first, each group in level order, headed', () => {
    expect(heads(buildRows(tasks, levels, parseFilter(''), 'attention'))).toEqual(['[failed 2]', 'lint', 'ship', '[running 2]', 'build', 'docs', '[rest 2]', 'setup', 'test']);
    expect(heads(buildRows(tasks, levels, parseFilter(''), 'level'))).toEqual(['[level 1]', 'setup', '[level 2]', 'lint', 'build', 'docs', '[level 3]', 'test', '[level 4]', 'ship']);
    // A filter applies inside the groups; empty groups have no heading.
    expect(heads(buildRows(tasks, levels, parseFilter('state:run'), 'attention'))).toEqual(['[running 2]', 'build', 'docs']);
  });

  it('toggles with S, and the selection moves through the sorted order', () => {
    const view = viewOf(tasks);
    let ui = act(initialUi(), view, key('S'));
    expect(ui).toMatchObject({ sort: 'attention', feedback: { ok: true, text: 'sorted: failed, then running, then the rest' } });
    ui = act(ui, view, key('g'), key('j'), key('j'));
    expect(ui.selected).toBe('build');
    ui = act(ui, view, key('S'));
    expect(ui).toMatchObject({ sort: 'level', selected: 'build', feedback: { text: 'sorted by level' } });
    expect(act(ui, view, key('j')).selected).toBe('docs');
  });
});

describe('SGR mouse reports', () => {
  it('parses presses, releases and the wheel to 0-based cells, and drops what means nothing here', () => {
    expect(parseMouse('\u001b[<0;5;8M')).toEqual({ kind: 'press', button: 'left', x: 4, y: 7 });
    expect(parseMouse('\u001b[<2;300;80M')).toEqual({ kind: 'press', button: 'right', x: 299, y: 79 });
    expect(parseMouse('\u001b[<0;5;8m')).toEqual({ kind: 'release', x: 4, y: 7 });
    expect(parseMouse('\u001b[<64;1;1M')).toEqual({ kind: 'wheel', dir: 'up', x: 0, y: 0 });
    expect(parseMouse('\u001b[<65;10;2M')).toEqual({ kind: 'wheel', dir: 'down', x: 9, y: 1 });
    // With ctrl held (16) it is still the wheel.
    expect(parseMouse('\u001b[<81;10;2M')).toEqual({ kind: 'wheel', dir: 'down', x: 9, y: 1 });
    expect(parseMouse('\u001b[<32;5;8M')).toBe('ignored'); // a drag
    expect(parseMouse('\u001b[<0;0;8M')).toBe('ignored');
    for (const notMouse of ['\u001b[A', 'a', '\u001b[5~', '\u001b[<0;5M', '\u001b[<0;5;8X']) expect(parseMouse(notMouse)).toBeUndefined();
  });

  it('arrive as one keypress each, even split across reads or run together with keys', () => {
    const splitter = createKeypressSplitter();
    expect(splitter.push('j\u001b[<0;5;8M\u001b[<64;1;1Mk')).toEqual(['j', '\u001b[<0;5;8M', '\u001b[<64;1;1M', 'k']);
    expect(splitter.push('\u001b[<0;1')).toEqual([]);
    expect(splitter.push('2;3m')).toEqual(['\u001b[<0;12;3m']);
  });
});

describe('a click mapped to what the frame showed', () => {
  const tasks = records({ a: running, b: running, c: pending, d: running }, { c: ['a'] });
  const rows = buildRows(tasks, levelsOf(tasks), parseFilter(''));
  const lay = layout(120, 30, { zoom: false, paneFocused: false, listWant: listWidthWanted(tasks) });
  const frame: Frame = { dag: lay.dag!, rows, top: 0, grid: splitGrid(lay.panes!, 1), paneIds: ['a'] };
  // The list's first row is under the header, the list's border and its title.
  const firstRow = HEADER_ROWS + 2;

  it('finds the task row under the pointer, through the list scrolled as drawn', () => {
    expect(rows.map((r) => (r.kind === 'task' ? r.record.spec.id : '-'))).toEqual(['-', 'a', 'b', 'd', '-', 'c']);
    expect(hitTest(frame, 5, firstRow)).toEqual({ kind: 'none' }); // the level heading
    expect(hitTest(frame, 5, firstRow + 1)).toEqual({ kind: 'task', id: 'a' });
    expect(hitTest(frame, 5, firstRow + 5)).toEqual({ kind: 'task', id: 'c' });
    expect(hitTest(frame, 5, firstRow + 6)).toEqual({ kind: 'none' }); // below the last row
    expect(hitTest({ ...frame, top: 2 }, 5, firstRow)).toEqual({ kind: 'task', id: 'b' });
    expect(hitTest(frame, 0, firstRow + 1)).toEqual({ kind: 'none' }); // the border
    expect(hitTest(frame, 5, 0)).toEqual({ kind: 'none' }); // the header
  });

  it('finds the pane under the pointer, in the split grid too', () => {
    const x = lay.dag!.width;
    expect(hitTest(frame, x + 3, firstRow + 4)).toEqual({ kind: 'pane', id: 'a' });
    const split: Frame = { ...frame, grid: splitGrid(lay.panes!, 4), paneIds: ['a', 'b', 'd', 'x'] };
    const half = Math.floor(lay.panes!.width / 2);
    const mid = HEADER_ROWS + Math.floor(lay.panes!.height / 2);
    expect(hitTest(split, x + 1, HEADER_ROWS)).toEqual({ kind: 'pane', id: 'a' });
    expect(hitTest(split, x + half, HEADER_ROWS + 1)).toEqual({ kind: 'pane', id: 'b' });
    expect(hitTest(split, x + 1, mid)).toEqual({ kind: 'pane', id: 'd' });
    expect(hitTest(split, 119, mid + 1)).toEqual({ kind: 'pane', id: 'x' });
  });

  it('selects the clicked task, focuses the clicked pane, scrolls by wheel; attached, a click does nothing', () => {
    const view = viewOf(tasks, { hit: (x, y) => hitTest(frame, x, y) });
    const click = (x: number, y: number): Action => ({ type: 'mouse', event: { kind: 'press', button: 'left', x, y } });
    let ui = act(initialUi(), view, click(5, firstRow + 5));
    expect(ui).toMatchObject({ selected: 'c', focus: 'tasks', feedback: { text: 'selected c' } });
    // The frame's pane shows a (as a split pane would): clicking it selects a and focuses its pane.
    ui = act(ui, view, click(lay.dag!.width + 10, firstRow + 8));
    expect(ui).toMatchObject({ selected: 'a', focus: 'pane' });
    ui = act(ui, view, { type: 'mouse', event: { kind: 'wheel', dir: 'up', x: 60, y: 10 } });
    // Following (the end is line 90 of 100, 10 rows shown): three lines back.
    expect(ui.pane).toMatchObject({ follow: false, top: 87 });
    // A release, a right click, a click on nothing: no change.
    const same = act(ui, view, { type: 'mouse', event: { kind: 'release', x: 5, y: firstRow + 1 } }, { type: 'mouse', event: { kind: 'press', button: 'right', x: 5, y: firstRow + 1 } }, click(5, 0));
    expect(same).toEqual(ui);
    const attached = { ...act(initialUi(), view, key('i')) };
    expect(attached.attached).toBe('a');
    expect(reduce(attached, click(5, firstRow + 2), view)).toEqual({ ui: attached, effects: [] });
  });
});
