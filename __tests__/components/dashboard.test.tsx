import { afterEach, describe, expect, it } from '@jest/globals';
import { task } from '../scheduler/harness.js';
import { KEY, renderWithEngine } from './render-with-engine.js';

type Harness = ReturnType<typeof renderWithEngine>;
let h: Harness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

const diamond = () => [
  task('setup'),
  task('build-api', { dependsOn: ['setup'] }),
  task('build-ui', { dependsOn: ['setup'] }),
  task('test', { dependsOn: ['build-api', 'build-ui'] }),
];

describe('the dashboard on a real engine', () => {
  it('shows the header, levels, states and the selected task\'s relations', async () => {
    h = renderWithEngine(diamond());
    await h.until((f) => f.includes('running 1/4'), 'setup running');
    const f = h.frame();
    expect(f).toContain('dash');
    expect(f).toContain('0/4');
    expect(f).toContain('level 1 · 1 task');
    expect(f).toContain('level 2 · 2 tasks');
    expect(f).toContain('level 3 · 1 task');
    expect(f).toContain('needs nothing · unblocks build-api, b');
    h.backend.finish('setup');
    await h.until((f) => f.includes('✓ 1 completed') && f.includes('running 2/4'), 'both builds running');
    await h.press('j');
    await h.until((f) => f.includes('needs setup · unblocks test'), 'relations of build-api');
  });

  it('shows the run id in the header, and keeps every header line within a narrow terminal', async () => {
    h = renderWithEngine(diamond(), { runId: '20250101-120000-ab12' });
    await h.until((f) => f.includes('running 1/4'), 'setup running');
    expect(h.frame().split('\n').slice(0, 2).join('\n')).toContain('run 20250101-120000-ab12');
    await h.cleanup();
    h = renderWithEngine(diamond(), { runId: '20250101-120000-ab12', columns: 40 });
    await h.until((f) => f.includes('running 1/4') || f.includes('dash'), 'narrow header');
    for (const line of h.frame().split('\n')) expect([...line].length).toBeLessThanOrEqual(40);
  });

  it('moves tasks through states as the agents finish, and shows the result line at the end', async () => {
    h = renderWithEngine(diamond());
    await h.until((f) => f.includes('running 1/4'), 'setup running');
    h.backend.finish('setup');
    await h.until(() => h!.backend.live.length === 2, 'builds started');
    h.backend.finish('build-api', false);
    // The row's failure text is cut to the room its duration leaves: assert the state and the row's glyph instead.
    await h.until((f) => f.includes('✗ 1 failed') && /✗ build-api/.test(f), 'build-api failed');
    expect(h.engine.store.require('build-api').state).toEqual({ kind: 'failed', reason: 'build-api broke' });
    h.backend.finish('build-ui');
    await h.until((f) => f.includes('⊘ 1 blocked') && f.includes('run failed: 4 tasks'), 'test blocked, run over');
    expect(h.frame()).toContain('q quits');
  });

  it('pauses and resumes the run and a task, and says why when an action does not apply', async () => {
    h = renderWithEngine([task('a'), task('b', { dependsOn: ['a'] })]);
    await h.until((f) => f.includes('running 1/4'), 'a running');
    await h.press('P');
    await h.until((f) => f.includes('PAUSED') && f.includes('run paused'), 'run paused');
    await h.press('P');
    await h.until((f) => !f.includes('PAUSED') && f.includes('run resumed'), 'run resumed');
    await h.press('p');
    await h.until((f) => f.includes('paused a (its processes are stopped)'), 'a paused');
    expect(h.engine.store.require('a').state.kind).toBe('paused');
    await h.press('p');
    await h.until((f) => f.includes('resumed a'), 'a resumed');
    await h.press('r');
    await h.until((f) => f.includes('a is running; only failed, cancelled or blocked tasks can be retried'), 'retry refused');
    await h.press('j', 'i');
    await h.until((f) => f.includes('b is pending; only a running task takes input'), 'attach refused');
    await h.press('Q');
    await h.until((f) => f.includes("'Q' does nothing here"), 'unknown key');
  });

  it('cancels only after confirmation, retries, and skips', async () => {
    h = renderWithEngine([task('a'), task('b', { dependsOn: ['a'] })]);
    await h.until((f) => f.includes('running 1/4'), 'a running');
    await h.press('x');
    await h.until((f) => f.includes('cancel a (running)?'), 'confirmation asked');
    await h.press('n');
    await h.until((f) => f.includes('kept a'), 'kept');
    expect(h.engine.store.require('a').state.kind).toBe('running');
    await h.press('x', 'y');
    await h.until((f) => f.includes('■ 1 cancelled') && f.includes('⊘ 1 blocked'), 'a cancelled, b blocked');
    await h.press('r');
    await h.until((f) => f.includes('retrying a (attempt 2)') && f.includes('running 1/4'), 'a retried');
    await h.press('s');
    await h.until((f) => f.includes('skipping a') && f.includes('↷ 1 skipped'), 'a skipped');
    await h.until(() => h!.backend.live.includes('b'), 'b started');
  });

  it('filters by state and text, and jumps between failed tasks with n / N', async () => {
    h = renderWithEngine([task('one'), task('two'), task('three'), task('four')]);
    await h.until((f) => f.includes('running 4/4'), 'all running');
    h.backend.finish('two', false);
    h.backend.finish('four', false);
    await h.until((f) => f.includes('✗ 2 failed'), 'two failed');
    await h.press('n');
    await h.until((f) => f.includes('failed: two (1/2)'), 'next failed');
    await h.press('n');
    await h.until((f) => f.includes('failed: four (2/2)'), 'next failed again');
    await h.press('N');
    await h.until((f) => f.includes('failed: two (1/2)'), 'previous failed');
    await h.press('/', ...'state:failed', KEY.enter);
    await h.until((f) => f.includes('filter: state:failed (2 tasks)') && !f.includes(' one ') && !f.includes('three'), 'filtered');
    await h.press('/', KEY.escape);
    await h.until((f) => f.includes('filter cleared') && f.includes('three'), 'filter cleared');
    await h.press('/', ...'thr', KEY.enter);
    await h.until((f) => f.includes('filter: thr (1 task)') && !f.includes('four'), 'text filter');
  });

  it('opens help generated from the keymap, and closes it with Esc or ?', async () => {
    h = renderWithEngine([task('a')]);
    await h.until((f) => f.includes('running 1/4'), 'a running');
    await h.press('?');
    await h.until((f) => f.includes('keys — Esc, ? or q closes'), 'help open');
    await h.press('p');
    await h.until((f) => f.includes('help is open'), 'help keeps keys');
    expect(h.engine.store.require('a').state.kind).toBe('running');
    await h.press('?');
    await h.until((f) => !f.includes('keys — Esc'), 'help closed');
    await h.press('?');
    await h.until((f) => f.includes('keys — Esc'), 'help open again');
    await h.press(KEY.escape);
    await h.until((f) => !f.includes('keys — Esc'), 'help closed by Esc');
  });

  it('scrolls the help with the pane keys when the terminal is too small for it', async () => {
    h = renderWithEngine([task('a')], { columns: 80, rows: 20 });
    await h.until((f) => f.includes('running 1/4'), 'a running');
    await h.press('?');
    await h.until((f) => f.includes('keys — Esc') && /rows 1–\d+ of/.test(f), 'help open at the top');
    await h.press('G');
    await h.until((f) => f.includes('detach; every other key goes to the agent'), 'help scrolled to the end');
    await h.press('k');
    await h.until((f) => !f.includes('detach; every other key'), 'a row back');
    expect(h.engine.store.require('a').state.kind).toBe('running');
    await h.press(KEY.escape);
    await h.until((f) => !f.includes('keys — Esc'), 'help closed');
  });

  it('attaches to a running agent: keys go to its terminal until ctrl+]', async () => {
    h = renderWithEngine([task('a')]);
    await h.until((f) => f.includes('running 1/4'), 'a running');
    await h.press('i');
    await h.until((f) => f.includes('ATTACHED') && f.includes('attached to a'), 'attached');
    await h.press('q', 'x', KEY.ctrlC, KEY.detach);
    await h.until((f) => f.includes('detached from a'), 'detached');
    expect(h.backend.typed.get('a')).toBe('qx\u0003');
    expect(h.engine.store.require('a').state.kind).toBe('running');
  });

  it('quits after asking while tasks run, and stops every agent', async () => {
    h = renderWithEngine([task('a'), task('b')]);
    await h.until((f) => f.includes('running 2/4'), 'both running');
    await h.press('q');
    await h.until((f) => f.includes('2 tasks are running: stop them and quit?'), 'asked');
    await h.press('y');
    const summary = await h.done;
    expect(summary.interrupted).toBe('SIGINT');
    expect(h.backend.live).toEqual([]);
    expect(h.engine.store.require('a').state.kind).toBe('cancelled');
    // The last frame says interrupted, for the run and its tasks: never failed, never cancelled.
    await h.until((f) => f.includes('run interrupted by SIGINT: 2 tasks (2 interrupted)') && f.includes('□ 2 interrupted') && f.includes('INTERRUPTED (SIGINT)'), 'interrupted shown');
    expect(h.frame()).not.toMatch(/run failed|cancelled/);
  });

  it('tells a soft failure from a hard one (glyph, colour, words), and a cost nobody reported as -', async () => {
    h = renderWithEngine([task('soft', { failureMode: 'soft' }), task('hard'), task('after', { dependsOn: ['soft'] })]);
    await h.until((f) => f.includes('running 2/4'), 'soft and hard running');
    h.engine.store.report('soft', { usage: { inputTokens: 1200, outputTokens: 300 } });
    h.backend.finish('soft', false);
    await h.until((f) => f.includes('! 1 failed (soft)') && /! soft /.test(f), 'soft failure shown as soft');
    expect(h.frame()).not.toContain('✗');
    // Tokens were reported, a cost was not: the header says -, not $0.00.
    expect(h.frame()).toMatch(/1\.5k tok -/);
    expect(h.frame()).not.toContain('$0.00');
    h.backend.finish('hard', false);
    await h.until((f) => f.includes('✗ 1 failed') && /✗ hard /.test(f), 'hard failure shown as hard');
    await h.until(() => h!.backend.live.includes('after'), 'a soft failure lets its dependent run');
    h.backend.finish('after');
    await h.until((f) => f.includes('run failed: 3 tasks (1 completed, 1 failed, 1 failed (soft))'), 'result line tells both apart');
  });

  it('shows spend against the budget in the header, and says when the budget stopped the run', async () => {
    h = renderWithEngine([task('a'), task('b')], { concurrency: 1, budget: { usd: 1 } });
    await h.until((f) => f.includes('running 1/1'), 'a running');
    h.engine.store.report('a', { usage: { inputTokens: 1000, outputTokens: 200, costUsd: 0.42 } });
    await h.until((f) => f.includes('budget $0.42 of $1.00'), 'spend against the budget');
    h.engine.store.report('a', { usage: { costUsd: 0.8 } });
    h.backend.finish('a');
    const summary = await h.done;
    expect(summary.budget).toEqual({ unit: 'usd', limit: 1, spent: 1.22 });
    expect(h.engine.store.require('b').state.kind).toBe('eligible');
    await h.until((f) => f.includes('OVER BUDGET: budget of $1.00 spent ($1.22)'), 'over budget shown');
    expect(h.frame()).toContain('run stopped (budget of $1.00 spent ($1.22)): 2 tasks');
  });

  it('scrolls a 1,000-task plan with the selection in view, rendering only the window', async () => {
    const tasks = Array.from({ length: 1000 }, (_, i) => task(`t${String(i).padStart(4, '0')}`, i ? { dependsOn: [`t${String(i - 1).padStart(4, '0')}`] } : {}));
    h = renderWithEngine(tasks, { rows: 30 });
    await h.until((f) => f.includes('tasks 1/1000'), 'first selected');
    expect(h.frame().split('\n').length).toBeLessThanOrEqual(29);
    await h.press('G');
    await h.until((f) => f.includes('tasks 1000/1000') && f.includes('t0999') && !f.includes('t0000'), 'last in view');
    await h.press(KEY.pageUp);
    await h.until((f) => /tasks 9\d\d\/1000/.test(f), 'a page up');
    const f = h.frame();
    const shown = (f.match(/t0\d{3}/g) ?? []).length;
    expect(shown).toBeLessThan(30);
    await h.press('g');
    await h.until((f) => f.includes('tasks 1/1000') && f.includes('t0000'), 'back to the first');
  });

  it('lays out in one column under 80 columns, toggling the pane', async () => {
    h = renderWithEngine([task('a')], { columns: 60, rows: 20 });
    await h.until((f) => f.includes('running 1/1') || f.includes('running 1/4'), 'a running');
    h.backend.print('a', 'hello from a\r\n');
    expect(h.frame()).toContain('level 1');
    await h.press(KEY.tab);
    await h.until((f) => f.includes('hello from a') && !f.includes('level 1'), 'pane instead of the list');
    await h.press(KEY.tab);
    await h.until((f) => f.includes('level 1'), 'list again');
    for (const line of h.frame().split('\n')) expect(line.length).toBeLessThanOrEqual(60);
  });
});
