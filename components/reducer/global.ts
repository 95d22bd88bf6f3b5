import { isLive } from '../../src/scheduler/states.js';
import { GRAPH_MAX_TASKS } from '../graph-layout.js';
import type { CommandId } from '../keymap.js';
import { helpCloseText, keysOf } from '../keymap.js';
import type { UiState } from '../ui-state.js';
import { liveCount } from '../ui-state.js';
import { say, step, tell } from './step.js';
import type { Handler, Step, View } from './types.js';
import { plural } from '../../src/report/plural.js';

/**
 * Quits: asks first while agents run (`ask`), then stops them gracefully
 * (SIGTERM, the grace period, SIGKILL). The stop key pressed again while
 * they are stopping forces it, as a second Ctrl+C does headless: every
 * agent group is SIGKILLed at once.
 */
function quit(ui: UiState, view: View, ask: boolean): Step {
  const { snapshot, keymap } = view;
  const force = keysOf(keymap, 'quit-now');
  if (ui.quitting) {
    if (ask) return tell(ui, true, `still stopping the agents — ${force} kills them now`);
    return step(ui, {}, say(true, 'killing every agent now'), [{ kind: 'quit', force: true }]);
  }
  const live = liveCount(snapshot);
  if (!ask || live === 0 || snapshot.finished) {
    const text = live ? `stopping ${plural(live, 'running task')}… ${force} again kills ${live === 1 ? 'it' : 'them'} now` : 'quitting';
    return step(ui, { quitting: true }, say(true, text), [{ kind: 'quit', force: false }]);
  }
  const question = `${live} task${live === 1 ? ' is' : 's are'} running: stop ${live === 1 ? 'it' : 'them'} and quit? · y / n`;
  // Yes is the stop key's own path: not quitting yet, it stops without asking again.
  return step(ui, { overlay: { kind: 'confirm', question, yes: { type: 'command', id: 'quit-now' }, no: 'still running' } }, say(true, 'quit? press y to confirm'));
}

/** Commands that work anywhere: help, quitting, focus, the pane layout and the graph/list toggle. */
export const GLOBAL = {
  help: (ui, view) => step(ui, { overlay: { kind: 'help', top: 0 } }, say(true, `help: ${helpCloseText(view.keymap)} closes it`)),
  quit: (ui, view) => quit(ui, view, true),
  'quit-now': (ui, view) => quit(ui, view, false),
  focus: (ui) => {
    const focus = ui.focus === 'tasks' ? 'pane' : 'tasks';
    return step(ui, { focus }, say(true, focus === 'pane' ? 'pane focused: PgUp/PgDn scroll, / searches; Esc or tab goes back' : 'task list focused'));
  },
  split: (ui, view) => {
    const running = Math.min(4, view.snapshot.tasks.filter((t) => isLive(t.state)).length);
    // The split shows running agents' terminals: with none there would be nothing in it.
    if (!ui.split && running === 0) return tell(ui, false, 'no agent is running: the split view shows running agents (up to four)');
    return step(ui, { split: !ui.split }, say(true, !ui.split ? `split view: ${plural(running, 'running agent')} (up to four)` : 'split view off'));
  },
  graph: (ui, view) => {
    const graph = !ui.graph;
    const total = view.snapshot.tasks.length;
    const first = (id: CommandId) => view.keymap.find((b) => b.id === id)?.keys[0] ?? '';
    const keys = `${first('parent')}/${first('child')}`;
    const text = !graph ? 'list view: tasks by level'
      : total > GRAPH_MAX_TASKS ? `graph view draws up to ${GRAPH_MAX_TASKS} tasks; this run has ${total}: the list by level stays`
      : `graph view: ${keys} follow an edge to a dependency / dependent; ◆ marks the critical path`;
    return step(ui, { graph }, say(graph ? total <= GRAPH_MAX_TASKS : true, text));
  },
  zoom: (ui) => {
    const zoom = !ui.zoom;
    return step(ui, { zoom, ...(zoom ? { focus: 'pane' as const } : {}) }, say(true, zoom ? `zoomed on ${ui.selected ?? 'the pane'}: z to unzoom` : 'zoom off'));
  },
} satisfies Partial<Record<CommandId, Handler>>;
