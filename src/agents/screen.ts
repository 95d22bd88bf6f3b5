/** One stretch of a terminal line with the same style. Colours are as the terminal set them. */
export interface StyledRun {
  text: string;
  /** A palette index (0–255) or a `#rrggbb` true colour; unset: the default colour. */
  fg?: number | string;
  bg?: number | string;
  bold?: boolean;
  dim?: boolean;
  italic?: boolean;
  underline?: boolean;
  inverse?: boolean;
}

/** One terminal line as styled runs; its plain text is the runs' text joined. */
export type StyledLine = readonly StyledRun[];

/**
 * A task's terminal screen (docs/architecture.md §5): the agent's bytes rendered as a
 * terminal would (colours, cursor moves, progress bars), with a bounded
 * scrollback. The dashboard reads it; the engine never needs its contents.
 */
export interface TerminalScreen {
  readonly cols: number;
  readonly rows: number;
  /** Lines in the buffer: scrollback plus the visible rows. */
  readonly length: number;
  /** Increases on every change, so a reader can tell whether to redraw. */
  readonly version: number;
  /** Feeds the agent's output. */
  write(data: string): void;
  /** Re-wraps the screen to a new size. */
  resize(cols: number, rows: number): void;
  /** Lines [start, end) of the whole buffer (0 = oldest scrollback line), styled. */
  lines(start: number, end: number): StyledLine[];
  /** The visible rows, styled (what a terminal of this size shows now). */
  visible(): StyledLine[];
  /** Indexes of buffer lines whose text contains `text` (case-insensitive), oldest first. */
  search(text: string): number[];
  /**
   * Called (at most once per parser flush) after the screen changed. A screen
   * may put off parsing while nobody listens (XtermScreen does, to save memory):
   * what it shows is current once a listener is subscribed.
   */
  onChange(listener: () => void): () => void;
  /** Frees the terminal (the run's transcript is written elsewhere, by the recorder). */
  close(): void;
}

/** Makes the screen of each task; the run's log folder and scrollback cap live behind it. */
export interface TerminalFactory {
  /** A task's screen, showing first what its transcript already holds (earlier attempts, an earlier session). */
  open(taskId: string, cols: number, rows: number): TerminalScreen;
  /**
   * A screen of what the task's transcript holds, for a task with no screen of this
   * session (it ended before a resume, or its screen was freed); undefined when nothing is recorded.
   */
  recorded?(taskId: string, cols: number, rows: number): TerminalScreen | undefined;
}
