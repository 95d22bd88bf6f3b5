import xterm from '@xterm/headless';
import type { IBufferCell, IBufferLine, Terminal as XtermTerminal } from '@xterm/headless';
import type { StyledLine, StyledRun, TerminalFactory, TerminalScreen } from './screen.js';
import { Transcript } from './transcript.js';

/** What a task's screens are made with. */
export interface TerminalsOptions {
  /** Lines of scrollback per screen (config `scrollback`). */
  scrollback: number;
  /** The run's log folder: each task's full transcript goes to `<logDir>/<taskId>.log`. Unset: no transcript. */
  logDir?: string;
  /** false: keep no screen, only write transcripts (headless runs, where nobody reads a screen). Default true. */
  screens?: boolean;
}

/**
 * The TerminalFactory the CLI hands the engine: a bounded xterm screen per
 * task for the dashboard, and the full plain-text transcript on disk.
 */
export function createTerminals(opts: TerminalsOptions): TerminalFactory {
  return {
    open(taskId, cols, rows) {
      const transcript = opts.logDir === undefined ? undefined : new Transcript(opts.logDir, taskId);
      return opts.screens === false
        ? new TranscriptOnlyScreen(cols, rows, transcript)
        : new XtermScreen(cols, rows, opts.scrollback, transcript);
    },
  };
}

/**
 * A task's terminal screen on @xterm/headless: colours, cursor moves and
 * progress bars render as in a terminal, scrollback is capped, and every byte
 * also goes to the transcript (when there is one) before xterm parses it.
 */
export class XtermScreen implements TerminalScreen {
  private readonly term: XtermTerminal;
  private readonly listeners = new Set<() => void>();
  private changes = 0;
  private closed = false;
  private readonly cell: IBufferCell;

  constructor(cols: number, rows: number, scrollback: number, private readonly transcript?: Transcript) {
    // convertEol: output read from pipes ends lines with a bare \n, which a terminal's line
    // discipline would have turned into \r\n; without it each line starts where the last ended.
    // A pty's \r\n is unaffected.
    this.term = new xterm.Terminal({ cols, rows, scrollback, allowProposedApi: true, convertEol: true });
    this.cell = this.term.buffer.active.getNullCell();
    // Fired once per parser flush however many writes it took: the coalesced change signal.
    this.term.onWriteParsed(() => this.changed());
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

  write(data: string): void {
    if (this.closed || data === '') return;
    this.transcript?.write(data);
    this.term.write(data);
  }

  /** Resolves once everything written so far is parsed (tests and benchmarks wait on it). */
  parsed(): Promise<void> {
    return this.closed ? Promise.resolve() : new Promise((resolve) => this.term.write('', resolve));
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

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.transcript?.close();
    this.listeners.clear();
    this.term.dispose();
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
      const next = styleOf(cell);
      const nextKey = JSON.stringify(next);
      if (style !== undefined && nextKey !== key) {
        runs.push({ ...style, text });
        text = '';
      }
      style = next;
      key = nextKey;
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

function hex(rgb: number): string {
  return `#${rgb.toString(16).padStart(6, '0')}`;
}

/**
 * The screen of a headless run: keeps nothing, so costs nothing per byte but
 * the transcript. Readers see an empty terminal of the given size.
 */
export class TranscriptOnlyScreen implements TerminalScreen {
  private changes = 0;
  private closed = false;
  private readonly listeners = new Set<() => void>();

  constructor(public cols: number, public rows: number, private readonly transcript?: Transcript) {}

  get length(): number {
    return 0;
  }
  get version(): number {
    return this.changes;
  }
  write(data: string): void {
    if (this.closed || data === '') return;
    this.transcript?.write(data);
    this.changes++;
  }
  resize(cols: number, rows: number): void {
    if (!(cols > 0 && rows > 0)) return;
    this.cols = cols;
    this.rows = rows;
    this.changes++;
    for (const listener of this.listeners) listener();
  }
  lines(): StyledLine[] {
    return [];
  }
  visible(): StyledLine[] {
    return [];
  }
  search(): number[] {
    return [];
  }
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.transcript?.close();
  }
}
