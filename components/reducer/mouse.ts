import type { MouseEvent } from '../mouse.js';
import type { UiState } from '../ui-state.js';
import { diffKey, helpKey } from './overlays.js';
import { PANE } from './pane.js';
import { select, step } from './step.js';
import type { Step, View } from './types.js';

/** Lines one wheel notch scrolls, as most terminals scroll their own scrollback. */
export const WHEEL_LINES = 3;

const nothing = (ui: UiState): Step => ({ ui, effects: [] });

/** Runs `f` `n` times, each on the state the one before made. */
function times(ui: UiState, n: number, f: (ui: UiState) => Step): Step {
  let now: Step = { ui, effects: [] };
  for (let i = 0; i < n; i++) {
    const next = f(now.ui);
    now = { ui: next.ui, effects: [...now.effects, ...next.effects] };
  }
  return now;
}

/**
 * A click or wheel notch (docs/architecture.md §10): a left click on a task
 * row selects it, on an agent pane focuses that pane (selecting its task in
 * the split view); the wheel scrolls the help, the diff, or the pane's
 * output. While attached the mouse is off; what still arrives is dropped,
 * never typed into the agent.
 */
export function mouseEvent(ui: UiState, event: MouseEvent, view: View): Step {
  if (ui.attached !== undefined || ui.pager) return nothing(ui);
  const overlay = ui.overlay;
  if (event.kind === 'wheel') {
    const key = event.dir === 'up' ? 'up' : 'down';
    if (overlay.kind === 'help') return times(ui, WHEEL_LINES, (u) => (u.overlay.kind === 'help' ? helpKey(u, u.overlay, key, view) : nothing(u)));
    if (overlay.kind === 'diff') return times(ui, WHEEL_LINES, (u) => (u.overlay.kind === 'diff' ? diffKey(u, u.overlay, key, view) : nothing(u)));
    if (overlay.kind !== 'none') return nothing(ui);
    return times(ui, WHEEL_LINES, (u) => PANE[event.dir === 'up' ? 'line-up' : 'line-down'](u, view));
  }
  if (event.kind !== 'press' || event.button !== 'left' || overlay.kind !== 'none') return nothing(ui);
  const hit = view.hit(event.x, event.y);
  switch (hit.kind) {
    case 'task':
      return step(select(ui, hit.id), { focus: 'tasks' }, { ok: true, text: `selected ${hit.id}` });
    case 'pane': {
      const chosen = hit.id === undefined ? ui : select(ui, hit.id);
      return step(chosen, { focus: 'pane' }, { ok: true, text: `pane of ${chosen.selected ?? 'no task'} focused: the wheel scrolls it, Esc goes back` });
    }
    case 'none':
      return nothing(ui);
    default: {
      const never: never = hit;
      throw new Error(`unknown hit ${JSON.stringify(never)}`);
    }
  }
}
