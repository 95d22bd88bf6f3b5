import type { Engine } from '../src/scheduler/engine.js';
import type { RunSnapshot } from '../src/scheduler/run-store.js';
import { isLive } from '../src/scheduler/states.js';
import { runCommand, searchOutput } from './actions.js';
import type { Actor } from './actions.js';
import { helpScrollText, scrollHelp } from './help.js';
import { keyName, printable } from './key-names.js';
import { DETACH_KEY, commandFor, helpCloseKeys, helpCloseText } from './keymap.js';
import type { Keymap } from './keymap.js';
import { freshPane, say } from './ui-state.js';
import type { Overlay, UiState, ViewInfo } from './ui-state.js';


/**
 * The one input router (STYLE §9): the attached agent's terminal → an open
 * overlay → the focused scope's keymap. Mutates the UI state it was given
 * and returns whether the key was used; the actions (actions.ts) only ever
 * send the engine commands.
 */
export class Controller implements Actor {
  constructor(
    readonly ui: UiState,
    readonly engine: Engine,
    readonly keymap: Keymap,
    readonly exit: () => void,
  ) {}

  view: ViewInfo | undefined;

  handle(raw: string): boolean {
    const ui = this.ui;
    // Keys typed faster than the terminal is read arrive as one chunk: route them one by one.
    if (ui.attached === undefined && ui.overlay.kind !== 'prompt' && raw.length > 1 && keyName(raw) === undefined && !raw.startsWith('\u001b')) {
      let used = false;
      for (const ch of raw) used = this.handle(ch) || used;
      return used;
    }
    const view = this.view;
    if (!view) return false;
    const key = keyName(raw);
    if (ui.attached !== undefined) return this.attached(ui.attached, raw, key);
    const overlay = ui.overlay;
    // The stop key works through any overlay: in raw mode no SIGINT arrives, so this is the only ctrl+c.
    // A prompt still takes it as text when it is printable (a rebinding to a plain character).
    if (overlay.kind !== 'none' && key !== undefined && this.keymap.some((b) => b.id === 'quit-now' && b.keys.includes(key)) && !(overlay.kind === 'prompt' && printable(raw))) {
      ui.overlay = { kind: 'none' };
      ui.feedback = runCommand(this, 'quit-now', view) ?? ui.feedback;
      return true;
    }
    switch (overlay.kind) {
      case 'help': {
        // From where the help is drawn now: a resize may have made it scroll less.
        const top = key === undefined ? undefined : scrollHelp(this.keymap, key, Math.min(overlay.top, view.help.maxTop), view.help);
        if (key !== undefined && helpCloseKeys(this.keymap).includes(key)) {
          ui.overlay = { kind: 'none' };
          ui.feedback = say(true, 'help closed');
        } else if (top !== undefined && view.help.maxTop > 0) {
          ui.overlay = { kind: 'help', top };
          ui.feedback = say(true, `help: rows ${top + 1}–${top + view.help.visible} of ${view.help.maxTop + view.help.visible}`);
        } else {
          const scroll = view.help.maxTop > 0 ? ` · ${helpScrollText(this.keymap)} scroll it` : '';
          ui.feedback = say(false, `help is open: ${helpCloseText(this.keymap)} closes it${scroll}`);
        }
        return true;
      }
      case 'confirm':
        ui.overlay = { kind: 'none' };
        if (key === 'y' || key === 'Y') ui.feedback = overlay.onYes() ?? ui.feedback;
        else ui.feedback = say(true, overlay.onNo);
        return true;
      case 'prompt':
        return this.prompt(overlay, raw, key, view);
      case 'none':
        break;
      default: {
        const never: never = overlay;
        throw new Error(`unknown overlay ${JSON.stringify(never)}`);
      }
    }
    if (key === undefined) return false;
    const id = commandFor(this.keymap, ui.focus, key);
    if (!id) {
      ui.feedback = say(false, `'${key}' does nothing here — press ? for the keys`);
      return false;
    }
    ui.feedback = runCommand(this, id, view) ?? ui.feedback;
    return true;
  }

  /** Attached: every key goes to the agent's terminal, except the detach key. */
  private attached(id: string, raw: string, key: string | undefined): boolean {
    const ui = this.ui;
    const cut = raw.indexOf('\u001d');
    if (cut > 0) {
      this.handle(raw.slice(0, cut));
      return this.handle(raw.slice(cut));
    }
    if (key === DETACH_KEY) {
      ui.feedback = say(true, `detached from ${id}`);
      ui.attached = undefined;
      return true;
    }
    const result = this.engine.sendInput(id, raw);
    if (!result.ok) {
      ui.feedback = say(false, `${result.message} — detached`);
      ui.attached = undefined;
    }
    return true;
  }

  private prompt(overlay: Extract<Overlay, { kind: 'prompt' }>, raw: string, key: string | undefined, view: ViewInfo): boolean {
    const ui = this.ui;
    if (key === 'escape') {
      ui.overlay = { kind: 'none' };
      if (overlay.purpose === 'filter') ui.filter = '';
      ui.feedback = say(true, overlay.purpose === 'filter' ? 'filter cleared' : 'search cancelled');
      return true;
    }
    if (key === 'enter') {
      ui.overlay = { kind: 'none' };
      if (overlay.purpose === 'filter') {
        ui.filter = overlay.text;
        ui.feedback = say(true, overlay.text ? `filter: ${overlay.text} (${view.order.length} tasks) — / then Esc clears it` : 'filter cleared');
      } else ui.feedback = searchOutput(ui, overlay.text, view);
      return true;
    }
    if (key === 'backspace') overlay.text = overlay.text.slice(0, -1);
    else {
      const text = printable(raw);
      if (text) overlay.text += text;
    }
    if (overlay.purpose === 'filter') ui.filter = overlay.text;
    return true;
  }

  /** Detaches from an agent whose task has stopped running (it ended, or was cancelled). */
  sync(snapshot: RunSnapshot): void {
    const id = this.ui.attached;
    if (id === undefined) return;
    const state = snapshot.tasks.find((t) => t.spec.id === id)?.state;
    if (state && isLive(state)) return;
    this.ui.attached = undefined;
    this.ui.feedback = say(true, `${id} is ${state?.kind ?? 'gone'}: detached`);
  }

  /** Moves the selection to `id`; the pane starts following the new task's output. */
  select(id: string | undefined): void {
    if (id === this.ui.selected) return;
    this.ui.selected = id;
    this.ui.pane = freshPane();
  }
}
