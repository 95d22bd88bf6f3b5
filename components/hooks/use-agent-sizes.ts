import { useEffect, useRef } from 'react';
import type { Engine } from '../../src/scheduler/engine.js';

type TermSize = { cols: number; rows: number };

const sizeKey = (s: TermSize) => `${s.cols}x${s.rows}`;

/**
 * Keeps every agent's terminal the size of the pane it is drawn in: all of
 * them at the single-pane size `term`, and each task in `sized` (a zoomed
 * pane, the split panes) at its own, so an agent in a quarter of the screen
 * wraps its output to that quarter instead of being cropped. A task leaving
 * `sized` goes back to `term`. Only what changed is resized: every resize
 * is a SIGWINCH to an agent.
 */
export function useAgentSizes(engine: Engine, term: TermSize, sized: ReadonlyMap<string, TermSize>): void {
  const applied = useRef<{ term: string; sized: Map<string, string> }>(undefined);
  // A screen appears on a task's first output, at the run's default size: that is a change to apply too.
  const entries = [...sized].map(([id, s]) => [id, `${sizeKey(s)}${engine.screen(id) ? '' : '?'}`] as const);
  const key = `${sizeKey(term)}|${entries.map(([id, k]) => `${id}=${k}`).join(',')}`;
  useEffect(() => {
    const want = new Map(entries);
    let prev = applied.current;
    if (prev?.term !== sizeKey(term)) {
      // Sets the size new agents start at and resizes every screen, the sized ones included.
      engine.resize(term.cols, term.rows);
      prev = { term: sizeKey(term), sized: new Map() };
    }
    for (const id of prev.sized.keys()) if (!want.has(id)) engine.resize(term.cols, term.rows, id);
    for (const [id, k] of want) {
      if (prev.sized.get(id) === k) continue;
      const size = sized.get(id)!;
      engine.resize(size.cols, size.rows, id);
    }
    applied.current = { term: prev.term, sized: want };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `key` is the whole of term and sized, screens included: fresh objects every render, a resize (SIGWINCH) only when it changes
  }, [engine, key]);
}
