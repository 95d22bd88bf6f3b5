import { useCallback, useRef, useState } from 'react';
import type { Engine } from '../../src/scheduler/engine.js';
import { runEffect } from '../effects.js';
import { reduce } from '../reducer/reduce.js';
import type { Action } from '../reducer/actions.js';
import type { View } from '../reducer/types.js';
import { initialUi } from '../ui-state.js';
import type { UiState } from '../ui-state.js';

/**
 * The dashboard's state and its dispatch: reduce the action against the view
 * the person saw, run the effects on the engine, feed their typed results
 * back as actions — all before the next keypress, so keys typed fast still
 * act one after another on the newest state.
 */
export function useUi(engine: Engine, exit: () => void): [UiState, (action: Action, view: View) => void] {
  const [ui, setUi] = useState(initialUi);
  // The newest state between renders: a chunk of keys is reduced in one go.
  const latest = useRef(ui);
  // The view the last action was reduced against: what an answer that comes later (a diff) is reduced with.
  const lastView = useRef<View | undefined>(undefined);
  const dispatch = useCallback(
    (first: Action, view: View) => {
      const run = (start: Action, seen: View): void => {
        lastView.current = seen;
        const queue: Action[] = [start];
        let now = latest.current;
        for (let action = queue.shift(); action; action = queue.shift()) {
          const next = reduce(now, action, seen);
          now = next.ui;
          for (const effect of next.effects) {
            const result = runEffect(engine, effect, exit, (later) => run(later, lastView.current ?? seen));
            if (result && effect.kind !== 'quit' && effect.kind !== 'diff') queue.push({ type: 'result', effect, result });
          }
        }
        latest.current = now;
        setUi(now);
      };
      run(first, view);
    },
    [engine, exit],
  );
  return [ui, dispatch];
}
