import { Writable } from 'node:stream';

const ESC = '\u001b[';
/** How Ink's standard renderer starts a frame: erase the previous frame's lines, bottom up (ansi-escapes `eraseLines`). */
// eslint-disable-next-line no-control-regex -- matching terminal escapes is the point
const ERASE_LINES = /^(?:\u001b\[2K\u001b\[1A)*\u001b\[2K\u001b\[G/;
/** Colours and attributes (SGR): the only escapes a frame's text may hold for it to be diffed line by line. */
// eslint-disable-next-line no-control-regex -- as above
const SGR = /\u001b\[[0-9;:]*m/g;
/** Writes that change modes but not what the screen shows (cursor hide/show, synchronized update begin/end). */
// eslint-disable-next-line no-control-regex -- as above
const MODE_ONLY = /^(?:\u001b\[\?\d+[hl])+$/;

/**
 * Stands between Ink and the terminal and passes on only the lines of a frame
 * that changed. Ink's standard renderer erases and rewrites its whole frame on
 * every render: at 160×45 that is ~12 KB for a spinner turning. Ink 6.8's own
 * `incrementalRendering` cannot be used: with a frame that ends in a newline
 * (ours is one row shorter than the terminal, to stay out of Ink's
 * clear-the-whole-terminal full-screen path) it moves the cursor one row too
 * few and writes every changed line one row too low (see
 * __tests__/components/line-diff-stdout.test.tsx).
 *
 * The rule that keeps this safe: after a frame, the screen and the cursor are
 * exactly what Ink's own write would have left, so whatever Ink writes next
 * lands where Ink expects. A frame is diffed only when it has the previous
 * frame's height, holds no escapes but colours and no line wider than the
 * terminal, and the previous frame did too; anything else (the first
 * frame, a height change, Ink clearing the terminal after a shrink, a write
 * this does not recognise) goes through untouched, and only a frame that
 * passes those tests is the reference for the next. A resize forgets the reference: the terminal may have reflowed
 * or scrolled what it showed.
 */
export class LineDiffStdout extends Writable {
  /** The lines the terminal shows, top to bottom, ending on the row above the cursor; undefined when unknown. */
  private shown: string[] | undefined;
  private readonly onResize = () => {
    this.shown = undefined;
    this.emit('resize');
  };

  constructor(private readonly target: NodeJS.WriteStream) {
    super({ decodeStrings: false });
    target.on('resize', this.onResize);
  }

  get isTTY(): boolean {
    return this.target.isTTY;
  }

  get columns(): number {
    return this.target.columns;
  }

  get rows(): number {
    return this.target.rows;
  }

  /** Stops following the terminal's resizes (the dashboard has closed). */
  detach(): void {
    this.target.off('resize', this.onResize);
  }

  override _write(chunk: string | Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    const out = this.translate(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
    if (out === '') done();
    else this.target.write(out, (err) => done(err));
  }

  /** What to write to the terminal for what Ink wrote. */
  translate(data: string): string {
    if (data === '' || MODE_ONLY.test(data)) return data;
    const erase = ERASE_LINES.exec(data)?.[0] ?? '';
    const body = data.slice(erase.length);
    const erased = erase === '' ? 0 : erase.split(`${ESC}2K`).length - 1;
    const plain = body.replace(SGR, '');
    // A line wider than the terminal wraps onto the next row (Ink lays out one frame at the old width
    // after a resize): then rows are not lines, and this frame and the next go through whole.
    const framed = body.endsWith('\n') && !plain.includes('\u001b') && plain.split('\n').every((line) => line.length <= this.columns);
    const next = framed ? body.slice(0, -1).split('\n') : undefined;
    const prev = this.shown;
    this.shown = next;
    // Ink erases the frame's lines plus the row the cursor waits on below them.
    if (!next || !prev || erased !== prev.length + 1 || next.length !== prev.length) return data;
    return changedLines(prev, next);
  }
}

/**
 * The escapes that turn `prev` into `next` (as many lines) on a terminal
 * whose cursor is at the start of the row below them, leaving it there:
 * each changed line is erased and written again, unchanged lines untouched.
 */
export function changedLines(prev: readonly string[], next: readonly string[]): string {
  const height = next.length;
  let row = height;
  let out = '';
  for (let i = 0; i < height; i++) {
    if (next[i] === prev[i]) continue;
    out += `${row > i ? `${ESC}${row - i}A` : row < i ? `${ESC}${i - row}B` : ''}\r${ESC}2K${next[i]}`;
    row = i;
  }
  return out === '' ? '' : `${out}${ESC}${height - row}B\r`;
}
