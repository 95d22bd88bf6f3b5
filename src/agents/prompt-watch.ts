import type { IBuffer } from '@xterm/headless';

/** No output for this long with the cursor on a question, and the agent is taken to be waiting for the person. */
export const QUIET_MS = 3000;

/** Lines above the cursor a selection prompt's question may be (its options come between). */
const LINES_ABOVE = 8;
/** The longest question kept: it is shown in a task row and a headless line. */
const QUESTION_CHARS = 200;

/** Ends in `?`, maybe followed by a hint in brackets: `Continue?`, `Overwrite? (y/N)`, `Deploy? [Y/n]:`. */
const ENDS_ASKING = /\?\s*(?:[([][^()[\]]*[)\]])?\s*:?$/;
/** A yes/no choice at the end: `(y/n)`, `[Y/n]`, `(yes/no):`. */
const YES_NO = /[([]\s*y(?:es)?\s*\/\s*n(?:o)?\s*[)\]]\s*[:?]?$/i;
/** The `? ` prefix prompt libraries (inquirer, enquirer, prompts) put before a question that ends with a hint. */
const PROMPT_PREFIX = /^\?\s\S/;
/** A selection or input marker at the start of the cursor's line: `❯ Yes`, `> `, `› option`. */
const MARKER = /^[❯>›]/;
/** The frame a TUI draws around its input box. */
const FRAME = /^[\s│┃║|]+|[\s│┃║|]+$/g;

function asks(line: string): boolean {
  return ENDS_ASKING.test(line) || YES_NO.test(line) || PROMPT_PREFIX.test(line);
}

function textAt(buffer: IBuffer, y: number): string {
  return (buffer.getLine(y)?.translateToString(true) ?? '').replace(FRAME, '');
}

function cut(line: string): string {
  return line.length > QUESTION_CHARS ? `${line.slice(0, QUESTION_CHARS - 1)}…` : line;
}

/**
 * The question a terminal's cursor sits at, or undefined. The cursor's line
 * asks (ends in `?`, offers `(y/n)` / `[Y/n]`, or starts with a prompt
 * library's `? `), or starts with a selection marker (`❯`, `>`, `›`) under a
 * line that asks. On a blank line (a question printed with its newline, or a
 * menu that hid the cursor below itself), the lines just above it are read
 * the same way: the last asks, or they hold a marker and a line that asks.
 * A TUI's frame (`│ > │`) is looked through.
 */
export function questionAt(buffer: IBuffer): string | undefined {
  const y = buffer.baseY + buffer.cursorY;
  const line = textAt(buffer, y);
  if (line !== '') {
    if (asks(line)) return cut(line);
    return MARKER.test(line) ? askedAbove(buffer, y) : undefined;
  }
  const block: string[] = [];
  for (let above = y - 1; above >= Math.max(0, y - LINES_ABOVE); above--) {
    const text = textAt(buffer, above);
    if (text === '') break;
    block.push(text);
  }
  if (block.length === 0) return undefined;
  if (asks(block[0]!)) return cut(block[0]!);
  const question = block.some((l) => MARKER.test(l)) ? block.find(asks) : undefined;
  return question && cut(question);
}

/** The nearest line that asks in the few above `y` (a menu's options come between it and its marker). */
function askedAbove(buffer: IBuffer, y: number): string | undefined {
  for (let above = y - 1; above >= Math.max(0, y - LINES_ABOVE); above--) {
    const text = textAt(buffer, above);
    if (asks(text)) return cut(text);
  }
  return undefined;
}

/** The time a PromptWatch keeps: the engine's Clock has this shape, so a fake one drives it in tests. */
export interface WatchClock {
  now(): number;
  setTimeout(fire: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: WatchClock = {
  now: () => Date.now(),
  // Unref'd: a watch never keeps the process alive; its session does while it runs.
  setTimeout: (fire, ms) => setTimeout(fire, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface PromptWatchOptions {
  /** The question on the screen now, once everything written so far is drawn (undefined: none). */
  look(): Promise<string | undefined>;
  /** Told when the agent starts waiting at a question (its text), and when it no longer does (undefined). */
  onChange(question: string | undefined): void;
  quietMs?: number;
  clock?: WatchClock;
}

/**
 * Notices an agent waiting for the person: after QUIET_MS without output,
 * the screen is looked at, and a question at the cursor is reported once.
 * Output or typed keys end the wait at once (reported), and the quiet starts
 * over. A held watch (its agent is paused: SIGSTOP is quiet too) looks at nothing.
 *
 * One timer at a time, however fast output comes: activity only notes when it
 * happened, and the timer, when it fires early, waits out the rest.
 */
export class PromptWatch {
  private readonly clock: WatchClock;
  private readonly quietMs: number;
  private timer: unknown;
  private last = 0;
  /** Bumped by every activity, so a look that started before it is thrown away. */
  private epoch = 0;
  private asking: string | undefined;
  private held = false;
  private stopped = false;

  constructor(private readonly opts: PromptWatchOptions) {
    this.clock = opts.clock ?? realTimers;
    this.quietMs = opts.quietMs ?? QUIET_MS;
  }

  /** Output arrived or keys were typed. */
  activity(): void {
    if (this.stopped) return;
    this.last = this.clock.now();
    this.epoch++;
    this.clear();
    this.arm(this.quietMs);
  }

  /** The agent is paused: no wait is reported until it goes on. */
  hold(): void {
    this.held = true;
    this.epoch++;
    this.clear();
    this.cancelTimer();
  }

  /** The agent goes on: the quiet counts from now. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    this.activity();
  }

  /** The session ended: nothing more is reported. */
  stop(): void {
    this.stopped = true;
    this.cancelTimer();
  }

  private clear(): void {
    if (this.asking === undefined) return;
    this.asking = undefined;
    this.opts.onChange(undefined);
  }

  private arm(ms: number): void {
    if (this.timer !== undefined || this.held || this.stopped) return;
    this.timer = this.clock.setTimeout(this.fire, ms);
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    const left = this.last + this.quietMs - this.clock.now();
    if (left > 0) return this.arm(left);
    const epoch = this.epoch;
    void this.opts.look().then((question) => {
      if (epoch !== this.epoch || this.held || this.stopped || question === undefined || this.asking !== undefined) return;
      this.asking = question;
      this.opts.onChange(question);
    }, () => undefined);
  };
}
