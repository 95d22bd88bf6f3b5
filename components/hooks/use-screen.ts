import { useCallback, useSyncExternalStore } from 'react';
import type { TerminalScreen } from '../../src/agents/screen.js';
import { atMostEvery } from '../at-most-every.js';
import { useEngine } from './engine-context.js';

const noop = () => () => {};

/**
 * How often a flooding screen may redraw its pane. Ink builds each frame
 * cell by cell (an object per cell, a style Set and strings per cell): at 30
 * frames a second that was ~100 MB/s, two thirds of all the dashboard
 * allocated under 8 agents × 1 MB/s, and V8 pretenures the cells (measured:
 * they go straight to the old generation, whose garbage V8 lets grow to ~4×
 * what is live). At 100 ms they were still the largest old-generation
 * garbage; at 250 ms half of it (BENCHMARKS.md, dashboard-memory). Four
 * frames a second of a flood is still a moving screen; a change after a
 * quiet spell (the echo of a typed key) shows at once.
 */
const SCREEN_MS = 250;

/**
 * A task's terminal screen and its version, so a pane redraws when the agent
 * writes. The screen appears on the task's first output; the store notifies
 * its subscribers after output even when the snapshot version stays the same,
 * so every notification re-checks `engine.screen(id)` (a stable object, so
 * React re-renders only when it appears or changes), then the screen's own
 * onChange tells us about its content.
 */
export function useScreen(id: string | undefined): { screen: TerminalScreen | undefined; version: number } {
  const engine = useEngine();
  const store = engine.store;
  // The store hears of a first output before the executor opens the screen for it (same tick):
  // look again once that is done, so an unbatched store (publish interval 0) does not miss it.
  const onStore = useCallback(
    (listener: () => void) => {
      let subscribed = true;
      const off = store.subscribe(() => {
        listener();
        queueMicrotask(() => subscribed && listener());
      });
      return () => {
        subscribed = false;
        off();
      };
    },
    [store],
  );
  const getScreen = useCallback(() => (id === undefined ? undefined : engine.screen(id)), [engine, id]);
  const screen = useSyncExternalStore(onStore, getScreen, getScreen);
  const subscribe = useCallback(
    (listener: () => void) => {
      if (!screen) return noop();
      const paced = atMostEvery(SCREEN_MS, listener);
      const off = screen.onChange(paced.call);
      return () => {
        off();
        paced.cancel();
      };
    },
    [screen],
  );
  const get = useCallback(() => screen?.version ?? -1, [screen]);
  const v = useSyncExternalStore(subscribe, get, get);
  return { screen, version: v };
}
