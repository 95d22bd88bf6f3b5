import type { Engine } from '../src/scheduler/engine.js';
import type { RunSnapshot } from '../src/scheduler/run-store.js';
import { isFinished } from '../src/scheduler/states.js';
import { keyName, printable } from './key-names.js';
import { DETACH_KEY, commandFor } from './keymap.js';
import type { CommandId, Keymap } from './keymap.js';

/** What the footer says after an action: every key gives visible feedback. */
export interface Feedback {
  ok: boolean;
  text: string;
}

/** A modal thing on top of the keymap: the first stop of the input router (STYLE §9). */
export type Overlay =
  | { kind: 'none' }
  | { kind: 'help' }
  | { kind: 'confirm'; question: string; onYes: () => Feedback | void; onNo: string }
  | { kind: 'prompt'; purpose: 'filter' | 'search'; text: string };

/** The pane's view of the scrollback: following the end, or pinned with `back` lines hidden below. */
export interface PaneView {
  follow: boolean;
  /** Buffer line shown at the top when not following. */
  top: number;
  query: string;
  matches: number[];
  match: number;
}

/** The dashboard's own state: what is selected and shown, never the run's state. */
export interface UiState {
  selected: string | undefined;
  focus: 'tasks' | 'pane';
  overlay: Overlay;
  attached: string | undefined;
  filter: string;
  split: boolean;
  zoom: boolean;
  feedback: Feedback | undefined;
  quitting: boolean;
  pane: PaneView;
}

/** What the last frame showed, which the router needs to move the selection and scroll. */
export interface ViewInfo {
  snapshot: RunSnapshot;
  /** Task ids in the order the DAG view lists them (filtered). */
  order: readonly string[];
  listHeight: number;
  paneRows: number;
  /** Lines in the selected task's screen buffer (0 without one). */
  paneLength: number;
  search(query: string): number[];
}

export function initialUi(): UiState {
  return {
    selected: undefined,
    focus: 'tasks',
    overlay: { kind: 'none' },
    attached: undefined,
    filter: '',
    split: false,
    zoom: false,
    feedback: undefined,
    quitting: false,
    pane: freshPane(),
  };
}

function freshPane(): PaneView {
  return { follow: true, top: 0, query: '', matches: [], match: -1 };
}

const say = (ok: boolean, text: string): Feedback => ({ ok, text });

/** Tasks whose agents are alive: the ones a quit would stop. */
export function liveCount(snapshot: RunSnapshot): number {
  return snapshot.counts.running + snapshot.counts['waiting-lock'] + snapshot.tasks.filter((t) => t.state.kind === 'paused' && t.state.from === 'running').length;
}

/**
 * The one input router: overlay → the focused scope's keymap → the attached
 * agent's terminal. Mutates the UI state it was given and returns whether
 * the key was used; the engine is only ever sent commands.
 */
export class Controller {
  constructor(
    readonly ui: UiState,
    private readonly engine: Engine,
    private readonly keymap: Keymap,
    private readonly exit: () => void,
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
    if (ui.attached !== undefined) {
      const cut = raw.indexOf('\u001d');
      if (cut > 0) {
        this.handle(raw.slice(0, cut));
        return this.handle(raw.slice(cut));
      }
      if (key === DETACH_KEY) {
        ui.feedback = say(true, `detached from ${ui.attached}`);
        ui.attached = undefined;
        return true;
      }
      const result = this.engine.sendInput(ui.attached, raw);
      if (!result.ok) {
        ui.feedback = say(false, `${result.message} — detached`);
        ui.attached = undefined;
      }
      return true;
    }
    const overlay = ui.overlay;
    switch (overlay.kind) {
      case 'help':
        if (key === 'escape' || key === '?' || key === 'q') {
          ui.overlay = { kind: 'none' };
          ui.feedback = say(true, 'help closed');
        }
        else ui.feedback = say(false, 'help is open: press Esc or ? to close it');
        return true;
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
    ui.feedback = this.run(id, view) ?? ui.feedback;
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
      } else ui.feedback = this.search(overlay.text, view);
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

  private search(query: string, view: ViewInfo): Feedback {
    const pane = this.ui.pane;
    pane.query = query;
    pane.matches = query ? view.search(query) : [];
    if (!query) return say(true, 'search cleared');
    if (!pane.matches.length) {
      pane.match = -1;
      return say(false, `no line of ${this.ui.selected ?? 'the output'} contains '${query}'`);
    }
    return this.jumpMatch(pane.matches.length - 1, view);
  }

  private jumpMatch(index: number, view: ViewInfo): Feedback {
    const pane = this.ui.pane;
    if (!pane.matches.length) return say(false, pane.query ? `no match for '${pane.query}'` : 'no search yet: press / in the pane');
    pane.match = (index + pane.matches.length) % pane.matches.length;
    const line = pane.matches[pane.match]!;
    pane.follow = false;
    pane.top = Math.max(0, Math.min(line - Math.floor(view.paneRows / 2), view.paneLength - view.paneRows));
    return say(true, `match ${pane.match + 1}/${pane.matches.length} for '${pane.query}' (line ${line + 1})`);
  }

  /** Detaches from an agent whose task has stopped running (it ended, or was cancelled). */
  sync(snapshot: RunSnapshot): void {
    const id = this.ui.attached;
    if (id === undefined) return;
    const state = snapshot.tasks.find((t) => t.spec.id === id)?.state;
    if (state?.kind === 'running' || (state?.kind === 'paused' && state.from === 'running')) return;
    this.ui.attached = undefined;
    this.ui.feedback = say(true, `${id} is ${state?.kind ?? 'gone'}: detached`);
  }

  /** Moves the selection to `id`; the pane starts following the new task's output. */
  select(id: string | undefined): void {
    if (id === this.ui.selected) return;
    this.ui.selected = id;
    this.ui.pane = freshPane();
  }

  private run(id: CommandId, view: ViewInfo): Feedback | undefined {
    const ui = this.ui;
    const { snapshot, order } = view;
    const sel = ui.selected;
    const record = sel === undefined ? undefined : snapshot.tasks.find((t) => t.spec.id === sel);
    const needTask = (f: (id: string) => Feedback): Feedback => (sel === undefined || !record ? say(false, 'no task selected') : f(sel));
    const result = (r: { ok: boolean; message: string }) => say(r.ok, r.message);
    const index = sel === undefined ? -1 : order.indexOf(sel);
    const moveTo = (i: number): Feedback | undefined => {
      if (!order.length) return say(false, ui.filter ? `no task matches the filter '${ui.filter}'` : 'no tasks');
      this.select(order[Math.max(0, Math.min(order.length - 1, i))]);
      return undefined;
    };
    switch (id) {
      case 'help':
        ui.overlay = { kind: 'help' };
        return say(true, 'help: Esc or ? closes it');
      case 'quit':
        return this.quit(snapshot, true);
      case 'quit-now':
        return this.quit(snapshot, false);
      case 'focus':
        ui.focus = ui.focus === 'tasks' ? 'pane' : 'tasks';
        return say(true, ui.focus === 'pane' ? `pane focused: PgUp/PgDn scroll, / searches; Esc or ${'tab'} goes back` : 'task list focused');
      case 'unfocus':
        ui.focus = 'tasks';
        return say(true, 'task list focused');
      case 'pause':
        return needTask((t) => result(record!.state.kind === 'paused' ? this.engine.resume(t) : this.engine.pause(t)));
      case 'pause-run':
        return result(snapshot.paused ? this.engine.resumeAll() : this.engine.pauseAll());
      case 'retry':
        return needTask((t) => result(this.engine.retry(t)));
      case 'skip':
        return needTask((t) => result(this.engine.skip(t)));
      case 'mark-done':
        return needTask((t) => result(this.engine.markDone(t)));
      case 'cancel':
        return needTask((t) => {
          if (isFinished(record!.state.kind)) return result(this.engine.cancel(t));
          ui.overlay = {
            kind: 'confirm',
            question: `cancel ${t} (${record!.state.kind})? its processes are stopped · y / n`,
            onYes: () => result(this.engine.cancel(t)),
            onNo: `kept ${t}`,
          };
          return say(true, `cancel ${t}? press y to confirm`);
        });
      case 'attach':
        return needTask((t) => {
          const kind = record!.state.kind;
          if (kind !== 'running') return say(false, `${t} is ${kind}; only a running task takes input`);
          const probe = this.engine.sendInput(t, '');
          if (!probe.ok) return result(probe);
          ui.attached = t;
          ui.focus = 'pane';
          return say(true, `attached to ${t}: keys go to its terminal; ctrl+] detaches`);
        });
      case 'split':
        ui.split = !ui.split;
        return say(true, ui.split ? `split view: ${Math.min(4, liveCount(snapshot))} running agents (up to four)` : 'split view off');
      case 'zoom':
        ui.zoom = !ui.zoom;
        if (ui.zoom) ui.focus = 'pane';
        return say(true, ui.zoom ? `zoomed on ${sel ?? 'the pane'}: z to unzoom` : 'zoom off');
      case 'up':
        return moveTo(index - 1);
      case 'down':
        return moveTo(index + 1);
      case 'first':
        return moveTo(0);
      case 'last':
        return moveTo(order.length - 1);
      case 'page-up':
        return moveTo(index - Math.max(1, view.listHeight - 1));
      case 'page-down':
        return moveTo(index + Math.max(1, view.listHeight - 1));
      case 'filter':
        ui.overlay = { kind: 'prompt', purpose: 'filter', text: ui.filter };
        return say(true, 'filter: type text or state:failed, Enter keeps it, Esc clears it');
      case 'next-failed':
      case 'prev-failed': {
        const failed = order.filter((t) => snapshot.tasks.find((r) => r.spec.id === t)?.state.kind === 'failed');
        if (!failed.length) return say(false, 'no failed task' + (ui.filter ? ' matches the filter' : ''));
        const step = id === 'next-failed' ? 1 : -1;
        for (let i = 1; i <= order.length; i++) {
          const at = order[(index + step * i + order.length * 2) % order.length]!;
          if (failed.includes(at)) {
            this.select(at);
            return say(true, `failed: ${at} (${failed.indexOf(at) + 1}/${failed.length})`);
          }
        }
        return undefined;
      }
      case 'scroll-up':
      case 'scroll-down':
      case 'line-up':
      case 'line-down': {
        const pane = ui.pane;
        const step = id === 'scroll-up' || id === 'scroll-down' ? Math.max(1, view.paneRows - 1) : 1;
        const bottom = Math.max(0, view.paneLength - view.paneRows);
        const from = pane.follow ? bottom : pane.top;
        const to = Math.max(0, Math.min(bottom, from + (id === 'scroll-up' || id === 'line-up' ? -step : step)));
        pane.top = to;
        pane.follow = to >= bottom;
        return say(true, pane.follow ? 'following the output' : `scrolled: line ${to + 1} of ${view.paneLength}`);
      }
      case 'top':
        ui.pane.follow = false;
        ui.pane.top = 0;
        return say(true, 'oldest output kept — G follows again');
      case 'follow':
        ui.pane.follow = true;
        return say(true, 'following the output');
      case 'search':
        ui.overlay = { kind: 'prompt', purpose: 'search', text: '' };
        return say(true, 'search the output: type, Enter finds, Esc cancels');
      case 'next-match':
        return this.jumpMatch(ui.pane.match - 1, view);
      case 'prev-match':
        return this.jumpMatch(ui.pane.match + 1, view);
      default: {
        const never: never = id;
        throw new Error(`unknown command ${String(never)}`);
      }
    }
  }

  private quit(snapshot: RunSnapshot, ask: boolean): Feedback {
    const live = liveCount(snapshot);
    const stop = (): Feedback => {
      this.ui.quitting = true;
      void this.engine.shutdown('SIGINT').then(this.exit);
      return say(true, live ? `stopping ${live} running task${live === 1 ? '' : 's'}…` : 'quitting');
    };
    if (!ask || live === 0 || snapshot.finished) return stop();
    this.ui.overlay = {
      kind: 'confirm',
      question: `${live} task${live === 1 ? ' is' : 's are'} running: stop ${live === 1 ? 'it' : 'them'} and quit? · y / n`,
      onYes: stop,
      onNo: 'still running',
    };
    return say(true, 'quit? press y to confirm');
  }
}
