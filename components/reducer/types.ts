import type { CommandResult } from '../../src/scheduler/commands.js';
import type { RunSnapshot } from '../../src/scheduler/run-store.js';
import type { CommandId, Keymap } from '../keymap.js';
import type { UiState } from '../ui-state.js';

/** An engine command an effect runs; its typed result comes back as a `result` action. */
export type EngineCommand = Exclude<Effect, { kind: 'quit' }>['kind'];

/**
 * What the reducer asks of the world: the engine's commands, and leaving.
 * Data only; the dashboard's effect runner (effects.ts) carries them out.
 */
export type Effect =
  | { kind: 'pause' | 'resume' | 'retry' | 'skip' | 'cancel' | 'mark-done'; id: string }
  | { kind: 'pause-run' | 'resume-run' }
  /** Probes that the task takes input (an empty write) before keys go to it. */
  | { kind: 'attach'; id: string }
  | { kind: 'send-input'; id: string; data: string }
  /** Stops every agent (gracefully, or with `force` SIGKILL at once), then leaves once they are down. */
  | { kind: 'quit'; force: boolean };

/** Everything that changes the dashboard's state (STYLE §17). */
export type Action =
  /** Bytes from the terminal: one keypress, a paste, or keys typed faster than they were read. */
  | { type: 'key'; raw: string }
  /** A keymap command, as a key in the focused scope resolves to. */
  | { type: 'command'; id: CommandId }
  /** Runs an effect as it stands (a confirmation's yes). */
  | { type: 'run'; effect: Effect }
  /** What an engine command did: the footer says so in the dashboard's words. */
  | { type: 'result'; effect: Exclude<Effect, { kind: 'quit' }>; result: CommandResult };

/** A reducer's answer: the next state and what to do. */
export interface Step {
  readonly ui: UiState;
  readonly effects: readonly Effect[];
}

/**
 * What the reducer reads of the run and the screen. What depends on the
 * dashboard's own state is asked of it (the order under a filter, a task's
 * output), so keys that arrive before the next frame — a paste, fast
 * typing — act on the state the keys before them made, not on the last frame.
 */
export interface View {
  readonly snapshot: RunSnapshot;
  readonly keymap: Keymap;
  /** Task ids in the order the DAG view lists them under `filter`. */
  order(filter: string): readonly string[];
  readonly listHeight: number;
  readonly paneRows: number;
  /** Lines in a task's screen buffer (0 without one). */
  paneLength(id: string | undefined): number;
  /** Lines of a task's output that contain `query`. */
  search(id: string | undefined, query: string): number[];
  /** The help as drawn now: how far it scrolls. */
  readonly help: { readonly visible: number; readonly maxTop: number };
}

/** A handler of one keymap command. */
export type Handler = (ui: UiState, view: View) => Step;
