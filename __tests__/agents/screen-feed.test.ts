import { describe, expect, it } from '@jest/globals';
import { tmpdir } from 'node:os';
import { cutPoint, ParseBudget, ScreenBacklog } from '../../src/agents/screen-feed.js';
import { startSession } from '../../src/agents/session.js';
import { XtermScreen } from '../../src/agents/xterm-screen.js';
import type { StyledLine } from '../../src/agents/screen.js';

const text = (line: StyledLine | undefined): string => (line ?? []).map((r) => r.text).join('');
const numbered = (from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => `line ${from + i}`);

describe('ScreenBacklog', () => {
  it('hands out batches in order, splitting only a chunk bigger than two batches', () => {
    const backlog = new ScreenBacklog(1_000_000);
    for (const piece of ['ab', 'cdef', 'g', 'h'.repeat(25)]) backlog.push(piece);
    expect(backlog.take(5)).toBe('ab'); // 'cdef' as well would pass 5: stop before it
    expect(backlog.take(5)).toBe('cdefg');
    expect(backlog.take(10)).toBe('h'.repeat(10)); // 25 > 2 × 10: split
    expect(backlog.chars).toBe(15);
    expect(backlog.take(100)).toBe('h'.repeat(15));
    expect(backlog.take(100)).toBe('');
  });

  it('never splits a surrogate pair', () => {
    const backlog = new ScreenBacklog(1_000_000);
    backlog.push('a😀'.repeat(10)); // 30 UTF-16 units
    let all = '';
    for (let piece = backlog.take(4); piece !== ''; piece = backlog.take(4)) {
      expect(piece).not.toMatch(/^[\udc00-\udfff]|[\ud800-\udbff]$/);
      all += piece;
    }
    expect(all).toBe('a😀'.repeat(10));
  });

  it('cuts only past highChars, keeping the last lines from a line start', () => {
    const backlog = new ScreenBacklog(1000);
    const lines = numbered(1, 200).map((l) => `${l}\n`).join('');
    backlog.push(lines.slice(0, 900));
    expect(backlog.cutIfBehind({ lines: 10, chars: 10_000 })).toBe(0);
    backlog.push(lines.slice(900));
    const dropped = backlog.cutIfBehind({ lines: 10, chars: 10_000 });
    const kept = backlog.take(1_000_000);
    expect(dropped + kept.length).toBe(lines.length);
    expect(kept).toBe(numbered(191, 200).map((l) => `${l}\n`).join(''));
  });
});

describe('cutPoint', () => {
  it('keeps whole lines within the character cap', () => {
    const s = 'aaaa\nbbbb\ncccc\ndddd';
    expect(s.slice(cutPoint(s, 2, 100))).toBe('cccc\ndddd');
    expect(s.slice(cutPoint(s, 9, 100))).toBe(s);
    expect(s.slice(cutPoint(s, 9, 7))).toBe('dddd'); // the cap wins; move on to the next line start
  });

  it('in one endless line, starts at an escape sequence instead of inside it, and never inside a surrogate pair', () => {
    const s = `${'x'.repeat(50)}\x1b[38;5;200m${'y'.repeat(20)}`;
    expect(s.slice(cutPoint(s, 5, 25))).toBe(`\x1b[38;5;200m${'y'.repeat(20)}`);
    const emoji = '😀'.repeat(20);
    expect(emoji.slice(cutPoint(emoji, 5, 11))).toBe('😀'.repeat(5));
  });
});

describe('ParseBudget', () => {
  it('lets a burst through, then asks for a wait in proportion to the time spent', () => {
    const budget = new ParseBudget(0.25, 20);
    expect(budget.waitMs()).toBe(0);
    budget.spend(30);
    // 10 ms over at a quarter of the thread: about 40 ms to earn it back.
    const wait = budget.waitMs();
    expect(wait).toBeGreaterThan(30);
    expect(wait).toBeLessThanOrEqual(40);
  });
});

describe('XtermScreen under a flood', () => {
  it('skips ahead when far behind: bounded, marked where the gap is, the end exact', async () => {
    {
      const scrollback = 200;
      const screen = new XtermScreen(120, 10, scrollback);
      screen.onChange(() => {}); // shown: a screen nobody shows is not parsed at all
      // 60 MB in one synchronous burst: bare xterm throws past 50 MB ("write data discarded").
      const count = 600_000;
      const block = 10_000;
      const line = (n: number): string => `line ${n}`.padEnd(99, '.');
      for (let i = 1; i <= count; i += block) {
        screen.write(Array.from({ length: block }, (_, k) => `${line(i + k)}\n`).join(''));
      }
      await screen.parsed();
      expect(screen.skippedChars).toBeGreaterThan(50_000_000);
      expect(screen.length).toBe(scrollback + 10);
      const rows = screen.lines(0, screen.length).map(text);
      // One marker, the oldest line; after it the last lines in order, as a full parse shows them.
      expect(rows.filter((l) => l.includes('of output not drawn'))).toHaveLength(1);
      expect(rows[0]).toMatch(/^ … \d+\.\d MB of output not drawn \(it came faster than the screen draws; `orchestrator logs` has all of it(, \d+\.\d MB in all)?\) … $/);
      const after = rows.slice(1).filter((l) => l !== '');
      expect(after.length).toBeGreaterThan(scrollback);
      expect(after).toEqual(Array.from({ length: after.length }, (_, k) => line(count - after.length + 1 + k)));
      screen.close();
    }
  }, 30_000);

  it('skips nothing when output comes at a pace it can parse', async () => {
    const screen = new XtermScreen(80, 10, 100);
    for (let i = 1; i <= 50; i++) {
      screen.write(numbered(1, 2000).map((l) => `${i} ${l}\r\n`).join(''));
      await screen.parsed(); // the pace it can parse: the next block comes once this one is drawn
    }
    await screen.parsed();
    expect(screen.skippedChars).toBe(0);
    expect(text(screen.visible()[8])).toBe('50 line 2000');
    screen.close();
  });

  it('a pty flood of 3,000,000 numbered lines ends on the screen exactly as in a terminal', async () => {
    const screen = new XtermScreen(80, 24, 1000);
    const session = startSession({
      argv: ['/bin/sh', '-c', 'seq 1 3000000 | cat'], mode: 'pty', cwd: tmpdir(), cols: 80, rows: 24, killGraceMs: 1000,
      onData: (chunk) => screen.write(chunk),
    });
    expect(await session.exited).toEqual({ code: 0, signal: null });
    await screen.parsed();
    const rows = screen.lines(0, screen.length).map(text);
    expect(rows.at(-1)).toBe(''); // the cursor's line, after the last \r\n
    // What the screen skipped (it may, depending on load) is a marker line where the gap is, if the
    // gap is still in the buffer; after it, the end of the output in order, every line whole.
    const marker = rows.findLastIndex((l) => l.includes('of output not drawn'));
    if (screen.skippedChars === 0) expect(marker).toBe(-1);
    const body = rows.slice(marker + 1, -1);
    expect(body.length).toBeGreaterThan(marker >= 0 ? 0 : 1000);
    expect(body).toEqual(Array.from({ length: body.length }, (_, k) => String(3_000_000 - body.length + 1 + k)));
    for (const line of rows.slice(0, Math.max(0, marker))) expect(line).toMatch(/^\d+$/);
    screen.close();
  }, 30_000);
});
