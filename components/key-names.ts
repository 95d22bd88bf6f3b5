/**
 * Raw terminal input → the key names the keymap uses (`j`, `G`, `ctrl+c`,
 * `pageup`). The router keeps the raw bytes too, so an attached agent gets
 * exactly what was typed.
 */

const SEQUENCES: Record<string, string> = {
  '\r': 'enter',
  '\n': 'enter',
  '\t': 'tab',
  '\u001b[Z': 'shift+tab',
  '\u001b': 'escape',
  '\u001b\u001b': 'escape',
  ' ': 'space',
  '\u007f': 'backspace',
  '\b': 'backspace',
  '\u001b[3~': 'delete',
  '\u001b[A': 'up',
  '\u001bOA': 'up',
  '\u001b[B': 'down',
  '\u001bOB': 'down',
  '\u001b[C': 'right',
  '\u001bOC': 'right',
  '\u001b[D': 'left',
  '\u001bOD': 'left',
  '\u001b[5~': 'pageup',
  '\u001b[6~': 'pagedown',
  '\u001b[H': 'home',
  '\u001bOH': 'home',
  '\u001b[1~': 'home',
  '\u001b[7~': 'home',
  '\u001b[F': 'end',
  '\u001bOF': 'end',
  '\u001b[4~': 'end',
  '\u001b[8~': 'end',
  '\u001d': 'ctrl+]',
  '\u001c': 'ctrl+\\',
  '\u001e': 'ctrl+^',
  '\u001f': 'ctrl+_',
};

/** The key name of one keypress as Ink's input parser splits them; undefined for sequences we do not name. */
export function keyName(raw: string): string | undefined {
  const named = SEQUENCES[raw];
  if (named) return named;
  if (raw.length === 1) {
    const code = raw.charCodeAt(0);
    if (code >= 1 && code <= 26) return `ctrl+${String.fromCharCode(code + 96)}`;
    if (code >= 32) return raw;
    return undefined;
  }
  // One printable character outside the BMP (an emoji) is still one key.
  if ([...raw].length === 1 && !raw.startsWith('\u001b')) return raw;
  return undefined;
}

/** Printable text a prompt (filter, search) may take from a keypress, or undefined. */
export function printable(raw: string): string | undefined {
  if (raw.startsWith('\u001b')) return undefined;
  // eslint-disable-next-line no-control-regex
  const text = raw.replace(/[\u0000-\u001f\u007f]/g, '');
  return text.length ? text : undefined;
}
