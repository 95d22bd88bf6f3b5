import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from '@jest/globals';
import xterm from '@xterm/headless';
import { createElement } from 'react';
import { importOutsideCi } from '../../app/display.js';
import { LineDiffStdout, changedLines } from '../../components/line-diff-stdout.js';
import { task } from '../scheduler/harness.js';

// Ink reads CI once, at import, and then draws nothing until it unmounts: load it (and what imports it) outside CI.
const { ink, App, engineWith } = await importOutsideCi(async () => ({
  ink: await import('ink'),
  App: (await import('../../components/App.js')).App,
  engineWith: (await import('./render-with-engine.js')).engineWith,
}));

/** A terminal: what is written to it lands on an xterm screen (a tty turns \n into \r\n), bytes counted. */
class FakeTty extends Writable {
  readonly isTTY = true;
  readonly term: xterm.Terminal;
  bytes = 0;
  /** Writes that drew something (a frame, or lines of one), not a mode switch such as synchronized output. */
  draws = 0;
  constructor(
    public columns: number,
    public rows: number,
  ) {
    super({ decodeStrings: false });
    this.term = new xterm.Terminal({ cols: columns, rows, allowProposedApi: true, convertEol: true });
  }
  override _write(chunk: string, _enc: BufferEncoding, done: () => void) {
    this.bytes += Buffer.byteLength(chunk);
    // eslint-disable-next-line no-control-regex -- a terminal escape is what is matched
    if (!/^(?:\u001b\[\?\d+[hl])*$/.test(chunk)) this.draws++;
    this.term.write(chunk, done);
  }
  resize(columns: number, rows: number) {
    this.columns = columns;
    this.rows = rows;
    this.term.resize(columns, rows);
    this.emit('resize');
  }
  /** The visible rows, as text, once xterm has parsed everything written. */
  async screen(): Promise<string> {
    await new Promise<void>((r) => this.term.write('', r));
    const b = this.term.buffer.active;
    return Array.from({ length: this.term.rows }, (_, i) => b.getLine(b.viewportY + i)?.translateToString(true) ?? '').join('\n');
  }
}

const waitFor = async (test: () => Promise<boolean> | boolean, what: string, timeoutMs = 10_000) => {
  const end = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

let teardown: (() => Promise<void>) | undefined;
afterEach(async () => {
  await teardown?.();
  teardown = undefined;
});

/**
 * The dashboard as run-dashboard mounts it, on a fake terminal; beside it, a second terminal
 * gets Ink's writes untouched (whole frames), which is what the screen must look like.
 */
function mount(columns: number, rows: number) {
  const { engine, backend } = engineWith(['one', 'two', 'three', 'four'].map((id) => task(id)), { concurrency: 4 });
  const tty = new FakeTty(columns, rows);
  const whole = new FakeTty(columns, rows);
  const diffing = new LineDiffStdout(tty as unknown as NodeJS.WriteStream);
  const translate = diffing.translate.bind(diffing);
  diffing.translate = (data: string) => {
    whole.write(data);
    return translate(data);
  };
  const stdin = Object.assign(new Writable(), { isTTY: true, setRawMode() {}, setEncoding() {}, ref() {}, unref() {}, read: () => null });
  const instance = ink.render(createElement(App, { engine }), {
    stdout: diffing as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  void engine.run();
  teardown = async () => {
    instance.unmount();
    diffing.detach();
    await engine.shutdown('SIGTERM');
  };
  return { tty, whole, backend, resize: (c: number, r: number) => (whole.resize(c, r), tty.resize(c, r)) };
}

describe('the dashboard writes only what changed', () => {
  it('a spinner tick rewrites a few lines, not the screen, and the screen still shows the whole frame', async () => {
    const { tty, whole } = mount(160, 45);
    await waitFor(async () => (await tty.screen()).includes('running 4/4'), 'four running');
    const ticks = async (n: number) => {
      const [frames, mine, ink] = [whole.draws, tty.bytes, whole.bytes];
      // Each tick is one frame from Ink; nothing else happens to the run meanwhile.
      await waitFor(() => whole.draws >= frames + n, `${n} frames`);
      return { mine: tty.bytes - mine, ink: whole.bytes - ink };
    };
    await ticks(1);
    const { mine, ink: inks } = await ticks(4);
    const frame = await whole.screen();
    expect(inks).toBeGreaterThan(4 * frame.replace(/\s+$/gm, '').length * 0.9);
    // Four task rows and the clock at most, against 44 lines.
    expect(mine).toBeLessThan(inks / 4);
    expect(await tty.screen()).toBe(frame);
  });

  it('after the terminal shrinks and grows again, the screen shows the frame a whole redraw shows', async () => {
    const { tty, whole, resize } = mount(160, 45);
    await waitFor(async () => (await tty.screen()).includes('running 4/4'), 'four running');
    for (const [c, r] of [[120, 30], [160, 45], [160, 30], [100, 45]] as const) {
      resize(c, r);
      // Settled: both screens agree and show the header at the new width.
      await waitFor(async () => {
        const [mine, full] = [await tty.screen(), await whole.screen()];
        return mine === full && full.split('\n')[0]!.includes('running 4/4');
      }, `the frame at ${c}×${r}`);
      const before = whole.draws;
      await waitFor(() => whole.draws > before, 'a tick after the resize');
      expect(await tty.screen()).toBe(await whole.screen());
    }
  });
});

describe('LineDiffStdout.translate', () => {
  /** What Ink's standard renderer writes for `lines` after a frame of `before` lines. */
  const inkFrame = (before: number, lines: string[]) => `${before ? `${'\u001b[2K\u001b[1A'.repeat(before)}\u001b[2K\u001b[G` : ''}${lines.join('\n')}\n`;
  it('diffs a frame of the same height, and passes whole a frame wider than the terminal and the one after it', () => {
    const diffing = new LineDiffStdout(new FakeTty(20, 10) as unknown as NodeJS.WriteStream);
    const first = inkFrame(0, ['a', 'b', 'c']);
    expect(diffing.translate(first)).toBe(first);
    expect(diffing.translate(inkFrame(3, ['a', 'B', 'c']))).toBe(changedLines(['a', 'b', 'c'], ['a', 'B', 'c']));
    // Laid out at the old width after a resize: it wraps, so rows are no longer lines.
    const wide = inkFrame(3, ['a', 'x'.repeat(30), 'c']);
    expect(diffing.translate(wide)).toBe(wide);
    const after = inkFrame(3, ['a', 'b', 'c']);
    expect(diffing.translate(after)).toBe(after);
    expect(diffing.translate(inkFrame(3, ['A', 'b', 'c']))).toBe(changedLines(['a', 'b', 'c'], ['A', 'b', 'c']));
  });

  it('passes whole a frame of another height, and one after a resize', () => {
    const tty = new FakeTty(20, 10);
    const diffing = new LineDiffStdout(tty as unknown as NodeJS.WriteStream);
    diffing.translate(inkFrame(0, ['a', 'b']));
    const taller = inkFrame(2, ['a', 'b', 'c']);
    expect(diffing.translate(taller)).toBe(taller);
    tty.resize(30, 10);
    const same = inkFrame(3, ['a', 'b', 'c']);
    expect(diffing.translate(same)).toBe(same);
    expect(diffing.translate(inkFrame(3, ['a', 'b', 'c']))).toBe('');
    diffing.detach();
  });
});

describe('changedLines', () => {
  /** A terminal showing `lines` with the cursor below them, then `escapes` written: what it shows. */
  const apply = async (lines: string[], escapes: string) => {
    const tty = new FakeTty(20, lines.length + 2);
    tty.write(`${lines.join('\n')}\n${escapes}X`);
    return tty.screen();
  };
  it.each([
    ['nothing changed', ['a', 'b', 'c'], ['a', 'b', 'c']],
    ['the first line', ['a', 'b', 'c'], ['A', 'b', 'c']],
    ['the last line', ['a', 'b', 'c'], ['a', 'b', 'C']],
    ['every other line, shorter', ['aaaa', 'b', 'cccc', 'd'], ['a', 'b', 'c', 'd']],
    ['every line', ['a', 'b', 'c'], ['x', 'y', 'z']],
  ])('%s: the screen shows the new lines and the cursor is back below them', async (_what, prev, next) => {
    const escapes = changedLines(prev, next);
    if (prev.join() === next.join()) expect(escapes).toBe('');
    // The X marks where the cursor was left: the start of the row below.
    expect(await apply(prev, escapes)).toBe(await apply(next, ''));
  });
});

describe("Ink's own incrementalRendering", () => {
  it('puts a changed line one row too low when the frame ends in a newline (why LineDiffStdout exists)', async () => {
    const tty = new FakeTty(20, 10);
    const line = (text: string) => createElement(ink.Text, { key: text }, text);
    const frame = (second: string) => createElement(ink.Box, { flexDirection: 'column' }, line('first'), line(second), line('third'));
    const instance = ink.render(frame('second'), { stdout: tty as unknown as NodeJS.WriteStream, incrementalRendering: true, patchConsole: false });
    teardown = async () => instance.unmount();
    await waitFor(async () => (await tty.screen()).includes('third'), 'the first frame');
    instance.rerender(frame('CHANGED'));
    await waitFor(async () => (await tty.screen()).includes('CHANGED'), 'the second frame');
    // Were it right, rows would read first, CHANGED, third. If Ink fixes this, consider its mode again.
    expect((await tty.screen()).split('\n').slice(0, 3)).toEqual(['first', 'second', 'CHANGED']);
  });
});
