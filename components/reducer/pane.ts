import type { CommandId } from '../keymap.js';
import type { PaneView, UiState } from '../ui-state.js';
import { say, step, tell } from './step.js';
import type { Handler, Step, View } from './types.js';

const withPane = (ui: UiState, pane: Partial<PaneView>) => ({ pane: { ...ui.pane, ...pane } });

/** Scrolls the pane by `by` lines; reaching the end follows the output again. */
function scroll(ui: UiState, view: View, by: number): Step {
  const length = view.paneLength(ui.selected);
  const bottom = Math.max(0, length - view.paneRows);
  const from = ui.pane.follow ? bottom : ui.pane.top;
  const top = Math.max(0, Math.min(bottom, from + by));
  const follow = top >= bottom;
  return step(ui, withPane(ui, { top, follow }), say(true, follow ? 'following the output' : `scrolled: line ${top + 1} of ${length}`));
}

/**
 * The search's matches as the output now stands (lines printed since the
 * search may match too), with the shown match found again among them (-1 when gone).
 */
function researched(ui: UiState, view: View): UiState {
  const { query, matches, match } = ui.pane;
  if (!query) return ui;
  const fresh = view.search(ui.selected, query);
  const line = matches[match];
  return { ...ui, ...withPane(ui, { matches: fresh, match: line === undefined ? -1 : fresh.indexOf(line) }) };
}

/** The match `by` away from the shown one (-1: further back), the newest when none is shown. */
function jumpBy(ui: UiState, view: View, by: number): Step {
  const now = researched(ui, view);
  return jumpMatch(now, view, now.pane.match < 0 ? now.pane.matches.length - 1 : now.pane.match + by);
}

/** Shows match `index` (going round) of the pane's search, in the middle of the pane. */
function jumpMatch(ui: UiState, view: View, index: number): Step {
  const { matches, query } = ui.pane;
  if (!matches.length) return tell(ui, false, query ? `no match for '${query}'` : 'no search yet: press / in the pane');
  const match = (index + matches.length) % matches.length;
  const line = matches[match]!;
  const top = Math.max(0, Math.min(line - Math.floor(view.paneRows / 2), view.paneLength(ui.selected) - view.paneRows));
  return step(ui, withPane(ui, { match, follow: false, top }), say(true, `match ${match + 1}/${matches.length} for '${query}' (line ${line + 1})`));
}

/** Searches the selected task's output and shows the newest match. */
export function searchOutput(ui: UiState, view: View, query: string): Step {
  const matches = query ? view.search(ui.selected, query) : [];
  const searched = { ...ui, ...withPane(ui, { query, matches }) };
  if (!query) return tell(searched, true, 'search cleared');
  if (!matches.length) return step(searched, withPane(searched, { match: -1 }), say(false, `no line of ${ui.selected ?? 'the output'} contains '${query}'`));
  return jumpMatch(searched, view, matches.length - 1);
}

const page = (view: View) => Math.max(1, view.paneRows - 1);

/** The focused agent pane's commands: scrolling, following, searching its output. */
export const PANE = {
  'scroll-up': (ui, view) => scroll(ui, view, -page(view)),
  'scroll-down': (ui, view) => scroll(ui, view, page(view)),
  'line-up': (ui, view) => scroll(ui, view, -1),
  'line-down': (ui, view) => scroll(ui, view, 1),
  top: (ui) => step(ui, withPane(ui, { follow: false, top: 0 }), say(true, 'oldest output kept — G follows again')),
  follow: (ui) => step(ui, withPane(ui, { follow: true }), say(true, 'following the output')),
  search: (ui) => step(ui, { overlay: { kind: 'prompt', purpose: 'search', text: '' } }, say(true, 'search the output: type, Enter finds, Esc cancels')),
  'next-match': (ui, view) => jumpBy(ui, view, -1),
  'prev-match': (ui, view) => jumpBy(ui, view, 1),
  unfocus: (ui) => step(ui, { focus: 'tasks' }, say(true, 'task list focused')),
} satisfies Partial<Record<CommandId, Handler>>;
