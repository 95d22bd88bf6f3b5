import { describe, expect, it } from '@jest/globals';
import { ScreenText } from '../../src/agents/screen-text.js';

/** The lines a ScreenText gives out for `chunks` written to a cols×rows terminal. */
async function render(chunks: string[], cols = 40, rows = 6): Promise<string[]> {
  const out: string[] = [];
  const text = new ScreenText(cols, rows, (lines) => out.push(...lines));
  for (const chunk of chunks) text.write(chunk);
  await text.finish();
  return out;
}

describe('ScreenText', () => {
  it('reads spaces drawn as cursor moves as spaces, colours as nothing', async () => {
    expect(await render(['\x1b[31mFailed\x1b[1Cto\x1b[1Cconnect\x1b[1Cto\x1b[1Capi\x1b[0m\r\n'])).toEqual(['Failed to connect to api']);
  });

  it('gives a line redrawn in place with \\r once, as it was last drawn', async () => {
    const spinner = Array.from({ length: 50 }, (_, i) => `\r\x1b[2K${'⠋⠙⠹'[i % 3]} working ${i}`);
    expect(await render([...spinner, '\r\x1b[2Kdone\r\n', 'next\r\n'])).toEqual(['done', 'next']);
  });

  it('gives lines as they scroll off, in order, each once, then the final screen', async () => {
    const lines = Array.from({ length: 3000 }, (_, i) => `line ${i}\r\n`);
    expect(await render([lines.join(''), 'prompt> '])).toEqual([...lines.map((l) => l.trimEnd()), 'prompt>']);
  });

  it('joins a line the terminal wrapped', async () => {
    expect(await render([`${'x'.repeat(100)}\r\n`, 'end'], 40)).toEqual(['x'.repeat(100), 'end']);
  });

  it('gives the alternate screen as it was when left, and the final screen', async () => {
    const alt = ['before\r\n', '\x1b[?1049h\x1b[H\x1b[2J', 'frame 1', '\x1b[H\x1b[2Jframe 2\x1b[3;1H\x1b[1mError: denied\x1b[0m', '\x1b[?1049l', 'after\r\n'];
    expect(await render(alt)).toEqual(['before', 'frame 2', '', 'Error: denied', 'after']);
  });

  it('gives a program still on the alternate screen at the end its last screen', async () => {
    expect(await render(['\x1b[?1049h\x1b[Hhello\x1b[2;1Hworld'])).toEqual(['hello', 'world']);
  });

  it('collapses runs of blank lines', async () => {
    expect(await render(['a\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\nb\r\n'])).toEqual(['a', '', 'b']);
  });

  it('stays bounded when output comes faster than it is parsed: it skips ahead and says so', async () => {
    const out: string[] = [];
    const text = new ScreenText(40, 6, (lines) => out.push(...lines));
    const chunk = 'x'.repeat(1022) + '\r\n';
    // 12 MB in one turn: the parser gets no chance to keep up.
    for (let i = 0; i < 12 * 1024; i++) text.write(chunk);
    text.write('the last line\r\n');
    await text.finish();
    expect(out.some((l) => /^\[\d+ KB of terminal output not rendered: it came faster than it could be read\]$/.test(l))).toBe(true);
    expect(out.length).toBeLessThan(6 * 1024);
    expect(out.at(-1)).toBe('the last line');
  });
});
