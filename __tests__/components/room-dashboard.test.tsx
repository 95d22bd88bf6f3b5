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

/** A left click at the 0-based cell (x, y), as a terminal in SGR mouse mode reports it. */
const click = (x: number, y: number) => `\u001b[<0;${x + 1};${y + 1}M\u001b[<0;${x + 1};${y + 1}m`;
const wheelUp = (x: number, y: number) => `\u001b[<64;${x + 1};${y + 1}M`;

// 100 × 30: the header takes rows 0–1; the list's border row 2, its title row 3, the level heading row 4, then tasks.
describe('the mouse in the dashboard', () => {
  it('a click on a task row selects it, on the pane focuses it; the wheel scrolls the pane', async () => {
    h = renderWithEngine([task('a'), task('b'), task('c')], { terminals: createTerminals({ scrollback: 200 }) });
    await h.until((f) => f.includes('running 3/4'), 'all running');
    await h.press(click(5, 7));
    await h.until((f) => f.includes('selected c') && f.includes('c · running'), 'c selected by the click');
    let text = '';
    for (let i = 1; i <= 60; i++) text += `c line ${i}\r\n`;
    h.backend.print('c', text);
    await h.until((f) => f.includes('c line 60'), 'c following');
    await h.press(click(60, 10));
    await h.until((f) => f.includes('pane of c focused'), 'pane focused by the click');
    await h.press(wheelUp(60, 10), wheelUp(60, 10));
    await h.until((f) => f.includes('scrolled: line') && !f.includes('c line 60'), 'scrolled back by the wheel');
  });

  it('never types a click into an attached agent', async () => {
    h = renderWithEngine([task('a')], { terminals: createTerminals({ scrollback: 200 }) });
    await h.until((f) => f.includes('running 1/4'), 'a running');
    await h.press('i');
    await h.until((f) => f.includes('ATTACHED'), 'attached');
    await h.press(click(5, 5), wheelUp(60, 10), 'x', click(60, 10));
    await h.until(() => h!.backend.typed.get('a') === 'x', 'only the key typed');
    expect(h.backend.typed.get('a')).toBe('x');
  });
});

describe('search counts in the pane', () => {
  it('follow output that arrives after the search', async () => {
    h = renderWithEngine([task('a')], { terminals: createTerminals({ scrollback: 200 }) });
    await h.until((f) => f.includes('running 1/4'), 'a running');
    h.backend.print('a', 'one needle\r\ntwo\r\nthree needle\r\n');
    await h.until((f) => f.includes('three needle'), 'output shown');
    await h.press(KEY.tab, '/', ...'needle', KEY.enter);
    await h.until((f) => f.includes('/needle 2/2'), 'two matches');
    h.backend.print('a', 'four needle\r\nfive needle\r\n');
    await h.until((f) => f.includes('/needle 2/4'), 'the count grew with the new output; the shown match is still the second');
    // n moves among the matches as they now are: back from the second is the first.
    await h.press('n');
    await h.until((f) => f.includes("match 1/4 for 'needle'") && f.includes('/needle 1/4'), 'jumped within the fresh matches');
    await h.press('N', 'N', 'N');
    await h.until((f) => f.includes("match 4/4 for 'needle'") && f.includes('five needle'), 'reaches the newest');
  });
});

describe('o, the pager', () => {
  it('says why when there is no transcript to show, and keeps the keys', async () => {
    const shown: string[] = [];
    h = renderWithEngine([task('a')], {
      pager: async (write) => {
        const chunks: string[] = [];
        const { Writable } = await import('node:stream');
        await write(new Writable({ write: (c: Buffer, _e, done) => (chunks.push(String(c)), done()) }));
        shown.push(chunks.join(''));
        return { ok: true };
      },
    });
    await h.until((f) => f.includes('running 1/4'), 'a running');
    // Not recorded (no run id): nothing to page, and the dashboard keeps the keys.
    await h.press('o');
    await h.until((f) => f.includes('could not show the transcript of a: this run is not recorded'), 'said why');
    expect(shown).toEqual([]);
    await h.press('?');
    await h.until((f) => f.includes('closes it') && !f.includes('could not show'), 'keys work again: the help opened');
  });
});
