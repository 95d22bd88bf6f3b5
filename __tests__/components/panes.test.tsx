import { afterEach, describe, expect, it } from '@jest/globals';
import { createTerminals } from '../../src/agents/xterm-screen.js';
import { task } from '../scheduler/harness.js';
import { KEY, renderWithEngine } from './render-with-engine.js';

type Harness = ReturnType<typeof renderWithEngine>;
let h: Harness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

const terminals = () => createTerminals({ scrollback: 200 });

// 100 × 30: the frame is 29 rows, the body 25; the DAG view takes 40 columns, the pane 60.
// An agent's terminal in the single pane is 58 × 22 (border and title off).
const SINGLE = '58x22';

describe('a failed task in the pane', () => {
  it('enter shows its whole reason below the output, wrapped', async () => {
    h = renderWithEngine([task('a')], { terminals: terminals() });
    await h.until((f) => f.includes('running 1/4'), 'a running');
    h.backend.print('a', 'compiling\r\n');
    const tail = Array.from({ length: 6 }, (_, i) => `context line ${i}`);
    const long = `${'z'.repeat(70)}END-OF-LONG-LINE`;
    h.backend.scripted.finish('a', { ok: false, reason: ['exit code 1: Error: the real cause', ...tail, long].join('\n') });
    await h.until((f) => f.includes('exit code 1: Error: the real cause') && !f.includes('running 1/4'), 'a failed');
    await h.press(KEY.enter);
    // The pane (58 columns) wraps the 86-character line instead of cutting it at its border.
    await h.until((f) => f.includes('── failed ──') && tail.every((l) => f.includes(l)) && f.includes('END-OF-LONG-LINE'), 'the whole reason in the pane');
  });
});

describe('agent panes: split, zoom, search, mark done', () => {
  it('split view gives each shown agent a terminal the size of its quarter, and the single size back on leaving', async () => {
    const ids = ['one', 'two', 'three', 'four'];
    h = renderWithEngine(ids.map((id) => task(id)), { terminals: terminals() });
    await h.until((f) => f.includes('running 4/4'), 'all running');
    for (const id of ids) h.backend.print(id, `${id} says hello\r\n`);
    await h.until(() => ids.every((id) => h!.engine.screen(id)?.cols === 58 && h!.backend.size(id) === SINGLE), 'single-pane size');

    await h.press('v');
    // 60 × 25 split two by two: 30 × 12 over 30 × 13, each minus border and title.
    const quarters: Record<string, string> = { one: '28x9', two: '28x9', three: '28x10', four: '28x10' };
    await h.until(() => ids.every((id) => h!.backend.size(id) === quarters[id]), 'agents resized to their quarters');
    for (const id of ids) expect(`${h.engine.screen(id)!.cols}x${h.engine.screen(id)!.rows}`).toBe(quarters[id]);
    await h.until((f) => ids.every((id) => f.includes(`${id} says hello`)) && f.includes('split view: 4 running agents'), 'four panes');
    // A line longer than the quarter wraps inside it instead of being cut off at the border.
    h.backend.print('one', `${'a'.repeat(26)}WRAPPED-TAIL\r\n`);
    await h.until((f) => f.includes('PPED-TAIL'), 'the long line wrapped in its pane');

    await h.press('v');
    await h.until((f) => f.includes('split view off'), 'split off');
    await h.until(() => ids.every((id) => h!.backend.size(id) === SINGLE && h!.engine.screen(id)?.cols === 58), 'single size again');
  });

  it('zoom gives the selected agent the whole screen and its size, then gives both back', async () => {
    h = renderWithEngine([task('a'), task('b')], { terminals: terminals() });
    await h.until((f) => f.includes('running 2/4'), 'both running');
    h.backend.print('a', 'output of a\r\n');
    h.backend.print('b', 'output of b\r\n');
    await h.until(() => h!.backend.size('a') === SINGLE, 'single size');
    await h.press('z');
    await h.until((f) => f.includes('zoomed on a') && f.includes('output of a') && !f.includes('level 1'), 'zoomed frame');
    await h.until(() => h!.backend.size('a') === '98x22' && h!.engine.screen('a')?.cols === 98, 'a resized to the whole width');
    expect(h.backend.size('b')).toBe(SINGLE);
    await h.press('z');
    await h.until((f) => f.includes('zoom off') && f.includes('level 1'), 'unzoomed frame');
    await h.until(() => h!.backend.size('a') === SINGLE, 'a back to the single size');
  });

  it('searches the output from the focused pane: jumps to matches, marks them, says when there is none', async () => {
    h = renderWithEngine([task('a')], { terminals: terminals() });
    await h.until((f) => f.includes('running 1/4'), 'a running');
    let text = '';
    for (let i = 1; i <= 100; i++) text += `line ${i}${i === 10 || i === 60 ? ' needle' : ''}\r\n`;
    h.backend.print('a', text);
    await h.until((f) => f.includes('line 100'), 'following the end');
    await h.press(KEY.tab, '/', ...'needle', KEY.enter);
    await h.until((f) => f.includes("match 2/2 for 'needle' (line 60)") && f.includes('line 60 needle') && f.includes('/needle 2/2'), 'last match shown');
    await h.press('n');
    await h.until((f) => f.includes("match 1/2 for 'needle' (line 10)") && f.includes('line 10 needle') && !f.includes('line 100'), 'earlier match, scrolled back');
    await h.press('G');
    await h.until((f) => f.includes('following the output') && f.includes('line 100'), 'following again');
    await h.press('/', ...'zzz', KEY.enter);
    await h.until((f) => f.includes("no line of a contains 'zzz'"), 'no match');
    expect(h.engine.store.require('a').state.kind).toBe('running');
  });

  it('marks a running task done at the person\'s word, and says why a task of a role that is not interactive cannot be', async () => {
    h = renderWithEngine([task('a'), task('b', { dependsOn: ['a'] })]);
    await h.until((f) => f.includes('running 1/4'), 'a running');
    await h.press('j', 'D');
    await h.until((f) => f.includes('b is not an interactive task: marking done applies only to interactive tasks'), 'refused');
    await h.press('k', 'D');
    await h.until((f) => f.includes('marked a done') && f.includes('✓ 1 completed'), 'a done');
    const a = h.engine.store.require('a').state;
    expect(a.kind === 'completed' && a.result).toBe('marked done by you');
    await h.until(() => h!.backend.live.includes('b'), 'b started after a');
  });

  it('shows follow-up tasks in the DAG view as they spawn, with their relations', async () => {
    h = renderWithEngine([task('impl', { agent: 'coder' })], { columns: 160 });
    await h.until((f) => f.includes('running 1/4') && f.includes('unblocks nothing'), 'impl running alone');
    expect(h.frame()).not.toContain('impl-reviewer');
    h.backend.finish('impl');
    await h.until((f) => f.includes('impl-reviewer') && f.includes('level 2 · 1 task') && f.includes('unblocks impl-reviewer'), 'reviewer follow-up shown');
    await h.press('j');
    await h.until((f) => f.includes('needs impl · unblocks nothing · follow-up of impl'), 'follow-up relations');
    h.backend.finish('impl-reviewer');
    await h.until((f) => f.includes('impl-reviewer-tester') && f.includes('level 3 · 1 task'), 'tester follow-up shown');
  });
});
