import { isLive } from '../../src/scheduler/states.js';
import { keyName, printable } from '../key-names.js';
import { DETACH_KEY, commandFor } from '../keymap.js';
import type { CommandId } from '../keymap.js';
import type { UiState } from '../ui-state.js';
import { GLOBAL } from './global.js';
import { LIST } from './list.js';
import { mouseEvent } from './mouse.js';
import { confirmKey, diffKey, helpKey, promptKey } from './overlays.js';
import { PANE } from './pane.js';
import { select, step, say } from './step.js';
import { TASK_COMMANDS, commandResult, diffLoaded, pagerClosed } from './task-commands.js';
import type { Action } from './actions.js';
import type { Handler, Step, View } from './types.js';

/** Every keymap command's handler, by scope; `satisfies` makes a command without one a type error. */
const COMMANDS = { ...GLOBAL, ...TASK_COMMANDS, ...LIST, ...PANE } satisfies Record<CommandId, Handler>;

/**
 * The dashboard's state after `action` (docs/architecture.md §10): pure, nothing mutated;
 * what it asks of the engine comes back as effects, their results as
 * `result` actions.
 */
export function reduce(ui: UiState, action: Action, view: View): Step {
  const now = settle(ui, view);
  switch (action.type) {
    case 'key':
      return routeKey(now, action.raw, view);
    case 'mouse':
      return mouseEvent(now, action.event, view);
    case 'command':
      return COMMANDS[action.id](now, view);
    case 'run':
      return { ui: now, effects: [action.effect] };
    case 'result':
      return commandResult(now, action, view);
    case 'diff-loaded':
      return diffLoaded(now, action.result);
    case 'pager-closed':
      return pagerClosed(now, action.result);
    default: {
      const never: never = action;
      throw new Error(`unknown action ${JSON.stringify(never)}`);
    }
  }
}

/**
 * The state as the run now stands: the selection on a listed task (the
 * first when it is gone or filtered out), and detached from an agent whose
 * task has stopped running. Render shows this; the reducer starts from it.
 */
export function settle(ui: UiState, view: Pick<View, 'snapshot' | 'order'>): UiState {
  const { snapshot } = view;
  const order = view.order(ui.filter, ui.sort);
  let next = ui;
  if (order.length && (ui.selected === undefined || !order.includes(ui.selected))) next = select(next, order[0]);
  const id = next.attached;
  if (id !== undefined) {
    const state = snapshot.tasks.find((t) => t.spec.id === id)?.state;
    if (!state || !isLive(state)) next = { ...next, attached: undefined, feedback: say(true, `${id} is ${state?.kind ?? 'gone'}: detached`) };
  }
  return next;
}

/** Runs `next` after `first`, keeping both's effects in order. */
function then(first: Step, next: (ui: UiState) => Step): Step {
  const second = next(first.ui);
  return { ui: second.ui, effects: [...first.effects, ...second.effects] };
}

/**
 * The one input router (docs/architecture.md §10): the attached agent's terminal → an open
 * overlay → the focused scope's keymap.
 */
function routeKey(ui: UiState, raw: string, view: View): Step {
  // The pager has the terminal; a key read in the moment before it started is not the dashboard's.
  if (ui.pager) return { ui, effects: [] };
  // Keys typed faster than the terminal is read arrive as one chunk: route them one by one.
  if (ui.attached === undefined && ui.overlay.kind !== 'prompt' && raw.length > 1 && keyName(raw) === undefined && !raw.startsWith('\u001b')) {
    return [...raw].reduce<Step>((s, ch) => then(s, (u) => routeKey(u, ch, view)), { ui, effects: [] });
  }
  const key = keyName(raw);
  if (ui.attached !== undefined) return attachedKey(ui, ui.attached, raw, key, view);
  const overlay = ui.overlay;
  // The stop key works through any overlay: in raw mode no SIGINT arrives, so this is the only ctrl+c.
  // A prompt still takes it as text when it is printable (a rebinding to a plain character).
  const stop = key !== undefined && view.keymap.some((b) => b.id === 'quit-now' && b.keys.includes(key));
  if (overlay.kind !== 'none' && stop && !(overlay.kind === 'prompt' && printable(raw))) {
    return COMMANDS['quit-now']({ ...ui, overlay: { kind: 'none' } }, view);
  }
  switch (overlay.kind) {
    case 'help':
      return helpKey(ui, overlay, key, view);
    case 'confirm':
      return confirmKey(ui, overlay, key, (u, a) => reduce(u, a, view));
    case 'prompt':
      return promptKey(ui, overlay, raw, key, view);
    case 'diff':
      return diffKey(ui, overlay, key, view);
    case 'none':
      break;
    default: {
      const never: never = overlay;
      throw new Error(`unknown overlay ${JSON.stringify(never)}`);
    }
  }
  if (key === undefined) return { ui, effects: [] };
  const id = commandFor(view.keymap, ui.focus, key);
  if (!id) return step(ui, {}, say(false, `'${key}' does nothing here — press ? for the keys`));
  return COMMANDS[id](ui, view);
}

/** Attached: every key goes to the agent's terminal, except the detach key. */
function attachedKey(ui: UiState, id: string, raw: string, key: string | undefined, view: View): Step {
  const cut = raw.indexOf('\u001d');
  if (cut > 0) return then(routeKey(ui, raw.slice(0, cut), view), (u) => routeKey(u, raw.slice(cut), view));
  if (key === DETACH_KEY) return step(ui, { attached: undefined }, say(true, `detached from ${id}`));
  return { ui, effects: [{ kind: 'send-input', id, data: raw }] };
}
