import { describe, expect, it } from '@jest/globals';
import type { CommandResult } from '../../src/scheduler/commands.js';
import type { RunSnapshot } from '../../src/scheduler/run-store.js';
import { STATE_KINDS } from '../../src/scheduler/states.js';
import type { TaskState } from '../../src/scheduler/states.js';
import { commandWords } from '../../components/command-words.js';
import { helpLayout } from '../../components/help.js';
import { DEFAULT_KEYMAP } from '../../components/keymap.js';
import { reduce, settle } from '../../components/reducer/reduce.js';
import type { Action, Effect, EngineCommand } from '../../components/reducer/actions.js';
import type { View } from '../../components/reducer/types.js';
import { initialUi } from '../../components/ui-state.js';
import type { UiState } from '../../components/ui-state.js';
import { task } from '../scheduler/harness.js';

/** A snapshot of tasks in the given states, in this order: the reducer needs nothing else of a run. */
function snapshot(states: Record<string, TaskState>, over: Partial<RunSnapshot> = {}): RunSnapshot {
  const tasks = Object.entries(states).map(([id, state], order) => ({ spec: task(id), order, state, attempts: 1 }));
  const counts = Object.fromEntries(STATE_KINDS.map((k) => [k, tasks.filter((t) => t.state.kind === k).length])) as RunSnapshot['counts'];
  return { version: 1, plan: 'p', file: '/p.yaml', workspace: '/', concurrency: 4, startedAt: 0, paused: false, finished: false, tasks, counts, usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 } as RunSnapshot['usage'], needsYou: {}, holds: [], ...over };
}

const running: TaskState = { kind: 'running' };
const pending: TaskState = { kind: 'pending' };

function viewOf(snap: RunSnapshot, over: Partial<View> = {}): View {
  const ids = snap.tasks.map((t) => t.spec.id);
  return { snapshot: snap, keymap: DEFAULT_KEYMAP, order: (filter) => ids.filter((id) => id.includes(filter)), listHeight: 10, paneRows: 10, paneLength: () => 0, help: helpLayout(DEFAULT_KEYMAP, 100, 25), search: () => [], listWidth: () => undefined, hit: () => ({ kind: 'none' }), ...over };
}

/** Deeply frozen: a reducer that mutates its input throws. */
function frozen<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) frozen(v);
    Object.freeze(value);
  }
  return value;
}

/** Reduces keys one after another (each a separate action), collecting every effect. */
function keys(ui: UiState, view: View, ...raws: string[]): { ui: UiState; effects: Effect[] } {
  const effects: Effect[] = [];
  for (const raw of raws) {
    const next = reduce(frozen(ui), { type: 'key', raw }, view);
    ui = next.ui;
    effects.push(...next.effects);
  }
  return { ui, effects };
}

const two = viewOf(snapshot({ a: running, b: pending }));

describe('the dashboard reducer', () => {
  it('maps keys through the keymap of the focused scope', () => {
    let { ui } = keys(initialUi(), two, 'j');
    expect(ui.selected).toBe('b');
    ({ ui } = keys(ui, two, 'k', '\t'));
    expect(ui).toMatchObject({ selected: 'a', focus: 'pane' });
    // In the pane j scrolls the output instead of moving the selection.
    ({ ui } = keys(ui, viewOf(two.snapshot, { paneLength: () => 100 }), 'g', 'j'));
    expect(ui).toMatchObject({ selected: 'a', pane: { follow: false, top: 1 } });
    expect(keys(ui, two, 'Q').ui.feedback).toEqual({ ok: false, text: "'Q' does nothing here — press ? for the keys" });
  });

  it('routes keys typed faster than they were read one by one', () => {
    const three = viewOf(snapshot({ a: running, b: pending, c: pending }));
    expect(keys(initialUi(), three, 'jj').ui.selected).toBe('c');
  });

  it('asks the engine through effects and changes nothing itself', () => {
    expect(keys(initialUi(), two, 'p').effects).toEqual([{ kind: 'pause', id: 'a' }]);
    const paused = viewOf(snapshot({ a: { kind: 'paused', from: 'running' }, b: pending }, { paused: true }));
    expect(keys(initialUi(), paused, 'p', 'P').effects).toEqual([{ kind: 'resume', id: 'a' }, { kind: 'resume-run' }]);
    expect(keys(initialUi(), two, 'r', 's', 'D').effects).toEqual([
      { kind: 'retry', id: 'a' },
      { kind: 'skip', id: 'a' },
      { kind: 'mark-done', id: 'a' },
    ]);
  });

  it('holds the confirmation as data: the action y runs', () => {
    const asked = keys(initialUi(), two, 'x');
    expect(asked.effects).toEqual([]);
    expect(asked.ui.overlay).toEqual({
      kind: 'confirm',
      question: 'cancel a (running)? its processes are stopped · y / n',
      yes: { type: 'run', effect: { kind: 'cancel', id: 'a' } },
      no: 'kept a',
    });
    expect(JSON.parse(JSON.stringify(asked.ui))).toEqual(asked.ui);
    expect(keys(asked.ui, two, 'y')).toMatchObject({ ui: { overlay: { kind: 'none' } }, effects: [{ kind: 'cancel', id: 'a' }] });
    expect(keys(asked.ui, two, 'n')).toMatchObject({ ui: { overlay: { kind: 'none' }, feedback: { ok: true, text: 'kept a' } }, effects: [] });
  });

  it('puts a command result in the footer in the dashboard\'s words', () => {
    const result: Action = { type: 'result', effect: { kind: 'retry', id: 'a' }, result: { ok: false, reason: 'wrong-state', id: 'a', state: 'running' } };
    expect(reduce(frozen(initialUi()), result, two).ui.feedback).toEqual({ ok: false, text: 'a is running; only failed, cancelled or blocked tasks can be retried' });
  });

  it('a retry while the run is paused (P) says the task starts when the run resumes', () => {
    const retried: Action = { type: 'result', effect: { kind: 'retry', id: 'a' }, result: { ok: true, did: 'retrying', id: 'a', attempt: 2 } };
    const paused = viewOf(snapshot({ a: { kind: 'pending' }, b: pending }, { paused: true }));
    expect(reduce(frozen(initialUi()), retried, paused).ui.feedback).toEqual({ ok: true, text: 'retrying a (attempt 2): the run is paused, it starts when the run resumes' });
    expect(reduce(frozen(initialUi()), retried, two).ui.feedback).toEqual({ ok: true, text: 'retrying a (attempt 2)' });
  });

  it('attached, sends every key as typed to the agent until ctrl+], and detaches when a write fails', () => {
    const attached = keys(initialUi(), two, 'i');
    expect(attached).toMatchObject({ ui: { attached: 'a' }, effects: [{ kind: 'attach', id: 'a' }] });
    const ok: Action = { type: 'result', effect: { kind: 'attach', id: 'a' }, result: { ok: true, did: 'sent', id: 'a' } };
    let ui = reduce(attached.ui, ok, two).ui;
    expect(ui).toMatchObject({ focus: 'pane', feedback: { text: 'attached to a: keys go to its terminal; ctrl+] detaches' } });
    const typed = keys(ui, two, 'q', '\u001b[A', '\u0003', 'x\u001d');
    expect(typed.effects).toEqual(['q', '\u001b[A', '\u0003', 'x'].map((data) => ({ kind: 'send-input', id: 'a', data })));
    expect(typed.ui).toMatchObject({ attached: undefined, feedback: { ok: true, text: 'detached from a' } });
    ui = keys(ui, two, 'z').ui;
    const failed: Action = { type: 'result', effect: { kind: 'send-input', id: 'a', data: 'z' }, result: { ok: false, reason: 'no-terminal', id: 'a' } };
    expect(reduce(ui, failed, two).ui).toMatchObject({ attached: undefined, feedback: { ok: false, text: 'a runs without a terminal; it takes no input — detached' } });
  });

  it('quits after asking while agents run; the stop key again forces it', () => {
    const asked = keys(initialUi(), two, 'q');
    expect(asked.ui.overlay).toMatchObject({ kind: 'confirm', question: '1 task is running: stop it and quit? · y / n' });
    const yes = keys(asked.ui, two, 'y');
    expect(yes).toMatchObject({ ui: { quitting: true, feedback: { text: 'stopping 1 running task… ctrl+c again kills it now' } }, effects: [{ kind: 'quit', force: false }] });
    expect(keys(yes.ui, two, '\u0003').effects).toEqual([{ kind: 'quit', force: true }]);
    // Through any overlay: help, a prompt.
    expect(keys(initialUi(), two, '?', '\u0003').effects).toEqual([{ kind: 'quit', force: false }]);
    expect(keys(initialUi(), two, '/', 'a', '\u0003').effects).toEqual([{ kind: 'quit', force: false }]);
  });

  it('filters as it is typed; Enter keeps it, Esc clears it', () => {
    let { ui } = keys(initialUi(), two, '/', 'b', 'x', '\u007f');
    expect(ui).toMatchObject({ filter: 'b', overlay: { kind: 'prompt', purpose: 'filter', text: 'b' } });
    ({ ui } = keys(ui, two, '\r'));
    expect(ui).toMatchObject({ filter: 'b', overlay: { kind: 'none' }, feedback: { text: 'filter: b (1 task) — / then Esc clears it' } });
    expect(keys(ui, two, '/', '\u001b').ui).toMatchObject({ filter: '', feedback: { text: 'filter cleared' } });
    // Pasted in one chunk, before any frame shows the filter: the count is the filter's own.
    expect(keys(initialUi(), two, '/b\r').ui).toMatchObject({ filter: 'b', feedback: { text: 'filter: b (1 task) — / then Esc clears it' } });
  });

  it('settles on the run as it stands: a listed selection, detached from an agent that ended', () => {
    const ui = frozen({ ...initialUi(), selected: 'gone', attached: 'a' });
    const ended = snapshot({ a: { kind: 'completed', result: 'ok' }, b: pending });
    expect(settle(ui, { snapshot: ended, order: () => ['a', 'b'] })).toMatchObject({ selected: 'a', attached: undefined, feedback: { text: 'a is completed: detached' } });
    const same = initialUi();
    expect(settle(same, { snapshot: two.snapshot, order: () => [] })).toBe(same);
  });
});

describe('keys that do not apply say so', () => {
  it('v with no agent running says so and opens no empty split; with one running it splits', () => {
    const none = viewOf(snapshot({ a: pending, b: { kind: 'completed', result: 'ok' } }));
    const refused = keys(initialUi(), none, 'v');
    expect(refused.ui.split).toBe(false);
    expect(refused.ui.feedback).toEqual({ ok: false, text: 'no agent is running: the split view shows running agents (up to four)' });
    const split = keys(initialUi(), two, 'v');
    expect(split.ui).toMatchObject({ split: true, feedback: { ok: true, text: 'split view: 1 running agent (up to four)' } });
    // Closing it always works, running agents or not.
    expect(keys(split.ui, none, 'v').ui).toMatchObject({ split: false, feedback: { ok: true, text: 'split view off' } });
  });

  it("D on a task that is not interactive: the engine's refusal is told in the footer, not dropped", () => {
    const { ui, effects } = keys(initialUi(), two, 'D');
    expect(effects).toEqual([{ kind: 'mark-done', id: 'a' }]);
    const told = reduce(ui, { type: 'result', effect: { kind: 'mark-done', id: 'a' }, result: { ok: false, reason: 'not-interactive', id: 'a' } }, two);
    expect(told.ui.feedback).toEqual({ ok: false, text: expect.stringContaining('applies only to interactive tasks') });
  });
});

describe('the dashboard\'s words for command results', () => {
  const cases: Array<[EngineCommand, CommandResult, string]> = [
    ['pause', { ok: true, did: 'paused', id: 'a', from: 'running' }, 'paused a (its processes are stopped)'],
    ['pause', { ok: true, did: 'paused', id: 'a', from: 'pending' }, 'paused a: it will not start until resumed'],
    ['pause', { ok: false, reason: 'already', id: 'a', state: 'paused' }, 'a is already paused'],
    ['pause', { ok: false, reason: 'waiting-lock', id: 'a', file: '/w/x.ts' }, 'a is waiting for a lock on /w/x.ts; cancel it instead'],
    ['pause', { ok: false, reason: 'starting', id: 'a' }, 'a is starting; try again in a moment'],
    ['resume', { ok: false, reason: 'wrong-state', id: 'a', state: 'running' }, 'a is not paused (it is running)'],
    ['retry', { ok: true, did: 'retrying', id: 'a', attempt: 2 }, 'retrying a (attempt 2)'],
    ['retry', { ok: true, did: 'started-past-breaker', id: 'a', provider: 'shell' }, "starting a now, past the open circuit breaker of provider 'shell'"],
    ['retry', { ok: false, reason: 'unknown-task', id: 'x' }, "no task 'x' in this run"],
    ['retry', { ok: false, reason: 'shutting-down' }, 'the run is shutting down'],
    ['skip', { ok: true, did: 'stopping', id: 'a' }, 'skipping a: stopping it'],
    ['skip', { ok: false, reason: 'already', id: 'a', state: 'completed' }, 'a is already completed'],
    ['cancel', { ok: true, did: 'stopping', id: 'a' }, 'cancelling a: stopping its processes'],
    ['cancel', { ok: false, reason: 'already', id: 'a', state: 'cancelled' }, 'a has already ended (cancelled)'],
    ['mark-done', { ok: false, reason: 'wrong-state', id: 'b', state: 'pending' }, 'b is pending; only a running task can be marked done'],
    ['mark-done', { ok: false, reason: 'starting', id: 'a' }, 'a cannot be marked done (it is still starting)'],
    ['mark-done', { ok: false, reason: 'not-interactive', id: 'a' }, 'a is not an interactive task: marking done applies only to interactive tasks (its agent ends on its own)'],
    ['send-input', { ok: false, reason: 'stopped', id: 'a' }, 'a is paused; resume it to type into it'],
    ['pause-run', { ok: true, did: 'run-paused' }, 'run paused: no new task will start; running tasks go on'],
    ['resume-run', { ok: false, reason: 'run-not-paused' }, 'the run is not paused'],
  ];
  it.each(cases)('%s %j → %s', (command, result, words) => {
    expect(commandWords(command, result)).toBe(words);
  });

  const whilePaused: Array<[EngineCommand, CommandResult, string]> = [
    ['retry', { ok: true, did: 'retrying', id: 'a', attempt: 2 }, 'retrying a (attempt 2): the run is paused, it starts when the run resumes'],
    ['retry', { ok: true, did: 'retrying-now', id: 'a' }, 'a will not wait out its backoff: the run is paused, it starts when the run resumes'],
    ['retry', { ok: true, did: 'started-past-breaker', id: 'a', provider: 'shell' }, "a goes past the open circuit breaker of provider 'shell': the run is paused, it starts when the run resumes"],
    ['skip', { ok: true, did: 'skipped', id: 'a' }, 'skipped a'],
  ];
  it.each(whilePaused)('while the run is paused: %s %j → %s', (command, result, words) => {
    expect(commandWords(command, result, { paused: true })).toBe(words);
  });
});
