import { performance } from 'node:perf_hooks';
import { OutputRing } from './output-ring.js';

/** What a screen can still show, which is what a cut keeps. */
export interface Keep {
  /** Lines: scrollback + rows, less the marker line. */
  lines: number;
  /** At most this many characters, for output whose lines are very long or never end. */
  chars: number;
}

/** No output for this long (ms) and a flood is over: the parser may take what it needs to catch up. */
const QUIET_MS = 10;

/** An escape sequence at most this long is never split by a cut. */
const MAX_ESCAPE = 256;

/** Where a feed sends output: xterm's `write`, whose callback runs once the data is parsed. */
export interface FeedTarget {
  write(data: string, parsed?: () => void): void;
}

/** What a feed needs besides its target. */
export interface FeedOptions {
  /** Characters handed to the parser at a time. */
  batchChars: number;
  /** Past this many characters waiting, the screen is far behind and skips ahead. */
  highChars: number;
  /** The parse time the feed may take while output floods in; may be shared by many feeds. */
  budget: ParseBudget;
  /** What the screen can show now (it changes on resize): what a skip keeps. */
  keep(): Keep;
  /** The text drawn where output was skipped; called when everything before it is parsed. */
  marker(dropped: number, total: number): string;
  /** Called once what a woken feed had kept is parsed: the screen is as it would have been. */
  caughtUp?(): void;
}

/**
 * The main-thread time terminal parsers may take while output floods in.
 * createTerminals makes one for all the screens of a run, so eight agents
 * flooding at once still leave the dashboard and the engine most of the
 * thread. A token bucket: it refills at `share` ms per ms and holds at most
 * `burstMs`, so ordinary output (a few ms of parsing a second) never waits.
 */
export class ParseBudget {
  private balance: number;
  private refilledAt = performance.now();

  constructor(private readonly share: number, private readonly burstMs: number) {
    this.balance = burstMs;
  }

  /** How long (ms) parsing should wait for its share; 0: go on now. */
  waitMs(): number {
    const now = performance.now();
    this.balance = Math.min(this.burstMs, this.balance + (now - this.refilledAt) * this.share);
    this.refilledAt = now;
    return this.balance >= 0 ? 0 : Math.ceil(-this.balance / this.share);
  }

  /** Records `ms` of parsing. */
  spend(ms: number): void {
    this.balance -= ms;
  }
}

/**
 * Feeds one terminal screen's parser from a backlog, paced so the screen
 * never starves the rest of the process. Three things this buys, measured in
 * BENCHMARKS.md (session):
 * - many small pty reads (~4 KB) become one parse per batch;
 * - while output floods in, parsing takes only its ParseBudget, so reading
 *   the agent's terminal keeps its speed (a pty holds ~64 KB: while nobody
 *   reads it, the agent is blocked);
 * - when the backlog passes `highChars` the screen skips to the end of it
 *   (ScreenBacklog.cutIfBehind) and draws a marker where the gap is: bounded
 *   memory, and no silent loss (xterm itself throws writes away past 50 MB).
 */
export class ScreenFeed {
  private readonly backlog: ScreenBacklog;
  private inFlight = false;
  /** Characters of the batch the parser has now. */
  private flying = 0;
  private scheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Characters pushed, and characters parsed or skipped: parsed() waits for the second to reach the first. */
  private pushed = 0;
  private done = 0;
  /** When output last arrived (performance.now()). */
  private lastPush = 0;
  private waiters: { mark: number; resolve: () => void }[] = [];
  private skipped = 0;
  /** Characters skipped since the last marker was drawn. */
  private unmarked = 0;
  /** After wake(): the `pushed` count to parse up to, at full speed, before caughtUp(). */
  private wakeMark: number | undefined;
  /** Set while the feed sleeps (sleep()): new output is only kept, not parsed. */
  private asleep: { bytes: number; ring?: OutputRing } | undefined;

  constructor(private readonly target: FeedTarget, private readonly opts: FeedOptions) {
    this.backlog = new ScreenBacklog(opts.highChars);
  }

  /** Characters skipped so far because the parser fell behind. */
  get skippedChars(): number {
    return this.skipped;
  }

  push(text: string): void {
    if (this.closed || text === '') return;
    this.pushed += text.length;
    if (this.asleep) {
      (this.asleep.ring ??= new OutputRing(this.asleep.bytes)).write(text);
      return;
    }
    this.backlog.push(text);
    this.lastPush = performance.now();
    // Waiting on its share, the feed cuts when it runs; this bounds the backlog even if it never does.
    if (this.backlog.chars > 2 * this.opts.highChars) this.skipIfBehind(2 * this.opts.highChars);
    this.schedule();
  }

  /** Resolves once everything pushed so far is parsed or skipped (a sleeping feed parses what it kept, and sleeps on). */
  parsed(): Promise<void> {
    if (this.closed || this.done >= this.pushed) return Promise.resolve();
    const parsed = new Promise<void>((resolve) => this.waiters.push({ mark: this.pushed, resolve }));
    this.catchUp();
    this.settle();
    this.schedule();
    return parsed;
  }

  /**
   * Stops parsing (the screen is not shown): output is kept in a ring of
   * `bytes` bytes, only its end, until wake() or parsed(). Output that
   * overflows the ring would have scrolled out of the screen's scrollback had
   * it been parsed, so it goes without a marker and does not count as skipped.
   */
  sleep(bytes: number): void {
    if (this.closed || this.asleep) return;
    this.asleep = { bytes };
  }

  /** Parses again: first what was kept while asleep, then new output as it comes. */
  wake(): void {
    if (!this.asleep) return;
    this.catchUp();
    this.asleep = undefined;
    if (this.done < this.pushed) this.wakeMark = this.pushed;
    this.schedule();
  }

  /** Whether a woken feed is still parsing what it kept (its screen shows an older state meanwhile). */
  get catchingUp(): boolean {
    return this.wakeMark !== undefined;
  }

  /** Stops feeding; waiting parsed() calls resolve. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    for (const waiter of this.waiters.splice(0)) waiter.resolve();
  }

  /** Moves what a sleeping feed kept into the backlog, to be parsed; the feed still sleeps. */
  private catchUp(): void {
    const ring = this.asleep?.ring;
    if (!ring) return;
    this.asleep!.ring = undefined;
    let text = ring.text();
    if (ring.overflowed) {
      // Only the ring's end could still show: what waited before it would scroll out too.
      // No marker here, so two more lines than a cut keeps: a whole screen's worth.
      const keep = this.opts.keep();
      text = text.slice(cutPoint(text, keep.lines + 2, keep.chars));
      this.backlog.clear();
    }
    this.backlog.push(text);
    // Whatever did not reach the backlog is done with: counted from what remains, so a waiter's mark is always reached.
    this.done = this.pushed - this.backlog.chars - this.flying;
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight || this.closed || this.backlog.chars === 0) return;
    if (this.asleep && this.waiters.length === 0) return;
    this.scheduled = true;
    setImmediate(this.feed);
  }

  private readonly feed = (): void => {
    this.scheduled = false;
    this.timer = undefined;
    if (this.closed || this.inFlight) return;
    if (this.asleep && this.waiters.length === 0) return;
    this.skipIfBehind();
    if (this.backlog.chars === 0) return this.settle();
    // Over the budget while output keeps coming: let the process read (and everything else
    // run) until it is back. Once the output has gone quiet, catch up at full speed.
    // Catching up after wake() is what a pane waits for: no budget either.
    const quiet = this.wakeMark !== undefined || performance.now() - this.lastPush >= QUIET_MS;
    const wait = quiet ? 0 : this.opts.budget.waitMs();
    if (wait > 0) {
      this.scheduled = true;
      this.timer = setTimeout(this.feed, wait);
      return;
    }
    if (this.unmarked > 0) {
      // One marker for every cut since the last batch, right where the gap is.
      this.target.write(this.opts.marker(this.unmarked, this.skipped));
      this.unmarked = 0;
    }
    const batch = this.backlog.take(this.opts.batchChars);
    this.inFlight = true;
    this.flying = batch.length;
    // Both callbacks run in the parser's own turn, around the batch: their gap is its parse time.
    let start = 0;
    this.target.write('', () => (start = performance.now()));
    this.target.write(batch, () => {
      if (!quiet) this.opts.budget.spend(performance.now() - start);
      this.inFlight = false;
      this.flying = 0;
      this.done += batch.length;
      if (this.wakeMark !== undefined && this.done >= this.wakeMark) {
        this.wakeMark = undefined;
        this.opts.caughtUp?.();
      }
      this.settle();
      this.schedule();
    });
  };

  private skipIfBehind(highChars = this.opts.highChars): void {
    const dropped = this.backlog.cutIfBehind(this.opts.keep(), highChars);
    if (dropped === 0) return;
    this.skipped += dropped;
    this.unmarked += dropped;
    this.done += dropped;
  }

  private settle(): void {
    if (this.waiters.length === 0) return;
    const done = this.done;
    this.waiters = this.waiters.filter((w) => (w.mark <= done ? (w.resolve(), false) : true));
  }
}

/**
 * Output waiting to be parsed by a terminal screen, in order. It hands the
 * screen bounded batches, and when the screen falls far behind (output faster
 * than xterm parses, ~60 MB/s) it drops the oldest part, keeping the lines
 * the screen can still show, so memory stays bounded and the screen shows the
 * end of the output soon instead of minutes late. Only the screen skips:
 * the transcript gets every byte before the backlog sees it.
 */
export class ScreenBacklog {
  private chunks: string[] = [];
  /** Index of the first chunk not yet taken (chunks before it are spent). */
  private first = 0;
  private size = 0;

  /** `highChars`: past this many characters waiting, the screen is "far behind" and the backlog is cut. */
  constructor(private readonly highChars: number) {}

  /** Characters waiting. */
  get chars(): number {
    return this.size;
  }

  push(text: string): void {
    if (text === '') return;
    this.chunks.push(text);
    this.size += text.length;
  }

  /** Removes and returns up to about `max` characters from the front (whole chunks where it can). */
  take(max: number): string {
    if (this.size === 0) return '';
    const parts: string[] = [];
    let taken = 0;
    while (this.first < this.chunks.length && taken < max) {
      const chunk = this.chunks[this.first]!;
      const room = max - taken;
      if (chunk.length <= room || parts.length === 0 && chunk.length <= 2 * max) {
        parts.push(chunk);
        taken += chunk.length;
        this.first++;
      } else if (parts.length === 0) {
        // One chunk far bigger than a batch: split it, never between the halves of a surrogate pair.
        const at = isLowSurrogate(chunk.charCodeAt(room)) ? room + 1 : room;
        parts.push(chunk.slice(0, at));
        this.chunks[this.first] = chunk.slice(at);
        taken += at;
      } else {
        break;
      }
    }
    this.size -= taken;
    if (this.first > 1024 || this.first === this.chunks.length) this.compact();
    return parts.length === 1 ? parts[0]! : parts.join('');
  }

  /**
   * When more than `highChars` wait, drops the front so that only the last
   * `keep.lines` lines (at most `keep.chars` characters) remain, starting at
   * the beginning of a line where there is one. Returns how many characters
   * were dropped (0: not behind).
   */
  cutIfBehind(keep: Keep, highChars = this.highChars): number {
    if (this.size <= highChars) return 0;
    // Only the newest chunks that can hold what is kept are joined: the rest is dropped whole.
    const tail: string[] = [];
    let chars = 0;
    let lines = 0;
    for (let i = this.chunks.length - 1; i >= this.first && chars < keep.chars && lines <= keep.lines; i--) {
      const chunk = this.chunks[i]!;
      tail.push(chunk);
      chars += chunk.length;
      for (let at = chunk.indexOf('\n'); at >= 0; at = chunk.indexOf('\n', at + 1)) lines++;
    }
    const text = tail.reverse().join('');
    const kept = text.slice(cutPoint(text, keep.lines, keep.chars));
    const dropped = this.size - kept.length;
    this.chunks = kept === '' ? [] : [kept];
    this.first = 0;
    this.size = kept.length;
    return dropped;
  }

  /** Drops everything waiting; returns how many characters that was. */
  clear(): number {
    const dropped = this.size;
    this.chunks = [];
    this.first = 0;
    this.size = 0;
    return dropped;
  }

  private compact(): void {
    this.chunks = this.chunks.slice(this.first);
    this.first = 0;
  }
}

/**
 * Where to cut `text` so the rest holds its last `keepLines` lines and at most
 * `keepChars` characters. A cut by characters moves on to the next line start
 * if there is one, else back to the start of an escape sequence it would split.
 */
export function cutPoint(text: string, keepLines: number, keepChars: number): number {
  const floor = Math.max(0, text.length - keepChars);
  // Scan back for the line feed before the last `keepLines` lines (a trailing \n ends the last line).
  let lines = 0;
  let at = text.length - 1;
  if (text.endsWith('\n')) at--;
  for (; at >= floor; at--) {
    if (text.charCodeAt(at) === 10 && ++lines >= keepLines) return at + 1;
  }
  if (floor === 0) return 0;
  const nextLine = text.indexOf('\n', floor);
  if (nextLine >= 0 && nextLine < text.length - 1) return nextLine + 1;
  let cut = floor;
  const esc = Math.max(text.lastIndexOf('\x1b', cut - 1), text.lastIndexOf('\x9b', cut - 1));
  if (esc >= 0 && cut - esc <= MAX_ESCAPE) cut = esc;
  return isLowSurrogate(text.charCodeAt(cut)) ? cut + 1 : cut;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
