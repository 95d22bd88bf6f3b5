import type { Session } from './session-base.js';
import type * as XtermModule from '@xterm/headless';
import type { IBuffer, IMarker, Terminal as XtermTerminal } from '@xterm/headless';
import { PromptWatch, questionAt } from './prompt-watch.js';
import type { WatchClock } from './prompt-watch.js';
import { ParseBudget, ScreenFeed } from './screen-feed.js';

type Xterm = typeof XtermModule;
let loading: Promise<Xterm> | undefined;
/** The emulator, loaded with the first agent in a terminal: a headless run of pipe agents never loads it. */
function loadXterm(): Promise<Xterm> {
  return (loading ??= import('@xterm/headless').then((m) => ('default' in m ? (m.default as Xterm) : m)));
}

/** Lines the renderer's terminal keeps above its screen: lines are given out long before this many pile up. */
const SCROLLBACK = 1000;
/** Characters handed to the parser at a time. */
const BATCH_CHARS = 64 * 1024;
/** Unparsed output past which the renderer skips ahead (and says so in the text). */
const BEHIND_CHARS = 4 * 1024 * 1024;
/** Left as the mark nears the oldest kept line, the lines above it are given out before they are trimmed. */
const DRAIN_MARGIN = 16;

/**
 * The text a terminal program shows, as lines a person reads: what an
 * interactive (pty) agent's transcript, result and failure reason are made of.
 *
 * Its output runs through a terminal emulator (@xterm/headless) at the pty's
 * size, so cursor moves that stand for spaces, `\r` redraws, colours and the
 * alternate screen come out as the screen showed them, never as stripped bytes
 * (`Failed\x1b[1Cto` reads `Failed to`). A line is given out once (docs/architecture.md §5):
 * - when it scrolls off the top of the normal screen: from then on no program
 *   can change it, so a spinner redrawn in place a thousand times is one line;
 * - when the program leaves the alternate screen, that screen's last contents;
 * - at finish(), what is on the screen then (the final screen).
 * Lines wrapped by the terminal are joined again; runs of blank lines become one.
 *
 * Memory is bounded: the terminal keeps SCROLLBACK lines, and unparsed output
 * waits in a ScreenFeed, which skips ahead when more than BEHIND_CHARS wait
 * (a marker line says how much was not rendered).
 */
export class ScreenText {
  private term: XtermTerminal | undefined;
  private readonly ready: Promise<XtermTerminal>;
  private readonly feed: ScreenFeed;
  private cols: number;
  private rows: number;
  /** The first line of the normal buffer not given out yet; undefined: line 0. */
  private mark: IMarker | undefined;
  private blank = true;
  private finished = false;
  private readonly watch: PromptWatch | undefined;

  /**
   * `emit` gets each line of text once, in order, without line ends, a batch at a time.
   * `asking`, when given, is told when the program starts waiting at a question and when it
   * stops (PromptWatch: quiet, and the cursor on a question), on `clock`'s time.
   */
  constructor(cols: number, rows: number, private readonly emit: (lines: string[]) => void, asking?: { onChange(question: string | undefined): void; clock?: WatchClock }) {
    this.cols = cols;
    this.rows = rows;
    this.watch = asking && new PromptWatch({ ...asking, look: () => this.question() });
    this.ready = loadXterm().then((x) => (this.term = this.open(x)));
    // Output that comes before the emulator is loaded waits in the feed; batches wait for it in order.
    const target = { write: (data: string, parsed?: () => void) => void this.ready.then((term) => term.write(data, parsed)) };
    this.feed = new ScreenFeed(target, {
      batchChars: BATCH_CHARS,
      highChars: BEHIND_CHARS,
      budget: new ParseBudget(1 / 4, 20),
      keep: () => ({ lines: this.rows * 4, chars: this.rows * this.cols * 8 }),
      marker: (dropped) => `\x1b[0m\r\n[${Math.ceil(dropped / 1e3)} KB of terminal output not rendered: it came faster than it could be read]\r\n`,
    });
  }

  private open(x: Xterm): XtermTerminal {
    const term = new x.Terminal({ cols: this.cols, rows: this.rows, scrollback: SCROLLBACK, allowProposedApi: true });
    term.onScroll(() => {
      if ((this.mark?.line ?? 0) < DRAIN_MARGIN) this.drain();
    });
    term.onWriteParsed(() => this.drain());
    // Entering the alternate screen: the normal screen's lines above the cursor come first.
    term.parser.registerCsiHandler({ prefix: '?', final: 'h' }, (params) => {
      if (term.buffer.active.type === 'normal' && params.some(isAltScreen)) this.drain(term.buffer.normal.baseY + term.buffer.normal.cursorY);
      return false;
    });
    // Leaving it erases it before any event says so: its lines are taken first.
    term.parser.registerCsiHandler({ prefix: '?', final: 'l' }, (params) => {
      if (term.buffer.active.type === 'alternate' && params.some(isAltScreen)) this.takeScreen(term.buffer.alternate);
      return false;
    });
    // A full reset (RIS) clears the normal screen too.
    term.parser.registerEscHandler({ final: 'c' }, () => {
      this.drain();
      this.takeScreen(term.buffer.active);
      return false;
    });
    return term;
  }

  /** Adds the program's output as it arrives. */
  write(data: string): void {
    if (this.finished) return;
    this.feed.push(data);
    this.watch?.activity();
  }

  /** The person typed into the program's terminal: whatever it asked is being answered. */
  typed(): void {
    if (!this.finished) this.watch?.activity();
  }

  /** The program is stopped (SIGSTOP) or goes on: a stopped program is quiet, not waiting. */
  hold(held: boolean): void {
    if (held) this.watch?.hold();
    else this.watch?.release();
  }

  /** The question the cursor is at once everything written so far is drawn (PromptWatch looks here). */
  private async question(): Promise<string | undefined> {
    const term = await this.ready;
    await this.feed.parsed();
    return this.finished ? undefined : questionAt(term.buffer.active);
  }

  /** Follows the program's terminal to its new size. */
  resize(cols: number, rows: number): void {
    if (this.finished || !(cols > 0 && rows > 0)) return;
    this.cols = Math.floor(cols);
    this.rows = Math.floor(rows);
    // In turn with the output: the program drew what came before the resize at the old size.
    void this.ready.then((term) => term.write('', () => {
      if (term.cols !== this.cols || term.rows !== this.rows) term.resize(this.cols, this.rows);
    }));
  }

  /** Once everything written is parsed, gives out the final screen and frees the terminal. */
  async finish(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    this.watch?.stop();
    const term = await this.ready;
    await this.feed.parsed();
    this.drain();
    const { active, normal } = term.buffer;
    this.takeScreen(normal);
    if (active.type === 'alternate') this.takeScreen(active);
    this.feed.close();
    term.dispose();
  }

  /** Gives out the normal buffer's lines above `upTo` (default: those scrolled off the screen), whole logical lines only. */
  private drain(upTo?: number): void {
    if (!this.term) return;
    const buffer = this.term.buffer.normal;
    if (this.term.buffer.active !== buffer) return;
    const from = this.from();
    let end = upTo ?? buffer.baseY;
    while (end > from && buffer.getLine(end)?.isWrapped) end--;
    if (end <= from) return;
    this.give(buffer, from, end);
    this.setMark(end);
  }

  /** Gives out a buffer's lines from the mark (normal) or its top (alternate) to its last non-blank line. */
  private takeScreen(buffer: IBuffer): void {
    const normal = buffer === this.term?.buffer.normal;
    const from = normal ? this.from() : buffer.baseY;
    let end = buffer.length;
    while (end > from && buffer.getLine(end - 1)?.translateToString(true).trim() === '') end--;
    this.give(buffer, from, end);
  }

  private from(): number {
    return this.mark && !this.mark.isDisposed ? this.mark.line : 0;
  }

  /** Emits lines [from, end) of a buffer, joining wrapped rows. */
  private give(buffer: IBuffer, from: number, end: number): void {
    const lines: string[] = [];
    let text = '';
    for (let y = from; y < end; y++) {
      const wraps = buffer.getLine(y + 1)?.isWrapped === true && y + 1 < end;
      text += buffer.getLine(y)?.translateToString(!wraps) ?? '';
      if (wraps) continue;
      const line = text.trimEnd();
      text = '';
      const blank = line.trim() === '';
      if (blank && this.blank) continue;
      this.blank = blank;
      lines.push(line);
    }
    if (lines.length > 0) this.emit(lines);
  }

  /** Marks `line` (an index in the normal buffer, the active one) as the first not given out. */
  private setMark(line: number): void {
    if (!this.term) return;
    this.mark?.dispose();
    const buffer = this.term.buffer.normal;
    this.mark = this.term.registerMarker(line - (buffer.baseY + buffer.cursorY));
  }
}

/** The private modes that switch to the alternate screen. */
function isAltScreen(param: number | number[]): boolean {
  return param === 47 || param === 1047 || param === 1049;
}

/**
 * The data handler of a session whose bytes are not parsed as JSON lines: a
 * terminal's bytes (`text` set) go to the pane as they are and are rendered
 * for the transcript; plain output is kept in the tails (stderr apart) and
 * goes everywhere. Shared by the agent and shell backends.
 */
export function rawOutput(
  text: ScreenText | undefined,
  tails: { tail: { push(chunk: string): void }; stderr: { push(chunk: string): void } },
  output: (chunk: string, only?: 'screen') => void,
): (chunk: string, stream?: 'stderr') => void {
  return (chunk, stream) => {
    if (text) {
      text.write(chunk);
      return output(chunk, 'screen');
    }
    tails.tail.push(chunk);
    if (stream === 'stderr') tails.stderr.push(chunk);
    output(chunk);
  };
}

/**
 * The controls of an attempt's session that its screen text (when it keeps one) must hear of too:
 * a stopped program is quiet, not waiting at a question; a key typed answers one; a resize reflows.
 * `pause`/`resume` for every session, `write`/`resize` for one in a terminal (pty).
 */
export function textControls(
  session: Pick<Session, 'pause' | 'resume' | 'write' | 'resize'>,
  text: ScreenText | undefined,
): { pause(): void; resume(): void; write(data: string): void; resize(cols: number, rows: number): void } {
  return {
    pause: () => {
      text?.hold(true);
      session.pause();
    },
    resume: () => {
      session.resume();
      text?.hold(false);
    },
    write: (data) => {
      text?.typed();
      session.write(data);
    },
    resize: (cols, rows) => {
      text?.resize(cols, rows);
      session.resize(cols, rows);
    },
  };
}
