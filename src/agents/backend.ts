import type { AgentRole, ProviderConfig } from '../config/schema.js';
import type { TaskSpec } from '../plan/schema.js';
import type { Spawner } from '../os/spawner.js';

/** Tokens and cost an agent reported. Every field is a sum; absent means not reported. */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /**
   * US dollars, when the agent reports cost (Claude Code does; Codex does not).
   * Absent: not reported (shown as `-`, never as $0). A total has it when any part did.
   */
  costUsd?: number;
}

/** What an agent said about itself while it ran: its session id, and usage as it accrues. */
export interface AgentReport {
  /** The id to resume this agent's conversation with (Claude session, Codex thread, Goose session name). */
  sessionId?: string;
  /** Usage since the last report (a delta, not a running total). */
  usage?: Partial<Usage>;
  /**
   * The agent's process group id, reported once it has started: the run
   * database records it so agents left behind by a killed orchestrator are
   * killed when the workspace's next run or resume starts.
   */
  pid?: number;
  /**
   * An interactive agent sits at a question, waiting for the person: the
   * question's line as its screen shows it (PromptWatch); null once output
   * or typed keys end the wait. The dashboard marks the task "needs you".
   */
  asking?: string | null;
}

/**
 * Where one attempt works. For an isolated task, its git worktree (`cwd`) on
 * `branch`, started from `baseCommit` (the run's result with every
 * dependency merged); for a task that is not isolated, the workspace root alone.
 */
export interface Workspace {
  cwd: string;
  baseCommit?: string;
  branch?: string;
}

/** What a backend needs to run one attempt of one task. */
export interface BackendContext {
  task: TaskSpec;
  /** The role the task runs as, and the provider that role maps to. */
  roleName: string;
  role: AgentRole;
  providerName: string;
  provider: ProviderConfig;
  /** Where the agent works: the task's worktree, or the workspace root for a task that is not isolated. */
  workspace: Workspace;
  /** 1 for the first attempt. */
  attempt: number;
  /** Aborted on cancel, timeout or shutdown; the backend must stop its process group. */
  signal: AbortSignal;
  /** Grace between SIGTERM and SIGKILL when stopping. */
  killGraceMs: number;
  /** The size of the task's terminal (its pane); a pty session starts at this size. */
  cols: number;
  rows: number;
  /**
   * Set when this attempt should continue an earlier agent conversation (a retry or a
   * resumed run): the session id the agent reported before. Unset: start fresh.
   */
  resumeSessionId?: string;
  /** Why the previous attempt failed, to tell the agent when it continues its conversation. */
  retryNote?: string;
  /**
   * With resumeSessionId: the task's tokens and cost already counted in that
   * conversation (its earlier attempts in it). An agent that reports its
   * session's running totals (Goose, Codex) has them taken off, so a resumed
   * conversation is not counted twice.
   */
  usageSoFar?: Usage;
  /**
   * What the task printed, as it happens: readable progress lines or bytes from pipes (the pane
   * shows them; the transcript keeps them, escapes removed). A terminal's output comes twice:
   * its bytes `only: 'screen'` (the pane and `--json`), and the text rendered from them
   * `only: 'transcript'` (the transcript and the store's last lines; see ScreenText).
   */
  output(chunk: string, only?: OutputOnly): void;
  /** The agent's session id and usage, as soon as the backend learns them. */
  report(info: AgentReport): void;
}

/** Where a piece of output goes when not everywhere: a terminal's bytes to screens, the text rendered from them to the transcript. */
export type OutputOnly = 'screen' | 'transcript';

/**
 * Whether trying the same thing again may work: decides automatic retries (and circuit breakers).
 * `usage-limit`: the provider's usage limit for the account; it works again once the limit resets.
 */
export type FailureClass = 'transient' | 'permanent' | 'usage-limit';

/** How one attempt ended. A backend resolves; it does not throw for agent failures. */
export type BackendOutcome =
  | { ok: true; result: string }
  | {
      ok: false;
      reason: string;
      exitCode?: number;
      /** Unset: unknown, treated as transient (a retry is allowed). */
      failure?: FailureClass;
      /** When the agent said how long to wait before trying again (a rate limit's retry-after). */
      retryAfterMs?: number;
      /** A usage limit's reset (epoch ms), when the agent said when (`failure: 'usage-limit'`). */
      resetsAt?: number;
    };

/** A running attempt: its outcome, plus the controls the engine and the dashboard need. */
export interface Execution {
  done: Promise<BackendOutcome>;
  /** Stops the agent where it is (SIGSTOP to its process group). */
  pause(): void;
  /** Continues a paused agent (SIGCONT). */
  resume(): void;
  /** Types into the agent's terminal (a person attached to it). Absent: it has no terminal input. */
  write?(data: string): void;
  /** Resizes the agent's terminal (SIGWINCH reaches it). */
  resize?(cols: number, rows: number): void;
  /**
   * The person says the task is done (an interactive agent): the attempt ends as completed,
   * its process group stopped. Absent: this execution cannot be marked done.
   */
  markDone?(): void;
}

/** What a backend is built with: the same for every task of a run. */
export interface BackendOptions {
  /**
   * Added to every agent's environment, over the provider's own `env`: per-run
   * values such as ORCHESTRATOR_RUN, the marker by which a killed run's
   * leftover agents are found in /proc. Never written into `process.env`.
   */
  env?: Readonly<Record<string, string>>;
  /** Starts the run's pipe sessions without forking the orchestrator (config `spawner`; src/os/spawner.ts). */
  spawner?: Spawner;
}

/**
 * A provider implementation: starts one attempt of a task. Registered per
 * provider type (`shell`, `claude`, ...); the engine routes each role to one.
 */
export interface Backend {
  start(ctx: BackendContext): Execution;
}
