import { useState } from 'react';
import type { DagRow } from '../dag-rows.js';
import { windowTop } from '../dag-rows.js';

/**
 * The first list row in view, scrolled only as far as keeps the selection
 * shown: where it starts depends on where it was, so it is state adjusted
 * while rendering (react.dev, useState). It lives above the list because a
 * click is mapped to a row through it too.
 */
export function useListTop(rows: readonly DagRow[], selected: string | undefined, height: number): number {
  const index = rows.findIndex((r) => r.kind === 'task' && r.record.spec.id === selected);
  const [shownTop, setShownTop] = useState(0);
  const top = windowTop(shownTop, index, height, rows.length);
  if (top !== shownTop) setShownTop(top);
  return top;
}
