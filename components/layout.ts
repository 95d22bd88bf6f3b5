/** Where each part of the dashboard goes for a terminal size; pure, so resizing is just a new layout. */

export interface Box {
  width: number;
  height: number;
}

export interface Layout {
  /** The DAG view, or undefined when hidden (zoom, or narrow with the pane shown). */
  dag?: Box;
  /** The pane area (split into up to four), or undefined when hidden. */
  panes?: Box;
  /** The size of one agent's terminal in the single-pane view: what agents are resized to. */
  term: { cols: number; rows: number };
}

export const HEADER_ROWS = 2;
const FOOTER_ROWS = 2;
/** A pane's border (2) plus its title row. */
export const PANE_CHROME_ROWS = 3;
const PANE_CHROME_COLS = 2;

/**
 * The frame is one row shorter than the terminal: Ink clears the whole
 * screen on every frame that fills it, which flickers and wipes scrollback.
 */
export function layout(columns: number, rows: number, opts: LayoutOptions): Layout {
  const cols = Math.max(20, columns);
  const height = Math.max(8, rows - 1);
  const body = height - HEADER_ROWS - FOOTER_ROWS;
  // Under 80 columns: one column, the task list or the pane.
  const narrow = cols < 80;
  const dagWidth = narrow ? 0 : listWidthFor(cols, opts.listWant, opts.listAdjust ?? 0);
  let dag: Box | undefined;
  let panes: Box | undefined;
  if (opts.zoom) panes = { width: cols, height: body };
  else if (narrow) {
    if (opts.paneFocused) panes = { width: cols, height: body };
    else dag = { width: cols, height: body };
  } else {
    dag = { width: dagWidth, height: body };
    panes = { width: cols - dagWidth, height: body };
  }
  // Agents keep the size of the pane they would have when shown alone, even while hidden or
  // zoomed: only the agents on screen in zoom or split get their own size (see paneSizes).
  const term = termOf({ width: cols - dagWidth, height: body });
  return { ...(dag ? { dag } : {}), ...(panes ? { panes } : {}), term };
}

export interface LayoutOptions {
  zoom: boolean;
  paneFocused: boolean;
  /** The columns the task list's longest rows need (listWidthWanted); without it, 40% of the terminal. */
  listWant?: number;
  /** Columns the person added (`>`) or took (`<`) from the list's width this session. */
  listAdjust?: number;
}

/** The columns `<` and `>` move the list's edge by. */
export const LIST_STEP = 4;
const LIST_MIN = 20;
/** The agent pane keeps at least this much beside the list, however wide the person makes it. */
const PANE_MIN = 30;

/**
 * The task list's width beside the panes: what its rows want, at least 34
 * columns and at most 40% of the terminal (and 100), so a wide terminal
 * gives the list room for long ids and the rest to the agent, and a list of
 * short rows leaves the agent more; then the person's adjustment, keeping
 * both usable.
 */
export function listWidthFor(cols: number, want: number | undefined, adjust: number): number {
  const most = Math.max(34, Math.min(100, Math.floor(cols * 0.4)));
  const auto = Math.min(most, Math.max(34, want ?? most));
  return Math.max(LIST_MIN, Math.min(cols - PANE_MIN, auto + adjust));
}

/** The grid of `n` split panes (1–4) in an area: one, two stacked, or two by two. */
export function splitGrid(area: Box, n: number): Box[][] {
  if (n <= 1) return [[area]];
  const top = Math.floor(area.height / 2);
  const heights = [top, area.height - top];
  if (n === 2) return heights.map((h) => [{ width: area.width, height: h }]);
  const left = Math.floor(area.width / 2);
  const widths = [left, area.width - left];
  return [
    widths.map((w) => ({ width: w, height: heights[0]! })),
    widths.slice(0, n - 2).map((w, i) => ({ width: n === 3 ? area.width : widths[i]!, height: heights[1]! })).slice(0, n - 2),
  ];
}

/** The terminal size inside a pane box: its border and title row taken off. */
function termOf(box: Box): { cols: number; rows: number } {
  return { cols: Math.max(10, box.width - PANE_CHROME_COLS), rows: Math.max(3, box.height - PANE_CHROME_ROWS) };
}

/**
 * The agents whose terminal differs from the single-pane size `term`: each
 * shown pane's task (zoom, split) sized to its own box. Everyone else keeps `term`.
 */
export function paneSizes(
  shown: ReadonlyArray<{ id: string | undefined; box: Box }>,
  term: { cols: number; rows: number },
): Map<string, { cols: number; rows: number }> {
  const sizes = new Map<string, { cols: number; rows: number }>();
  for (const { id, box } of shown) {
    if (id === undefined) continue;
    const size = termOf(box);
    if (size.cols !== term.cols || size.rows !== term.rows) sizes.set(id, size);
  }
  return sizes;
}
