import type { CommandResult } from '../../src/scheduler/commands.js';
import type { TaskDiffResult } from '../../src/scheduler/workspaces.js';
import type { CommandId } from '../keymap.js';
import type { MouseEvent } from '../mouse.js';
import type { PagerResult } from '../pager.js';

/** An engine command an effect runs; its typed result comes back as a `result` action. */
export type EngineCommand = Exclude<Effect, { kind: 'quit' | 'diff' }>['kind'];

/**
 * What the reducer asks of the world: the engine's commands, and leaving.
 * Data only; the dashboard's effect runner (effects.ts) carries them out.
 */
export type Effect =
  | { kind: 'pause' | 'resume' | 'retry' | 'skip' | 'cancel' | 'mark-done' | 'merge-again'; id: string }
  | { kind: 'pause-run' | 'resume-run' }
  /** Reads what a task changed; its answer comes back later as a `diff-loaded` action. */
  | { kind: 'diff'; id: string }
  /** Probes that the task takes input (an empty write) before keys go to it. */
  | { kind: 'attach'; id: string }
  | { kind: 'send-input'; id: string; data: string }
  /** Stops every agent (gracefully, or with `force` SIGKILL at once), then leaves once they are down. */
  | { kind: 'quit'; force: boolean };

/** Everything that changes the dashboard's state (docs/architecture.md §10). */
export type Action =
  /** Bytes from the terminal: one keypress, a paste, or keys typed faster than they were read. */
  | { type: 'key'; raw: string }
  /** A click or wheel notch, already told apart from keys by the raw input hook. */
  | { type: 'mouse'; event: MouseEvent }
  /** A keymap command, as a key in the focused scope resolves to. */
  | { type: 'command'; id: CommandId }
  /** Runs an effect as it stands (a confirmation's yes). */
  | { type: 'run'; effect: Effect }
  /** What an engine command did: the footer says so in the dashboard's words. */
  | { type: 'result'; effect: Exclude<Effect, { kind: 'quit' | 'diff' }>; result: CommandResult }
  /** The person quit the pager: the dashboard takes the terminal back. */
  | { type: 'pager-closed'; result: PagerResult }
  /** A task's diff, read (the `diff` effect's answer). */
  | { type: 'diff-loaded'; result: TaskDiffResult };
