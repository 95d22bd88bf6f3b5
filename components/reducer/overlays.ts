import { helpScrollText, scrollHelp } from '../help.js';
import { printable } from '../key-names.js';
import { helpCloseKeys, helpCloseText, keysOf } from '../keymap.js';
import type { Overlay, UiState } from '../ui-state.js';
import { searchOutput } from './pane.js';
import { say, step } from './step.js';
import type { Action } from './actions.js';
import type { Step, View } from './types.js';
import { plural } from '../../src/report/plural.js';

type Of<K extends Overlay['kind']> = Extract<Overlay, { kind: K }>;
const closed = { overlay: { kind: 'none' } } as const;

/** The help takes every key: its close keys close it, the pane's scrolling keys scroll it. */
export function helpKey(ui: UiState, overlay: Of<'help'>, key: string | undefined, view: View): Step {
  const { keymap, help } = view;
  if (key !== undefined && helpCloseKeys(keymap).includes(key)) return step(ui, closed, say(true, 'help closed'));
  // From where the help is drawn now: a resize may have made it scroll less.
  const top = key === undefined ? undefined : scrollHelp(keymap, key, Math.min(overlay.top, help.maxTop), help);
  if (top !== undefined && help.maxTop > 0) {
    return step(ui, { overlay: { kind: 'help', top } }, say(true, `help: rows ${top + 1}–${top + help.visible} of ${help.maxTop + help.visible}`));
  }
  const scroll = help.maxTop > 0 ? ` · ${helpScrollText(keymap)} scroll it` : '';
  return step(ui, {}, say(false, `help is open: ${helpCloseText(keymap)} closes it${scroll}`));
}

/** The diff overlay takes every key: `d`, Esc or q close it; the pane's scrolling keys scroll it; `open`'s key pages it. */
export function diffKey(ui: UiState, overlay: Of<'diff'>, key: string | undefined, view: View): Step {
  if (key === 'd' || key === 'escape' || key === 'q') return step(ui, closed, say(true, `closed the changes of ${overlay.id}`));
  if (key !== undefined && view.keymap.some((b) => b.id === 'open' && b.keys.includes(key))) {
    if (!overlay.lines) return step(ui, {}, say(false, `the changes of ${overlay.id} are still being read`));
    return step(ui, { pager: { what: 'diff', id: overlay.id, text: `${overlay.lines.join('\n')}\n` } }, say(true, `changes of ${overlay.id} in the pager: quit it to come back`));
  }
  const last = Math.max(0, (overlay.lines?.length ?? 0) - 1);
  const page = Math.max(1, view.listHeight);
  const moves: Record<string, number> = { j: 1, down: 1, k: -1, up: -1, pagedown: page, space: page, pageup: -page, g: -Infinity, home: -Infinity, G: Infinity, end: Infinity };
  const by = key === undefined ? undefined : moves[key];
  if (by === undefined) return step(ui, {}, say(false, `the changes are open: d or Esc closes them · j k PgUp PgDn g G scroll · ${keysOf(view.keymap, 'open')} opens them in the pager`));
  const top = Math.min(last, Math.max(0, overlay.top + by));
  return step(ui, { overlay: { ...overlay, top } });
}

/** y answers yes (the overlay's `yes` action is reduced next); any other key no. */
export function confirmKey(ui: UiState, overlay: Of<'confirm'>, key: string | undefined, reduce: (ui: UiState, action: Action) => Step): Step {
  const rest = { ...ui, ...closed };
  if (key === 'y' || key === 'Y') return reduce(rest, overlay.yes);
  return step(rest, {}, say(true, overlay.no));
}

/** A prompt (the filter, the output search) takes text until Enter keeps it or Esc drops it; the filter applies as it is typed. */
export function promptKey(ui: UiState, overlay: Of<'prompt'>, raw: string, key: string | undefined, view: View): Step {
  const filter = overlay.purpose === 'filter';
  if (key === 'escape') return step(ui, { ...closed, ...(filter ? { filter: '' } : {}) }, say(true, filter ? 'filter cleared' : 'search cancelled'));
  if (key === 'enter') {
    if (!filter) return searchOutput({ ...ui, ...closed }, view, overlay.text);
    const text = overlay.text ? `filter: ${overlay.text} (${plural(view.order(overlay.text, ui.sort).length, 'task')}) — / then Esc clears it` : 'filter cleared';
    return step(ui, { ...closed, filter: overlay.text }, say(true, text));
  }
  const text = key === 'backspace' ? overlay.text.slice(0, -1) : overlay.text + (printable(raw) ?? '');
  return step(ui, { overlay: { ...overlay, text }, ...(filter ? { filter: text } : {}) });
}
