/**
 * The terminal's mouse, in SGR mode (xterm's 1006 encoding): `ESC [ < b ; x ; y M`
 * for a press or wheel notch, `m` for a release, with 1-based cell
 * coordinates. SGR rather than the legacy X10 bytes because it has no
 * 223-column limit and cannot be mistaken for typed text.
 */

/** Turns reporting of clicks and wheel notches on (1000), SGR-encoded (1006). */
export const MOUSE_ON = '\u001b[?1000h\u001b[?1006h';
/** Turns it off again: on quit, on crash paths, while attached and while a pager runs. */
export const MOUSE_OFF = '\u001b[?1000l\u001b[?1006l';

/** One mouse event, at a 0-based cell (column `x`, row `y`). */
export type MouseEvent =
  | { kind: 'press'; button: 'left' | 'middle' | 'right'; x: number; y: number }
  | { kind: 'release'; x: number; y: number }
  | { kind: 'wheel'; dir: 'up' | 'down'; x: number; y: number };

// eslint-disable-next-line no-control-regex -- the sequence starts with ESC
const SGR = /^\u001b\[<(\d+);(\d+);(\d+)([Mm])$/;

/**
 * The event one keypress (as the keypress splitter cuts it) reports, or
 * undefined when it is not a mouse sequence. A sequence of the SGR shape
 * that means nothing here (a drag, a fifth button) is `ignored`, so it is
 * dropped rather than read as keys.
 */
export function parseMouse(raw: string): MouseEvent | 'ignored' | undefined {
  const m = SGR.exec(raw);
  if (!m) return undefined;
  const code = Number(m[1]);
  const x = Number(m[2]) - 1;
  const y = Number(m[3]) - 1;
  if (x < 0 || y < 0) return 'ignored';
  // Bits 2–4 are shift, meta and ctrl; bit 5 a drag; bit 6 the wheel.
  const button = code & 0b11;
  if (code & 32) return 'ignored';
  if (code & 64) return button === 0 ? { kind: 'wheel', dir: 'up', x, y } : button === 1 ? { kind: 'wheel', dir: 'down', x, y } : 'ignored';
  if (m[4] === 'm') return { kind: 'release', x, y };
  return button === 3 ? 'ignored' : { kind: 'press', button: (['left', 'middle', 'right'] as const)[button]!, x, y };
}
