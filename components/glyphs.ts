import type { StateLabel } from '../src/report/format.js';

/**
 * A one-column glyph and an Ink colour per state as reports word it (a soft
 * failure and an interrupted task are not a hard failure or a cancel); running
 * shows a spinner instead.
 */
export const STATE_STYLE: Readonly<Record<StateLabel, { glyph: string; color: string }>> = {
  pending: { glyph: '·', color: 'gray' },
  eligible: { glyph: '○', color: 'white' },
  'waiting-lock': { glyph: '◔', color: 'yellow' },
  running: { glyph: '▶', color: 'cyan' },
  paused: { glyph: '‖', color: 'yellow' },
  completed: { glyph: '✓', color: 'green' },
  failed: { glyph: '✗', color: 'red' },
  'failed (soft)': { glyph: '!', color: 'yellow' },
  'failed (skip)': { glyph: '!', color: 'gray' },
  skipped: { glyph: '↷', color: 'gray' },
  blocked: { glyph: '⊘', color: 'magenta' },
  cancelled: { glyph: '■', color: 'yellow' },
  interrupted: { glyph: '□', color: 'blue' },
};

/** A running task whose agent waits at a question for the person: its row and the header stand out in this. */
export const NEEDS_YOU_STYLE = { glyph: '?', color: 'yellowBright' } as const;

/** How long a spinner shows each frame: the dashboard's clock ticks at this pace while tasks run (slow on purpose: every tick is bytes to the terminal). */
export const SPINNER_MS = 500;
const SPINNER_FRAMES = '⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏';

/** A running task's spinner frame at time `now`: every spinner on the screen turns together, on the clock's tick. */
export function spinner(now: number): string {
  return SPINNER_FRAMES[Math.floor(now / SPINNER_MS) % SPINNER_FRAMES.length]!;
}

/** Cuts text to `width` columns with an ellipsis. */
export function fit(text: string, width: number): string {
  if (width <= 0) return '';
  return text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text;
}
