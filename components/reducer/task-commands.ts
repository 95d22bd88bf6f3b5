import { canTransition, isLive } from '../../src/scheduler/states.js';
import type { TaskRecord } from '../../src/scheduler/run-store.js';
import { visible } from '../../src/report/visible.js';
import { commandWords } from '../command-words.js';
import type { CommandId } from '../keymap.js';
import type { UiState } from '../ui-state.js';
import { say, step, tell } from './step.js';
import type { Action, Effect } from './actions.js';
import type { Handler, Step, View } from './types.js';
import type { TaskDiffResult } from '../../src/scheduler/workspaces.js';
import { plural } from '../../src/report/plural.js';
import type { PagerResult } from '../pager.js';

const run = (ui: UiState, effect: Effect): Step => ({ ui, effects: [effect] });

/** `f` on the selected task, or "no task selected". */
function onSelected(f: (ui: UiState, record: TaskRecord, id: string) => Step): Handler {
  return (ui, view) => {
    const id = ui.selected;
    const record = id === undefined ? undefined : view.snapshot.tasks.find((t) => t.spec.id === id);
    return id === undefined || !record ? tell(ui, false, 'no task selected') : f(ui, record, id);
  };
}

/** Asks before every cancel that changes something (a blocked task too); the engine explains a refusal. */
function cancel(ui: UiState, record: TaskRecord, id: string): Step {
  const state = record.state;
  if (!canTransition(state, 'cancelled')) return run(ui, { kind: 'cancel', id });
  const effect = isLive(state) ? 'its processes are stopped' : 'its dependents are blocked unless their failure mode allows it';
  const yes: Action = { type: 'run', effect: { kind: 'cancel', id } };
  return step(ui, { overlay: { kind: 'confirm', question: `cancel ${id} (${state.kind})? ${effect} · y / n`, yes, no: `kept ${id}` } }, say(true, `cancel ${id}? press y to confirm`));
}

/**
 * Attaching is taken at once, so keys typed right after `i` reach the agent;
 * the probe's result (the `attach` effect) focuses the pane, or detaches
 * with the engine's reason.
 */
function attach(ui: UiState, record: TaskRecord, id: string): Step {
  const kind = record.state.kind;
  if (kind !== 'running') return tell(ui, false, `${id} is ${kind}; only a running task takes input`);
  return { ui: { ...ui, attached: id }, effects: [{ kind: 'attach', id }] };
}

/** The commands on the selected task, and on the run as a whole. */
export const TASK_COMMANDS = {
  pause: onSelected((ui, record, id) => run(ui, { kind: record.state.kind === 'paused' ? 'resume' : 'pause', id })),
  'pause-run': (ui, view) => run(ui, { kind: view.snapshot.paused ? 'resume-run' : 'pause-run' }),
  retry: onSelected((ui, _record, id) => run(ui, { kind: 'retry', id })),
  skip: onSelected((ui, _record, id) => run(ui, { kind: 'skip', id })),
  'mark-done': onSelected((ui, _record, id) => run(ui, { kind: 'mark-done', id })),
  'merge-again': onSelected((ui, _record, id) => run(ui, { kind: 'merge-again', id })),
  diff: onSelected((ui, _record, id) => ({ ...step(ui, { overlay: { kind: 'diff', id, lines: undefined, top: 0 } }, say(true, `changes of ${id}: reading…`)), effects: [{ kind: 'diff', id }] })),
  open: onSelected((ui, _record, id) => step(ui, { pager: { what: 'transcript', id } }, say(true, `transcript of ${id} in the pager: quit it to come back`))),
  cancel: onSelected(cancel),
  attach: onSelected(attach),
} satisfies Partial<Record<CommandId, Handler>>;

/** A diff read: shown in its overlay while that is still open on the same task; why there is none, in the footer. */
export function diffLoaded(ui: UiState, result: TaskDiffResult): Step {
  const overlay = ui.overlay;
  if (overlay.kind !== 'diff' || overlay.id !== result.id) return { ui, effects: [] };
  if (result.ok) {
    // File contents are text from outside: control characters made visible before the terminal sees them.
    const lines = result.text.replace(/\n$/, '').split('\n').filter((l, i, all) => all.length > 1 || l !== '').map(visible);
    return step(ui, { overlay: { ...overlay, lines } }, say(true, lines.length ? `changes of ${result.id}: ${plural(lines.length, 'line')}` : `${result.id} has changed nothing so far`));
  }
  const why =
    result.reason === 'no-diff' ? `no changes of ${result.id} to show: ${result.why}`
    : result.reason === 'not-isolated' ? `${result.id} works in the workspace itself (isolation: none): no diff of its own`
    : `no task '${result.id}' in this run`;
  return step(ui, { overlay: { kind: 'none' } }, say(false, why));
}

/** Back from the pager: the footer says why it showed nothing, if it did not. */
export function pagerClosed(ui: UiState, result: PagerResult): Step {
  const what = ui.pager ? `${ui.pager.what === 'diff' ? 'the changes' : 'the transcript'} of ${ui.pager.id}` : 'the pager';
  return step(ui, { pager: undefined }, result.ok ? say(true, `back from ${what}`) : say(false, `could not show ${what}: ${result.why}`));
}

/** What an engine command did, in the footer; a failed write or probe detaches. */
export function commandResult(ui: UiState, action: Extract<Action, { type: 'result' }>, view: Pick<View, 'snapshot'>): Step {
  const { effect, result } = action;
  const words = commandWords(effect.kind, result, { paused: view.snapshot.paused });
  switch (effect.kind) {
    case 'send-input':
      if (result.ok) return { ui, effects: [] };
      return step(ui, { attached: undefined }, say(false, `${words} — detached`));
    case 'attach':
      if (!result.ok) return step(ui, { attached: undefined }, say(false, words));
      if (ui.attached !== effect.id) return { ui, effects: [] };
      return step(ui, { focus: 'pane' }, say(true, `attached to ${effect.id}: keys go to its terminal; ctrl+] detaches`));
    default:
      return tell(ui, result.ok, words);
  }
}
