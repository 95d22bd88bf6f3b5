import type { Engine } from '../src/scheduler/engine.js';
import type { RunSnapshot } from '../src/scheduler/run-store.js';
import { canTransition, isLive } from '../src/scheduler/states.js';
import { helpCloseText, keysOf } from './keymap.js';
import type { CommandId, Keymap } from './keymap.js';
import { liveCount, say } from './ui-state.js';
import type { Feedback, UiState, ViewInfo } from './ui-state.js';

/** What an action may touch: the UI state, and the engine through its commands only. */
export interface Actor {
  readonly ui: UiState;
  readonly engine: Engine;
  readonly keymap: Keymap;
  exit(): void;
  select(id: string | undefined): void;
}

const result = (r: { ok: boolean; message: string }) => say(r.ok, r.message);

/** Runs one keymap command; returns what the footer should say (undefined: keep it). */
export function runCommand(a: Actor, id: CommandId, view: ViewInfo): Feedback | undefined {
  const { ui, engine } = a;
  const { snapshot, order } = view;
  const sel = ui.selected;
  const record = sel === undefined ? undefined : snapshot.tasks.find((t) => t.spec.id === sel);
  const needTask = (f: (id: string) => Feedback): Feedback => (sel === undefined || !record ? say(false, 'no task selected') : f(sel));
  const index = sel === undefined ? -1 : order.indexOf(sel);
  const moveTo = (i: number): Feedback | undefined => {
    if (!order.length) return say(false, ui.filter ? `no task matches the filter '${ui.filter}'` : 'no tasks');
    a.select(order[Math.max(0, Math.min(order.length - 1, i))]);
    return undefined;
  };
  switch (id) {
    case 'help':
      ui.overlay = { kind: 'help', top: 0 };
      return say(true, `help: ${helpCloseText(a.keymap)} closes it`);
    case 'quit':
      return quit(a, snapshot, true);
    case 'quit-now':
      return quit(a, snapshot, false);
    case 'focus':
      ui.focus = ui.focus === 'tasks' ? 'pane' : 'tasks';
      return say(true, ui.focus === 'pane' ? 'pane focused: PgUp/PgDn scroll, / searches; Esc or tab goes back' : 'task list focused');
    case 'unfocus':
      ui.focus = 'tasks';
      return say(true, 'task list focused');
    case 'pause':
      return needTask((t) => result(record!.state.kind === 'paused' ? engine.resume(t) : engine.pause(t)));
    case 'pause-run':
      return result(snapshot.paused ? engine.resumeAll() : engine.pauseAll());
    case 'retry':
      return needTask((t) => result(engine.retry(t)));
    case 'skip':
      return needTask((t) => result(engine.skip(t)));
    case 'mark-done':
      return needTask((t) => result(engine.markDone(t)));
    case 'cancel':
      return needTask((t) => {
        const state = record!.state;
        // Ask before every cancel that changes something (a blocked task too); the engine explains a refusal.
        if (!canTransition(state, 'cancelled')) return result(engine.cancel(t));
        const effect = isLive(state) ? 'its processes are stopped' : 'its dependents are blocked unless their failure mode allows it';
        ui.overlay = {
          kind: 'confirm',
          question: `cancel ${t} (${state.kind})? ${effect} · y / n`,
          onYes: () => result(engine.cancel(t)),
          onNo: `kept ${t}`,
        };
        return say(true, `cancel ${t}? press y to confirm`);
      });
    case 'attach':
      return needTask((t) => {
        const kind = record!.state.kind;
        if (kind !== 'running') return say(false, `${t} is ${kind}; only a running task takes input`);
        const probe = engine.sendInput(t, '');
        if (!probe.ok) return result(probe);
        ui.attached = t;
        ui.focus = 'pane';
        return say(true, `attached to ${t}: keys go to its terminal; ctrl+] detaches`);
      });
    case 'split':
      ui.split = !ui.split;
      return say(true, ui.split ? `split view: ${Math.min(4, snapshot.tasks.filter((t) => isLive(t.state)).length)} running agents (up to four)` : 'split view off');
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
          a.select(at);
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
      return jumpMatch(ui, ui.pane.match - 1, view);
    case 'prev-match':
      return jumpMatch(ui, ui.pane.match + 1, view);
    default: {
      const never: never = id;
      throw new Error(`unknown command ${String(never)}`);
    }
  }
}

/** Searches the selected task's output and shows the newest match. */
export function searchOutput(ui: UiState, query: string, view: ViewInfo): Feedback {
  const pane = ui.pane;
  pane.query = query;
  pane.matches = query ? view.search(query) : [];
  if (!query) return say(true, 'search cleared');
  if (!pane.matches.length) {
    pane.match = -1;
    return say(false, `no line of ${ui.selected ?? 'the output'} contains '${query}'`);
  }
  return jumpMatch(ui, pane.matches.length - 1, view);
}

function jumpMatch(ui: UiState, index: number, view: ViewInfo): Feedback {
  const pane = ui.pane;
  if (!pane.matches.length) return say(false, pane.query ? `no match for '${pane.query}'` : 'no search yet: press / in the pane');
  pane.match = (index + pane.matches.length) % pane.matches.length;
  const line = pane.matches[pane.match]!;
  pane.follow = false;
  pane.top = Math.max(0, Math.min(line - Math.floor(view.paneRows / 2), view.paneLength - view.paneRows));
  return say(true, `match ${pane.match + 1}/${pane.matches.length} for '${pane.query}' (line ${line + 1})`);
}

/**
 * Quits: asks first while agents run (`ask`), then stops them gracefully
 * (SIGTERM, the grace period, SIGKILL). The stop key pressed again while
 * they are stopping forces it, as a second Ctrl+C does headless: every
 * agent group is SIGKILLed at once.
 */
function quit(a: Actor, snapshot: RunSnapshot, ask: boolean): Feedback {
  const { ui, engine } = a;
  const force = keysOf(a.keymap, 'quit-now');
  if (ui.quitting) {
    if (ask) return say(true, `still stopping the agents — ${force} kills them now`);
    void engine.shutdown('SIGINT', { force: true });
    return say(true, 'killing every agent now');
  }
  const live = liveCount(snapshot);
  const stop = (): Feedback => {
    ui.quitting = true;
    void engine.shutdown('SIGINT').then(() => a.exit());
    return say(true, live ? `stopping ${live} running task${live === 1 ? '' : 's'}… ${force} again kills ${live === 1 ? 'it' : 'them'} now` : 'quitting');
  };
  if (!ask || live === 0 || snapshot.finished) return stop();
  ui.overlay = {
    kind: 'confirm',
    question: `${live} task${live === 1 ? ' is' : 's are'} running: stop ${live === 1 ? 'it' : 'them'} and quit? · y / n`,
    onYes: stop,
    onNo: 'still running',
  };
  return say(true, 'quit? press y to confirm');
}
