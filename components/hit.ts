import type { DagRow } from './dag-rows.js';
import type { Box } from './layout.js';
import { HEADER_ROWS } from './layout.js';

/** What is drawn at a cell of the frame, as far as a click cares. */
export type Hit = { kind: 'task'; id: string } | { kind: 'pane'; id: string | undefined } | { kind: 'none' };

/** Where things were in the frame the person clicked on: the layout's boxes and what filled them. */
export interface Frame {
  /** The task list's box, when shown. */
  dag?: Box;
  /** The list's rows and the first one in view. */
  rows: readonly DagRow[];
  top: number;
  /** The pane area's grid (splitGrid) and the task of each box, row by row. */
  grid: readonly (readonly Box[])[];
  paneIds: readonly (string | undefined)[];
}

/** Above the list's rows in its box: the border and the title line. */
const LIST_HEAD_ROWS = 2;

/**
 * What the 0-based cell (x, y) shows: a task row of the list, an agent
 * pane, or nothing clickable (the header, the footer, a level heading, a
 * border). The body starts under the header; the list is on the left, the
 * panes fill the rest (layout.ts), split as splitGrid cuts them.
 */
export function hitTest(frame: Frame, x: number, y: number): Hit {
  const bodyY = y - HEADER_ROWS;
  if (bodyY < 0) return { kind: 'none' };
  const dagWidth = frame.dag?.width ?? 0;
  if (frame.dag && x < dagWidth) {
    const inList = bodyY - LIST_HEAD_ROWS;
    const listRows = Math.max(1, frame.dag.height - 4);
    if (bodyY >= frame.dag.height || inList < 0 || inList >= listRows || x === 0 || x === dagWidth - 1) return { kind: 'none' };
    const row = frame.rows[frame.top + inList];
    return row?.kind === 'task' ? { kind: 'task', id: row.record.spec.id } : { kind: 'none' };
  }
  let top = 0;
  let index = 0;
  for (const line of frame.grid) {
    const height = line[0]?.height ?? 0;
    let left = dagWidth;
    for (const box of line) {
      if (bodyY >= top && bodyY < top + box.height && x >= left && x < left + box.width) return { kind: 'pane', id: frame.paneIds[index] };
      left += box.width;
      index++;
    }
    top += height;
  }
  return { kind: 'none' };
}
