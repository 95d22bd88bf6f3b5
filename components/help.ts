import type { Keymap, Scope } from './keymap.js';
import { DETACH_KEY } from './keymap.js';

const TITLES: Record<Scope, string> = { global: 'anywhere', tasks: 'task list', pane: 'agent pane (enter/tab focuses it)' };

/**
 * One drawn row of the help: a section title, a binding, or the wrapped rest of a binding's description.
 * A binding's first row starts with its command id (`retry: …`): what to write under `keys:` to rebind it.
 */
export type HelpRow = { kind: 'title'; text: string } | { kind: 'key'; keys: string; text: string; id?: string };

/** How the help is drawn in a box: its rows by column, and how far it scrolls. */
export interface HelpLayout {
  columns: HelpRow[][];
  keyWidth: number;
  columnWidth: number;
  /** Whether the title line (what closes the help) fits above the rows. */
  title: boolean;
  /** Whether the "rows a–b of n" line is drawn below them (it scrolls and there is room). */
  scrollLine: boolean;
  /** Rows of the list shown at once. */
  visible: number;
  /** The largest first row; 0 when everything is shown. */
  maxTop: number;
}

/** The border above and below the rows. */
const BORDER_ROWS = 2;
/** The border and padding left and right. */
const CHROME_COLUMNS = 4;
/** Spaces between the two columns. */
export const COLUMN_GAP = 2;

/** Words of `text` in lines of at most `width` characters; a word longer than that is cut. */
export function wrapWords(text: string, width: number): string[] {
  if (width <= 0) return [''];
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    for (let rest = word; rest.length > 0; ) {
      const gap = line === '' ? 0 : 1;
      if (line.length + gap + rest.length <= width) {
        line += (gap ? ' ' : '') + rest;
        rest = '';
      } else if (line === '') {
        lines.push(rest.slice(0, width));
        rest = rest.slice(width);
      } else {
        lines.push(line);
        line = '';
      }
    }
  }
  return [...lines, ...(line || lines.length === 0 ? [line] : [])];
}

function rows(keymap: Keymap, columnWidth: number, keyWidth: number): HelpRow[] {
  const out: HelpRow[] = [];
  const add = (keys: string, description: string, id?: string) => {
    // Keys too long for their column (a long `keys:` override) get a row of their own.
    const own = keys.length >= keyWidth;
    if (own) out.push({ kind: 'key', keys, text: '' });
    // A description that starts with its own id ("quit: asks first…") is not told it twice.
    const told = id ? `${id}: ${description.startsWith(`${id}: `) ? description.slice(id.length + 2) : description}` : description;
    wrapWords(told, columnWidth - keyWidth).forEach((text, i) =>
      out.push({ kind: 'key', keys: i === 0 && !own ? keys : '', text, ...(i === 0 && id ? { id } : {}) }),
    );
  };
  for (const scope of ['global', 'tasks', 'pane'] as const) {
    out.push({ kind: 'title', text: TITLES[scope] });
    for (const b of keymap.filter((k) => k.scope === scope)) add(b.keys.join(' '), b.description, b.id);
  }
  out.push({ kind: 'title', text: 'attached to an agent' });
  add(DETACH_KEY, 'detach; every other key goes to the agent');
  return out;
}

/** The key column: as wide as the longest keys, but never more than 40% of the column. */
function keyColumn(keymap: Keymap, columnWidth: number): number {
  const longest = Math.max(...keymap.map((b) => b.keys.join(' ').length), DETACH_KEY.length) + 2;
  return Math.max(1, Math.min(longest, Math.max(4, Math.floor(columnWidth * 0.4))));
}

/**
 * Lays the key help out in a `width` × `height` box: descriptions wrap (a
 * person must be able to read them), two columns when the screen is wide
 * and they fit, else one column that scrolls. On a very short box the title
 * and the scroll line give way so at least one row of keys shows.
 */
export function helpLayout(keymap: Keymap, width: number, height: number): HelpLayout {
  const inner = Math.max(1, height - BORDER_ROWS);
  if (width >= 120) {
    const columnWidth = Math.floor((width - CHROME_COLUMNS - COLUMN_GAP) / 2);
    const keyWidth = keyColumn(keymap, columnWidth);
    const all = rows(keymap, columnWidth, keyWidth);
    const visible = inner - 1;
    if (all.length <= visible * 2) {
      const per = Math.ceil(all.length / 2);
      return { columns: [all.slice(0, per), all.slice(per)], keyWidth, columnWidth, title: true, scrollLine: false, visible, maxTop: 0 };
    }
  }
  const columnWidth = Math.max(1, width - CHROME_COLUMNS);
  const keyWidth = keyColumn(keymap, columnWidth);
  const all = rows(keymap, columnWidth, keyWidth);
  const title = inner >= 2;
  if (all.length <= inner - (title ? 1 : 0)) return { columns: [all], keyWidth, columnWidth, title, scrollLine: false, visible: all.length, maxTop: 0 };
  // It scrolls: the rows get what is left after the title and the scroll line, in that order of giving way.
  const scrollLine = inner >= 2;
  const withTitle = inner >= 3;
  const visible = Math.max(1, inner - (withTitle ? 1 : 0) - (scrollLine ? 1 : 0));
  return { columns: [all], keyWidth, columnWidth, title: withTitle, scrollLine, visible, maxTop: all.length - visible };
}

/** The pane's scrolling commands, reused to scroll the help (so `keys:` overrides apply to both). */
const SCROLLING = ['line-down', 'line-up', 'scroll-down', 'scroll-up', 'top', 'follow'] as const;

/** The help's first row after `key`, or undefined when the key does not scroll it. */
export function scrollHelp(keymap: Keymap, key: string, top: number, help: Pick<HelpLayout, 'visible' | 'maxTop'>): number | undefined {
  const id = SCROLLING.find((c) => keymap.some((b) => b.id === c && b.keys.includes(key)));
  if (!id) return undefined;
  const page = Math.max(1, help.visible - 1);
  const next = { 'line-down': top + 1, 'line-up': top - 1, 'scroll-down': top + page, 'scroll-up': top - page, top: 0, follow: help.maxTop }[id];
  return Math.min(Math.max(0, next), help.maxTop);
}

/** The keys that scroll the help, for its last line: `j/k/pagedown/pageup`. */
export function helpScrollText(keymap: Keymap): string {
  return SCROLLING.slice(0, 4)
    .map((id) => keymap.find((b) => b.id === id)?.keys[0])
    .filter(Boolean)
    .join('/');
}
