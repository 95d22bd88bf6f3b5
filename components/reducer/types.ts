import type { RunSnapshot } from '../../src/scheduler/run-store.js';
import type { SortOrder } from '../dag-rows.js';
import type { Hit } from '../hit.js';
import type { Keymap } from '../keymap.js';
import type { Effect } from './actions.js';
import type { UiState } from '../ui-state.js';

/** A reducer's answer: the next state and what to do. */
export interface Step {
  readonly ui: UiState;
  readonly effects: readonly Effect[];
}

/**
 * What the reducer reads of the run and the screen. What depends on the
 * dashboard's own state is asked of it (the order under a filter, a task's
 * output), so keys that arrive before the next frame — a paste, fast
 * typing — act on the state the keys before them made, not on the last frame.
 */
export interface View {
  readonly snapshot: RunSnapshot;
  readonly keymap: Keymap;
  /** Task ids in the order the DAG view lists them under `filter`, sorted by `sort`. */
  order(filter: string, sort: SortOrder): readonly string[];
  /** The task list's width with `adjust` columns added; undefined while it is not beside the pane (narrow, zoom). */
  listWidth(adjust: number): number | undefined;
  readonly listHeight: number;
  readonly paneRows: number;
  /** Lines in a task's screen buffer (0 without one). */
  paneLength(id: string | undefined): number;
  /** Lines of a task's output that contain `query`. */
  search(id: string | undefined, query: string): number[];
  /** What the last frame showed at a 0-based cell: what a click there means. */
  hit(x: number, y: number): Hit;
  /** The help as drawn now: how far it scrolls. */
  readonly help: { readonly visible: number; readonly maxTop: number };
}

/** A handler of one keymap command. */
export type Handler = (ui: UiState, view: View) => Step;
