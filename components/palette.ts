/**
 * Terminal colours → Ink colours. Palette indexes 0–15 become Ink's names
 * (so the person's terminal theme applies, as it would for the agent run
 * bare); 16–255 become hex through the standard xterm-256 table.
 */

const NAMES = [
  'black',
  'red',
  'green',
  'yellow',
  'blue',
  'magenta',
  'cyan',
  'white',
  'gray',
  'redBright',
  'greenBright',
  'yellowBright',
  'blueBright',
  'magentaBright',
  'cyanBright',
  'whiteBright',
] as const;

const hex2 = (n: number) => n.toString(16).padStart(2, '0');

/** The xterm-256 colour of a palette index ≥ 16: a 6×6×6 cube, then 24 greys. */
export function xtermHex(index: number): string {
  if (index >= 232) {
    const v = 8 + (index - 232) * 10;
    return `#${hex2(v)}${hex2(v)}${hex2(v)}`;
  }
  const i = index - 16;
  const level = (n: number) => (n === 0 ? 0 : 55 + n * 40);
  return `#${hex2(level(Math.floor(i / 36)))}${hex2(level(Math.floor(i / 6) % 6))}${hex2(level(i % 6))}`;
}

/** An Ink colour for a StyledRun colour (a palette index or `#rrggbb`); undefined keeps the default. */
export function inkColor(color: number | string | undefined): string | undefined {
  if (color === undefined) return undefined;
  if (typeof color === 'string') return /^#[0-9a-f]{6}$/i.test(color) ? color : undefined;
  if (!Number.isInteger(color) || color < 0 || color > 255) return undefined;
  return color < 16 ? NAMES[color] : xtermHex(color);
}
