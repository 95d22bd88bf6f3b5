import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XtermScreen } from '../../src/agents/xterm-screen.js';
import { safeFileName } from '../../src/os/file-name.js';
import { Transcript } from '../../src/agents/transcript.js';
import type { StyledLine } from '../../src/agents/screen.js';

const text = (line: StyledLine | undefined): string => (line ?? []).map((r) => r.text).join('');

describe('XtermScreen', () => {
  it('parses colours and attributes into styled runs', async () => {
    const screen = new XtermScreen(40, 5, 100);
    screen.write('\x1b[1;31mred\x1b[0m \x1b[38;2;1;2;255mtrue\x1b[0m \x1b[2;3;4;7;48;5;200mall\x1b[0m plain\r\n');
    await screen.parsed();
    expect(screen.visible()[0]).toEqual([
      { text: 'red', fg: 1, bold: true },
      { text: ' ' },
      { text: 'true', fg: '#0102ff' },
      { text: ' ' },
      { text: 'all', bg: 200, dim: true, italic: true, underline: true, inverse: true },
      { text: ' plain' },
    ]);
    screen.close();
  });

  it('renders a progress bar drawn with \\r as one line', async () => {
    const screen = new XtermScreen(40, 5, 100);
    for (let i = 0; i <= 100; i += 10) screen.write(`\r[${'#'.repeat(i / 10).padEnd(10, '.')}] ${i}%`);
    screen.write('\r\ndone\r\n');
    await screen.parsed();
    expect(screen.visible().map(text).slice(0, 3)).toEqual(['[##########] 100%', 'done', '']);
    screen.close();
  });

  it('redraws a \\r progress bar in place across resizes (a split, a zoom, a smaller window), never stacking it', async () => {
    const screen = new XtermScreen(58, 22, 100);
    screen.write('start\n');
    let n = 0;
    // The split's quarter, the whole screen, a two-row pane, back: after each, the bar keeps redrawing its own line.
    for (const [cols, rows] of [[58, 22], [28, 9], [98, 22], [20, 2], [58, 22]] as const) {
      screen.resize(cols, rows);
      for (let i = 0; i < 3; i++) screen.write(`\r${n++}%`);
      // One drawn exactly as wide as the terminal too: the cursor waits at the edge, not on the next line.
      screen.write(`\r${'#'.repeat(cols)}`);
      screen.write(`\r${n++}%`);
      await screen.parsed();
      const all = screen.lines(0, screen.length).map(text).filter((l) => l !== '');
      expect(all).toEqual(['start', `${n - 1}%${'#'.repeat(cols).slice(String(n - 1).length + 1)}`]);
    }
    screen.close();
  });

  it('starts each line of pipe output (bare \\n) at column 0, as a terminal would', async () => {
    const screen = new XtermScreen(40, 5, 100);
    screen.write('building\nready\n');
    await screen.parsed();
    expect(screen.visible().map(text).slice(0, 2)).toEqual(['building', 'ready']);
    screen.close();
  });

  it('caps scrollback at N lines, keeping the newest', async () => {
    const screen = new XtermScreen(20, 5, 50);
    for (let i = 1; i <= 1000; i++) screen.write(`line ${i}\r\n`);
    await screen.parsed();
    expect(screen.length).toBe(55);
    expect(text(screen.lines(0, 1)[0])).toBe('line 947');
    expect(screen.visible().map(text)).toEqual(['line 997', 'line 998', 'line 999', 'line 1000', '']);
    expect(screen.lines(-5, 2).map(text)).toEqual(['line 947', 'line 948']);
    expect(screen.lines(54, 999)).toHaveLength(1);
    screen.close();
  });

  it('searches the buffer case-insensitively, oldest first', async () => {
    const screen = new XtermScreen(40, 5, 100);
    screen.write('alpha\r\nERROR: one\r\nbeta\r\nan error again\r\n');
    await screen.parsed();
    expect(screen.search('error')).toEqual([1, 3]);
    expect(screen.search('nothing')).toEqual([]);
    expect(screen.search('')).toEqual([]);
    screen.close();
  });

  it('resizes, re-wrapping, and tells listeners; version grows on each change', async () => {
    const screen = new XtermScreen(20, 5, 100);
    let calls = 0;
    const off = screen.onChange(() => calls++);
    const v0 = screen.version;
    screen.write('x'.repeat(30));
    await screen.parsed();
    expect(screen.version).toBeGreaterThan(v0);
    expect(screen.visible().map(text).slice(0, 2)).toEqual(['x'.repeat(20), 'x'.repeat(10)]);
    const before = calls;
    screen.resize(40, 10);
    expect([screen.cols, screen.rows]).toEqual([40, 10]);
    expect(calls).toBe(before + 1);
    expect(screen.visible()).toHaveLength(10);
    off();
    screen.write('more');
    await screen.parsed();
    expect(calls).toBe(before + 1);
    screen.close();
  });

  it('coalesces a burst of writes into few change notifications', async () => {
    const screen = new XtermScreen(80, 24, 100);
    let calls = 0;
    screen.onChange(() => calls++);
    for (let i = 0; i < 1000; i++) screen.write(`line ${i}\r\n`);
    await screen.parsed();
    expect(calls).toBeGreaterThan(0);
    expect(calls).toBeLessThan(100);
    screen.close();
  });
});

describe('Transcript', () => {
  it('writes a task\'s full output as plain text, appending across attempts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'orch-logs-'));
    try {
      const transcript = new Transcript(join(dir, 'logs'), 'task-1');
      const esc = '\x1b[1;32mgreen\x1b[0m and \x1b]0;title\x07text\r\n';
      // Split mid-escape and between \r and \n: the transcript must not care.
      for (const piece of [esc.slice(0, 3), esc.slice(3, 20), esc.slice(20, -1), esc.slice(-1)]) transcript.write(piece);
      for (let i = 1; i <= 500; i++) transcript.write(`row ${i}\r\n`);
      transcript.close();
      const again = new Transcript(join(dir, 'logs'), 'task-1');
      again.write('\x1b[31msecond attempt\x1b[0m\n');
      again.close();
      const log = readFileSync(join(dir, 'logs', 'task-1.log'), 'utf8');
      const rows = Array.from({ length: 500 }, (_, i) => `row ${i + 1}\n`).join('');
      expect(log).toBe(`green and text\n${rows}second attempt\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps a transcript inside its folder whatever the task id', () => {
    expect(safeFileName('build-1.a_b')).toBe('build-1.a_b');
    expect(safeFileName('../etc/passwd')).toBe('.._etc_passwd');
    expect(safeFileName('..')).toBe('_..');
    expect(safeFileName('')).toBe('_');
  });
});
