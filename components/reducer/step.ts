import type { Feedback, UiState } from '../ui-state.js';
import { freshPane } from '../ui-state.js';
import type { Effect } from './actions.js';
import type { Step } from './types.js';

export const say = (ok: boolean, text: string): Feedback => ({ ok, text });

/** The state with `changes` and what the footer says; no effects unless given. */
export function step(ui: UiState, changes: Partial<UiState>, feedback?: Feedback, effects: readonly Effect[] = []): Step {
  return { ui: { ...ui, ...changes, ...(feedback ? { feedback } : {}) }, effects };
}

/** Only the footer changes. */
export function tell(ui: UiState, ok: boolean, text: string): Step {
  return step(ui, {}, say(ok, text));
}

/** Moves the selection to `id`; the pane starts following the new task's output. */
export function select(ui: UiState, id: string | undefined): UiState {
  return id === ui.selected ? ui : { ...ui, selected: id, pane: freshPane() };
}
