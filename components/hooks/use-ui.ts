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
  const dispatch = useCallback(
    (first: Action, view: View) => {
      const queue: Action[] = [first];
      let now = latest.current;
      for (let action = queue.shift(); action; action = queue.shift()) {
        const next = reduce(now, action, view);
        now = next.ui;
        for (const effect of next.effects) {
          const result = runEffect(engine, effect, exit);
          if (result && effect.kind !== 'quit') queue.push({ type: 'result', effect, result });
        }
      }
      latest.current = now;
      setUi(now);
    },
    [engine, exit],
  );
  return [ui, dispatch];
}
