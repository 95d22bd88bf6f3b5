/**
 * Control characters that would drive a terminal: C0 but tab and newline,
 * DEL, and C1 (U+0080–U+009F, where U+009B is a one-character CSI and U+009D
 * an OSC). ESC is among them: escaping it disarms every ESC sequence (a
 * clipboard write `ESC ] 52`, a title `ESC ] 0`, an OSC 8 link, a colour).
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

const NAMED: Record<string, string> = { '\r': '\\r', '\u001b': '\\e', '\u0007': '\\a', '\b': '\\b', '\f': '\\f', '\v': '\\v', '\0': '\\0' };

/**
 * Text from an agent, a plan or a config, made safe to print to a terminal:
 * each control character is written out as a visible escape (`\e`, `\r`,
 * `\x01`, `\u009b`), and the text around it is kept as it was. For every
 * place that prints such text outside an agent's own pane (headless lines,
 * tables, `show`, error messages, the dashboard's list and header).
 */
export function visible(text: string): string {
  CONTROL.lastIndex = 0;
  if (!CONTROL.test(text)) return text;
  return text.replace(CONTROL, (c) => NAMED[c] ?? (c.charCodeAt(0) < 0x80 ? `\\x${hex(c)}` : `\\u00${hex(c)}`));
}

/**
 * JSON for a line of `--json` output: JSON.stringify escapes C0 but writes
 * C1 characters raw, and a terminal showing the JSON would obey them.
 */
export function jsonText(value: unknown, space?: number): string {
  return JSON.stringify(value, null, space).replace(/[\u007f-\u009f]/g, (c) => `\\u00${hex(c)}`);
}

function hex(c: string): string {
  return c.charCodeAt(0).toString(16).padStart(2, '0');
}
