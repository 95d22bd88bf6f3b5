import type { CommandId } from '../keymap.js';
import { LIST_STEP } from '../layout.js';
import type { UiState } from '../ui-state.js';
import { select, step, tell } from './step.js';
import type { Handler, Step, View } from './types.js';

/** Selects the task at `i` in the listed order (clamped); says so when nothing is listed. */
function moveTo(ui: UiState, view: View, i: number): Step {
  const order = view.order(ui.filter, ui.sort);
  if (!order.length) return tell(ui, false, ui.filter ? `no task matches the filter '${ui.filter}'` : 'no tasks');
  return { ui: select(ui, order[Math.max(0, Math.min(order.length - 1, i))]), effects: [] };
}

const at = (ui: UiState, view: View) => (ui.selected === undefined ? -1 : view.order(ui.filter, ui.sort).indexOf(ui.selected));
const page = (view: View) => Math.max(1, view.listHeight - 1);

/** The failed task after (`step` 1) or before (-1) the selection, going round. */
function jumpFailed(ui: UiState, view: View, dir: 1 | -1): Step {
  const { snapshot } = view;
  const order = view.order(ui.filter, ui.sort);
  const failed = order.filter((t) => snapshot.tasks.find((r) => r.spec.id === t)?.state.kind === 'failed');
  if (!failed.length) return tell(ui, false, 'no failed task' + (ui.filter ? ' matches the filter' : ''));
  const index = at(ui, view);
  for (let i = 1; i <= order.length; i++) {
    const id = order[(index + dir * i + order.length * 2) % order.length]!;
    if (failed.includes(id)) return step(select(ui, id), {}, { ok: true, text: `failed: ${id} (${failed.indexOf(id) + 1}/${failed.length})` });
  }
  return { ui, effects: [] };
}

/**
 * Follows an edge from the selection: to the nearest listed dependency above
 * (`dir` -1) or dependent below (1). The others are named, so `k`/`j` reach them.
 */
function alongEdge(ui: UiState, view: View, dir: 1 | -1): Step {
  const id = ui.selected;
  const record = id === undefined ? undefined : view.snapshot.tasks.find((t) => t.spec.id === id);
  if (id === undefined || !record) return tell(ui, false, 'no task selected');
  const linked = dir < 0 ? record.spec.dependsOn : view.snapshot.tasks.filter((t) => t.spec.dependsOn.includes(id)).map((t) => t.spec.id);
  const what = dir < 0 ? 'dependency' : 'dependent';
  if (!linked.length) return tell(ui, false, `${id} has no ${dir < 0 ? 'dependencies' : 'dependents'}`);
  const order = view.order(ui.filter, ui.sort);
  const here = order.indexOf(id);
  const listed = linked.filter((l) => order.includes(l)).sort((a, b) => Math.abs(order.indexOf(a) - here) - Math.abs(order.indexOf(b) - here));
  if (!listed.length) return tell(ui, false, `every ${what} of ${id} is filtered out (${linked.join(', ')})`);
  const others = listed.length > 1 ? ` (also ${listed.slice(1).join(', ')})` : '';
  return step(select(ui, listed[0]), {}, { ok: true, text: `${what} of ${id}: ${listed[0]}${others}` });
}

/** The task list's commands: moving the selection (by row or along an edge), the filter, the failed tasks. */
/** Moves the list's edge by `by` columns; says so when it is at its limit or not beside the pane. */
function resizeList(ui: UiState, view: View, by: number): Step {
  const now = view.listWidth(ui.listAdjust);
  if (now === undefined) return tell(ui, false, 'the task list is not beside the pane here (zoomed, or the terminal is under 80 columns)');
  const listAdjust = ui.listAdjust + by;
  const next = view.listWidth(listAdjust)!;
  if (next === now) return tell(ui, false, `the task list is as ${by < 0 ? 'narrow' : 'wide'} as it goes (${now} columns)`);
  return step(ui, { listAdjust: next - now === by ? listAdjust : ui.listAdjust + (next - now) }, { ok: true, text: `task list: ${next} columns` });
}

/** The task list's commands: moving the selection, the filter, the failed tasks, its width and order. */
export const LIST = {
  up: (ui, view) => moveTo(ui, view, at(ui, view) - 1),
  down: (ui, view) => moveTo(ui, view, at(ui, view) + 1),
  first: (ui, view) => moveTo(ui, view, 0),
  last: (ui, view) => moveTo(ui, view, view.order(ui.filter, ui.sort).length - 1),
  'page-up': (ui, view) => moveTo(ui, view, at(ui, view) - page(view)),
  'page-down': (ui, view) => moveTo(ui, view, at(ui, view) + page(view)),
  filter: (ui) => step(ui, { overlay: { kind: 'prompt', purpose: 'filter', text: ui.filter } }, { ok: true, text: 'filter: type text or state:failed, Enter keeps it, Esc clears it' }),
  'next-failed': (ui, view) => jumpFailed(ui, view, 1),
  'prev-failed': (ui, view) => jumpFailed(ui, view, -1),
  parent: (ui, view) => alongEdge(ui, view, -1),
  child: (ui, view) => alongEdge(ui, view, 1),
  'list-narrower': (ui, view) => resizeList(ui, view, -LIST_STEP),
  'list-wider': (ui, view) => resizeList(ui, view, LIST_STEP),
  sort: (ui) => {
    const sort = ui.sort === 'level' ? 'attention' : 'level';
    return step(ui, { sort }, { ok: true, text: sort === 'attention' ? 'sorted: failed, then running, then the rest' : 'sorted by level' });
  },
} satisfies Partial<Record<CommandId, Handler>>;
