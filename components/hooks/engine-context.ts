import { createContext, useContext } from 'react';
import type { Engine } from '../../src/scheduler/engine.js';

/** The one engine of the dashboard, handed down by the composition root (docs/architecture.md §10). */
export const EngineContext = createContext<Engine | undefined>(undefined);

/** The engine, for sending commands; state is read through useRun. */
export function useEngine(): Engine {
  const engine = useContext(EngineContext);
  if (!engine) throw new Error('useEngine outside <EngineContext.Provider>');
  return engine;
}
