import type { AgentRole, ProviderConfig } from '../config/schema.js';
import type { TaskSpec } from '../plan/schema.js';

/** What a backend needs to run one attempt of one task. */
export interface BackendContext {
  task: TaskSpec;
  /** The role the task runs as, and the provider that role maps to. */
  roleName: string;
  role: AgentRole;
  providerName: string;
  provider: ProviderConfig;
  /** Working directory for the agent: the workspace. */
  workdir: string;
  /** 1 for the first attempt. */
  attempt: number;
  /** Aborted on cancel, timeout or shutdown; the backend must stop its process group. */
  signal: AbortSignal;
  /** Grace between SIGTERM and SIGKILL when stopping. */
  killGraceMs: number;
  /** Everything the agent prints, as it prints it. */
  output(chunk: string): void;
}

/** How one attempt ended. A backend resolves; it does not throw for agent failures. */
export type BackendOutcome =
  | { ok: true; result: string }
  | { ok: false; reason: string; exitCode?: number };

/** A running attempt: its outcome, plus the pause control the engine needs. */
export interface Execution {
  done: Promise<BackendOutcome>;
  /** Stops the agent where it is (SIGSTOP to its process group). */
  pause(): void;
  /** Continues a paused agent (SIGCONT). */
  resume(): void;
}

/**
 * A provider implementation: starts one attempt of a task. Registered per
 * provider type (`shell`, `claude`, ...); the engine routes each role to one.
 */
export interface Backend {
  start(ctx: BackendContext): Execution;
}
