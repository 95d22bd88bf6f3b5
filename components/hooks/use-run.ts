import { useCallback, useSyncExternalStore } from 'react';
import type { RunSnapshot } from '../../src/scheduler/run-store.js';
import { useEngine } from './engine-context.js';

/**
 * Reads part of the run through the store's throttled snapshot (docs/architecture.md §10).
 * The selector must return a part of the snapshot or a primitive, never a
 * freshly built object, or React would re-render forever.
 */
export function useRun<T>(selector: (snapshot: RunSnapshot) => T): T {
  const { store } = useEngine();
  const get = useCallback(() => selector(store.getSnapshot()), [store, selector]);
  return useSyncExternalStore(store.subscribe, get, get);
}
