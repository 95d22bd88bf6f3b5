import { describe, expect, it } from '@jest/globals';
import type { RunSnapshot } from '../../src/scheduler/run-store.js';
import { STATE_KINDS } from '../../src/scheduler/states.js';
import { helpLayout } from '../../components/help.js';
import { GRAPH_MAX_TASKS } from '../../components/graph-layout.js';
import { DEFAULT_KEYMAP } from '../../components/keymap.js';
import { reduce } from '../../components/reducer/reduce.js';
import type { View } from '../../components/reducer/types.js';
import { initialUi } from '../../components/ui-state.js';
import type { UiState } from '../../components/ui-state.js';
import { task } from '../scheduler/harness.js';

/** Pending tasks with these dependencies, listed in this order. */
function viewOf(deps: Record<string, string[]>, filter: (id: string, text: string) => boolean = (id, text) => id.includes(text)): View {
  const tasks = Object.entries(deps).map(([id, dependsOn], order) => ({ spec: task(id, { dependsOn }), order, state: { kind: 'pending' as const }, attempts: 0 }));
  const counts = Object.fromEntries(STATE_KINDS.map((k) => [k, 0])) as RunSnapshot['counts'];
  const snapshot = { version: 1, plan: 'p', file: '/p.yaml', workspace: '/', concurrency: 4, startedAt: 0, paused: false, finished: false, tasks, counts, usage: {} } as unknown as RunSnapshot;
  const ids = tasks.map((t) => t.spec.id);
  return { snapshot, keymap: DEFAULT_KEYMAP, order: (text) => ids.filter((id) => filter(id, text)), listHeight: 10, paneRows: 10, paneLength: () => 0, help: helpLayout(DEFAULT_KEYMAP, 100, 25), search: () => [], listWidth: () => undefined, hit: () => ({ kind: 'none' }) };
}

/** What the terminal sends for the arrows. */
const RAW: Record<string, string> = { left: '\u001b[D', right: '\u001b[C' };

function press(ui: UiState, view: View, ...keys: string[]): UiState {
  for (const key of keys) ui = reduce(ui, { type: 'key', raw: RAW[key] ?? key }, view).ui;
  return ui;
}

const at = (selected: string): UiState => ({ ...initialUi(), selected });
// a → b, a → c, b → d, c → d, c → e (listed by level, as the DAG view lists them)
const diamond = viewOf({ a: [], b: ['a'], c: ['a'], d: ['b', 'c'], e: ['c'] });

describe('the graph keys', () => {
  it('t toggles the graph and says what the graph view does', () => {
    const on = reduce(initialUi(), { type: 'key', raw: 't' }, diamond).ui;
    expect(on.graph).toBe(true);
    expect(on.feedback).toEqual({ ok: true, text: expect.stringContaining('h/l follow an edge') });
    const off = reduce(on, { type: 'key', raw: 't' }, diamond).ui;
    expect(off).toMatchObject({ graph: false, feedback: { ok: true, text: 'list view: tasks by level' } });
  });

  it('t on a plan above the threshold says the list stays', () => {
    const big = viewOf(Object.fromEntries(Array.from({ length: GRAPH_MAX_TASKS + 1 }, (_, i) => [`t${i}`, []])));
    const ui = reduce(initialUi(), { type: 'command', id: 'graph' }, big).ui;
    expect(ui.feedback).toEqual({ ok: false, text: `graph view draws up to ${GRAPH_MAX_TASKS} tasks; this run has ${GRAPH_MAX_TASKS + 1}: the list by level stays` });
  });

  it.each<[string, string, string[], string, string]>([
    ['h from d goes to its nearest dependency above, naming the other', 'd', ['h'], 'c', 'dependency of d: c (also b)'],
    ['left from b goes to a', 'b', ['left'], 'a', 'dependency of b: a'],
    ['l from a goes to its nearest dependent below', 'a', ['l'], 'b', 'dependent of a: b (also c)'],
    ['right from c goes to d (e is further down)', 'c', ['right'], 'd', 'dependent of c: d (also e)'],
    ['h then l comes back along the same edge when it is the nearest', 'e', ['h', 'l'], 'd', 'dependent of c: d (also e)'],
    ['a root has no dependency: the selection stays', 'a', ['h'], 'a', 'a has no dependencies'],
    ['a leaf has no dependent: the selection stays', 'e', ['l'], 'e', 'e has no dependents'],
  ])('%s', (_what, from, keys, to, said) => {
    const ui = press({ ...at(from), graph: true }, diamond, ...keys);
    expect(ui.selected).toBe(to);
    expect(ui.feedback?.text).toBe(said);
  });

  it('follows only edges to listed tasks, and says so when the filter hides them all', () => {
    const view = viewOf({ a: [], b: ['a'], c: ['a'], d: ['b', 'c'], e: ['c'] }, (id, text) => !text || id !== text);
    // The filter hides c: d's nearest listed dependency is b.
    expect(press({ ...at('d'), filter: 'c' }, view, 'h')).toMatchObject({ selected: 'b', feedback: { text: 'dependency of d: b' } });
    const alone = press({ ...at('e'), filter: 'c' }, view, 'h');
    expect(alone).toMatchObject({ selected: 'e', feedback: { ok: false, text: 'every dependency of e is filtered out (c)' } });
  });

  it('moves along edges in the list view too, and j/k stay row-wise in the graph', () => {
    expect(press(at('d'), diamond, 'h').selected).toBe('c');
    expect(press({ ...at('b'), graph: true }, diamond, 'j', 'j').selected).toBe('d');
  });
});
