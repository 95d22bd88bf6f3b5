import { useCallback, useSyncExternalStore } from 'react';
import type { TerminalScreen } from '../../src/agents/screen.js';
import { useEngine } from './engine-context.js';
import { useRun } from './use-run.js';

const version = (s: { version: number }) => s.version;
const noop = () => () => {};

/**
 * A task's terminal screen and its version, so a pane redraws when the agent
 * writes. The screen appears on the task's first output, which the run's
 * snapshot version tells us about.
 */
export function useScreen(id: string | undefined): { screen: TerminalScreen | undefined; version: number } {
  const engine = useEngine();
  // A new snapshot (output arrived, a task started) is when a screen may first exist.
  useRun(version);
  const screen = id === undefined ? undefined : engine.screen(id);
  const subscribe = useCallback(
    (listener: () => void) => (screen ? screen.onChange(listener) : noop()),
    [screen],
  );
  const get = useCallback(() => screen?.version ?? -1, [screen]);
  const v = useSyncExternalStore(subscribe, get, get);
  return { screen, version: v };
}
