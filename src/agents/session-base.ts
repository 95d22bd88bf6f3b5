import { constants as osConstants } from 'node:os';
import { errnoCode } from '../os/errno.js';
import type { Spawner } from '../os/spawner.js';

/** How to run one agent process: its argv, where, with what, and where its output goes. */
export interface SessionOptions {
  /** [command, ...args]; never a shell string built from a prompt. */
  argv: readonly string[];
  cwd: string;
  /** Added on top of process.env (these win). */
  env?: Record<string, string>;
  /**
   * Whose session this is, for a person reading the agent's environment
   * (`<run>/<task>/<attempt>`: attemptLabel). It starts the session's
   * ORCHESTRATOR_TASK marker, which finds what the agent started outside its
   * process group when the session stops. Unset: `session`.
   */
  label?: string;
  /** pty: a real terminal a person can type into; pipe: stdout+stderr, stdin /dev/null. */
  mode: 'pty' | 'pipe';
  cols: number;
  rows: number;
  /** Grace between SIGTERM and SIGKILL when stopping. */
  killGraceMs: number;
  /** Abort → stop(). */
  signal?: AbortSignal;
  /**
   * Starts pipe sessions in this spawner process instead of forking the
   * orchestrator (src/os/spawner.ts), while it runs. Unset, or dead: in-process.
   */
  spawner?: Spawner;
  /** Called once with the leader's pid when it is known: at once in-process, a moment later through a spawner. */
  onStart?(pid: number): void;
  /** Every byte the process wrote, UTF-8 decoded, in order, none lost; `stream` says it came on stderr (pipes only). */
  onData(chunk: string, stream?: 'stderr'): void;
}

/** How a session ended. */
export interface SessionExit {
  code: number | null;
  signal: string | null;
  /** Set when the process could not start: "cannot start 'x': not found" etc. */
  error?: string;
}

/** One running agent process in its own process group. */
export interface Session {
  /** The leader's pid; through a spawner, undefined until it started (SessionOptions.onStart). */
  readonly pid: number | undefined;
  /**
   * Types into the process's terminal (pty mode). A no-op on pipes: a pipe
   * session's stdin is /dev/null, so an agent that reads stdin (claude -p
   * does when stdin is not a TTY) sees end-of-file instead of waiting forever.
   */
  write(data: string): void;
  /** pty: resizes the terminal, so SIGWINCH reaches the process. A no-op on pipes. */
  resize(cols: number, rows: number): void;
  /** SIGSTOP to the process group. */
  pause(): void;
  /** SIGCONT to the process group. */
  resume(): void;
  /**
   * SIGTERM to the group, killGraceMs, SIGKILL; resolves when the group is
   * gone, and with it what the agent started outside the group (its
   * ORCHESTRATOR_TASK marker: docs/architecture.md §5).
   */
  stop(): Promise<void>;
  /** Resolves after the process exited AND every byte was delivered to onData, group and escaped processes cleaned up. */
  readonly exited: Promise<SessionExit>;
}

/** A session that never started: every control is a no-op, `exited` carries the reason. */
export function failedSession(error: string): Session {
  return {
    pid: undefined,
    write() {},
    resize() {},
    pause() {},
    resume() {},
    stop: () => Promise.resolve(),
    exited: Promise.resolve({ code: null, signal: null, error }),
  };
}

/** The reason for a spawn error that slipped past startProblem (a race); never quotes argv or env values. */
export function spawnErrorReason(command: string, err: unknown): string {
  const code = errnoCode(err);
  const what =
    code === 'ENOENT' ? 'not found'
    : code === 'EACCES' ? 'permission denied'
    // Node's message quotes the offending value, which may be a secret from env.
    : code === 'ERR_INVALID_ARG_VALUE' || code === 'ERR_INVALID_ARG_TYPE' ? 'an argument or environment value is invalid'
    : err instanceof Error ? err.message
    : String(err);
  return `cannot start '${command}': ${what}`;
}

/** A signal number as its name (9 → SIGKILL); null for 0 or unknown. */
export function signalName(signal: number | undefined | null): string | null {
  if (!signal) return null;
  for (const [name, value] of Object.entries(osConstants.signals)) if (value === signal) return name;
  return `signal ${signal}`;
}
