import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import xterm from '@xterm/headless';
import type { IBufferCell, IBufferLine, Terminal as XtermTerminal } from '@xterm/headless';
import type { StyledLine, StyledRun, TerminalFactory, TerminalScreen } from './screen.js';
import { ParseBudget, ScreenFeed } from './screen-feed.js';
import type { Keep } from './screen-feed.js';

/** Characters handed to xterm at a time: ~1 ms of parsing, so reading the agent's terminal gets a turn. */
const BATCH_CHARS = 64 * 1024;
/** Waiting output past which a screen is far behind and skips ahead (~60 ms of parsing: the most it lags). */
const BEHIND_CHARS = 4 * 1024 * 1024;
/**
 * While output floods in, the screens of a run parse in at most a quarter of
 * the main thread (after a 20 ms burst): measured, a bigger share slows down
 * reading the agent's pty more than it makes the screen current (BENCHMARKS.md, session).
 */
const PARSE_SHARE = 1 / 4;
const PARSE_BURST_MS = 20;

/** The most of a recorded transcript a screen shows: its end, enough to fill any scrollback the config allows. */
const RECORDED_CHARS = 512 * 1024;

/** What a task's screens are made with. */
export interface TerminalsOptions {
  /** Lines of scrollback per screen (config `scrollback`). */
  scrollback: number;
  /** Where a task's transcript is (the run's logs folder), so a screen can show what was recorded before it opened. */
  transcript?: (taskId: string) => string;
}

/**
 * The TerminalFactory the CLI hands the engine when the dashboard draws: a
 * bounded xterm screen per task. (The full transcript is the run recorder's:
 * src/persist/recorder.ts writes it from the store's output events, with or
 * without a dashboard.) A screen opened for a task that already has a
 * transcript (an earlier session of a resumed run, a freed screen) starts
 * with the transcript's end.
 */
export function createTerminals(opts: TerminalsOptions): TerminalFactory {
  const budget = newParseBudget();
  const recordedText = (taskId: string): string => (opts.transcript ? readEnd(opts.transcript(taskId), RECORDED_CHARS) : '');
  return {
    open(taskId, cols, rows) {
      const screen = new XtermScreen(cols, rows, opts.scrollback, budget);
      screen.write(recordedText(taskId));
      return screen;
    },
    recorded(taskId, cols, rows) {
      const text = recordedText(taskId);
      if (text.trim() === '') return undefined;
      const screen = new XtermScreen(cols, rows, opts.scrollback, budget);
      screen.write(text);
      return screen;
    },
  };
}

/** The last `max` characters or so of a text file, from a line start; '' when it cannot be read. */
export function readEnd(file: string, max: number): string {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const size = fstatSync(fd).size;
    const length = Math.min(size, max);
    const bytes = Buffer.alloc(length);
    readSync(fd, bytes, 0, length, size - length);
    const text = bytes.toString('utf8');
    return length < size ? text.slice(text.indexOf('\n') + 1) : text;
  } catch {
    return ''; // No transcript (nothing printed yet), or one that cannot be read: the pane says so.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * A task's terminal screen on @xterm/headless: colours, cursor moves and
 * progress bars render as in a terminal, and scrollback is capped.
 *
 * Writes are queued and handed to xterm in batches (ScreenFeed), so many
 * small pty reads cost one parse and a flood of output cannot take the whole
 * main thread. When more than BEHIND_CHARS wait, the screen skips the oldest
 * waiting output, keeping what it can still show, and draws a marker line
 * where the gap is (`skippedChars` counts it): memory stays bounded and
 * nothing is dropped silently. The run's transcript is never skipped.
 */
export class XtermScreen implements TerminalScreen {
  private readonly term: XtermTerminal;
  private readonly listeners = new Set<() => void>();
  private changes = 0;
  private closed = false;
  private readonly cell: IBufferCell;
  private readonly feed: ScreenFeed;

  /** `budget`: the parse time shared by the screens of a run (createTerminals passes one); default: its own. */
  constructor(cols: number, rows: number, private readonly scrollback: number, budget = newParseBudget()) {
    // convertEol: output read from pipes ends lines with a bare \n, which a terminal's line
    // discipline would have turned into \r\n; without it each line starts where the last ended.
    // A pty's \r\n is unaffected.
    this.term = new xterm.Terminal({ cols, rows, scrollback, allowProposedApi: true, convertEol: true });
    this.cell = this.term.buffer.active.getNullCell();
    // Fired once per parser flush however many writes it took: the coalesced change signal.
    this.term.onWriteParsed(() => {
      if (!this.feed.catchingUp) this.changed();
    });
    this.feed = new ScreenFeed(this.term, {
      batchChars: BATCH_CHARS,
      highChars: BEHIND_CHARS,
      budget,
      keep: () => this.keep(this.scrollback),
      marker: (dropped, total) => skipMarker(dropped, total, this.term.buffer.active.cursorX > 0),
      // Listeners hear of a woken screen once, caught up: not of each batch on the way (older states).
      caughtUp: () => this.changed(),
    });
    this.sleep();
  }

  get cols(): number {
    return this.term.cols;
  }
  get rows(): number {
    return this.term.rows;
  }
  get length(): number {
    return this.term.buffer.active.length;
  }
  get version(): number {
    return this.changes;
  }

  /** Characters of output the screen skipped because it fell behind (the transcript has them). */
  get skippedChars(): number {
    return this.feed.skippedChars;
  }

  write(data: string): void {
    if (this.closed || data === '') return;
    this.feed.push(data);
  }

  /** Resolves once everything written so far is parsed or skipped (tests and benchmarks wait on it). */
  parsed(): Promise<void> {
    return this.feed.parsed();
  }

  resize(cols: number, rows: number): void {
    if (this.closed || !(cols > 0 && rows > 0)) return;
    if (cols === this.term.cols && rows === this.term.rows) return;
    this.term.resize(Math.floor(cols), Math.floor(rows));
    this.changed();
  }

  lines(start: number, end: number): StyledLine[] {
    const buffer = this.term.buffer.active;
    const from = Math.max(0, Math.floor(start));
    const to = Math.min(buffer.length, Math.floor(end));
    const out: StyledLine[] = [];
    for (let y = from; y < to; y++) {
      const line = buffer.getLine(y);
      out.push(line ? this.styled(line) : []);
    }
    return out;
  }

  visible(): StyledLine[] {
    const top = this.term.buffer.active.baseY;
    return this.lines(top, top + this.term.rows);
  }

  search(text: string): number[] {
    const needle = text.toLowerCase();
    if (needle === '') return [];
    const buffer = this.term.buffer.active;
    const hits: number[] = [];
    for (let y = 0; y < buffer.length; y++) {
      if (buffer.getLine(y)?.translateToString(true).toLowerCase().includes(needle)) hits.push(y);
    }
    return hits;
  }

  /**
   * A screen is parsed only while someone listens (a pane shows it) or waits
   * on parsed(): under 8 agents × 1 MB/s, parsing the 7 screens nobody sees
   * was the dashboard's largest source of old-generation garbage
   * (BENCHMARKS.md, dashboard-memory). Meanwhile it keeps the end of its
   * output (ScreenFeed.sleep), and the first listener gets the screen it
   * would have had.
   */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    if (this.listeners.size === 1) this.feed.wake();
    return () => {
      if (this.listeners.delete(listener) && this.listeners.size === 0) this.sleep();
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    this.feed.close();
    this.term.dispose();
  }

  /** What a cut of the backlog keeps: the lines this screen can show, less the marker and a partial line. */
  private keep(scrollback: number): Keep {
    const { cols, rows } = this.term;
    // Long lines wrap: this many characters fill the buffer even with wide characters and colours.
    return { lines: Math.max(rows, scrollback + rows - 2), chars: Math.min(BEHIND_CHARS / 2, (scrollback + rows) * cols * 2) };
  }

  /** Stops parsing, keeping as much of the output's end as a cut of the backlog would. */
  private sleep(): void {
    if (!this.closed) this.feed.sleep(this.keep(this.scrollback).chars);
  }

  private changed(): void {
    this.changes++;
    for (const listener of this.listeners) listener();
  }

  /** One buffer line as runs of equal style; trailing unstyled blanks are dropped. */
  private styled(line: IBufferLine): StyledRun[] {
    const runs: StyledRun[] = [];
    let text = '';
    let style: Omit<StyledRun, 'text'> | undefined;
    let key = '';
    const cell = this.cell;
    for (let x = 0; x < line.length; x++) {
      if (!line.getCell(x, cell) || cell.getWidth() === 0) continue; // the second half of a wide character
      // The style object is built only where the style changes; most cells repeat their neighbour's.
      const nextKey = styleKey(cell);
      if (style === undefined || nextKey !== key) {
        if (style !== undefined) runs.push({ ...style, text });
        text = '';
        style = styleOf(cell);
        key = nextKey;
      }
      text += cell.getChars() || ' ';
    }
    if (style !== undefined) runs.push({ ...style, text });
    // Trailing blanks of the default style are the empty rest of the line, not text.
    const last = runs.at(-1);
    if (last && Object.keys(last).length === 1) {
      last.text = last.text.trimEnd();
      if (last.text === '') runs.pop();
    }
    return runs;
  }
}

/** Equal for two cells exactly when styleOf would give them equal styles. */
function styleKey(cell: IBufferCell): string {
  const flags =
    (cell.isBold() ? 1 : 0) | (cell.isDim() ? 2 : 0) | (cell.isItalic() ? 4 : 0) | (cell.isUnderline() ? 8 : 0) | (cell.isInverse() ? 16 : 0);
  return `${cell.getFgColorMode()}:${cell.getFgColor()}:${cell.getBgColorMode()}:${cell.getBgColor()}:${flags}`;
}

/** The style of one cell, with only the attributes that are set. */
function styleOf(cell: IBufferCell): Omit<StyledRun, 'text'> {
  const style: Omit<StyledRun, 'text'> = {};
  const fg = cell.isFgRGB() ? hex(cell.getFgColor()) : cell.isFgPalette() ? cell.getFgColor() : undefined;
  const bg = cell.isBgRGB() ? hex(cell.getBgColor()) : cell.isBgPalette() ? cell.getBgColor() : undefined;
  if (fg !== undefined) style.fg = fg;
  if (bg !== undefined) style.bg = bg;
  if (cell.isBold()) style.bold = true;
  if (cell.isDim()) style.dim = true;
  if (cell.isItalic()) style.italic = true;
  if (cell.isUnderline()) style.underline = true;
  if (cell.isInverse()) style.inverse = true;
  return style;
}

function newParseBudget(): ParseBudget {
  return new ParseBudget(PARSE_SHARE, PARSE_BURST_MS);
}

/** The line drawn where the screen skipped output: styles reset, reversed, saying where the rest is. */
function skipMarker(dropped: number, total: number, midLine: boolean): string {
  const where = 'it came faster than the screen draws; `orchestrator logs` has all of it';
  const all = total > dropped ? `, ${size(total)} in all` : '';
  return `\x1b[0m${midLine ? '\r\n' : ''}\x1b[7m … ${size(dropped)} of output not drawn (${where}${all}) … \x1b[0m\r\n`;
}

function size(chars: number): string {
  return chars >= 1e6 ? `${(chars / 1e6).toFixed(1)} MB` : `${Math.ceil(chars / 1e3)} KB`;
}

function hex(rgb: number): string {
  return `#${rgb.toString(16).padStart(6, '0')}`;
}
