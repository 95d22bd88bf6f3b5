import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import { errnoCode } from './process-group.js';
import { startPipeSession } from './session-pipe.js';
import { startPtySession } from './session-pty.js';

/** How to run one agent process: its argv, where, with what, and where its output goes. */
export interface SessionOptions {
  /** [command, ...args]; never a shell string built from a prompt. */
  argv: readonly string[];
  cwd: string;
  /** Added on top of process.env (these win). */
  env?: Record<string, string>;
  /** pty: a real terminal a person can type into; pipe: stdout+stderr, stdin /dev/null. */
  mode: 'pty' | 'pipe';
  cols: number;
  rows: number;
  /** Grace between SIGTERM and SIGKILL when stopping. */
  killGraceMs: number;
  /** Abort → stop(). */
  signal?: AbortSignal;
  /** Every byte the process wrote, UTF-8 decoded, in order, none lost. */
  onData(chunk: string): void;
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
  /** SIGTERM to the group, killGraceMs, SIGKILL; resolves when the group is gone. */
  stop(): Promise<void>;
  /** Resolves after the process exited AND every byte was delivered to onData, group cleaned up. */
  readonly exited: Promise<SessionExit>;
}

/**
 * Starts `argv` in its own process group, in a pseudo-terminal (`pty`) or on
 * pipes, so an agent can be watched, typed into, paused and killed as a whole.
 * Never throws: a command that cannot start resolves `exited` with `error`.
 */
export function startSession(opts: SessionOptions): Session {
  const env: Record<string, string> = { ...(process.env as Record<string, string>), ...opts.env };
  const problem = startProblem(opts.argv, opts.cwd, env);
  if (problem !== undefined) return failedSession(problem);
  return opts.mode === 'pty' ? startPtySession(opts, env) : startPipeSession(opts, env);
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

/**
 * Why `argv` cannot start in `cwd`, checked before forking: a pty's child
 * reports a failed exec only as text on the terminal and exit code 1, which
 * would read as the agent's own failure.
 */
export function startProblem(argv: readonly string[], cwd: string, env: Record<string, string>): string | undefined {
  const command = argv[0];
  if (command === undefined || command === '') return 'cannot start: the command is empty';
  const say = (what: string): string => `cannot start '${command}': ${what}`;
  if (argv.some((a) => a.includes('\0'))) return say('an argument contains a NUL byte');
  for (const [key, value] of Object.entries(env)) {
    // Named, never quoted: the value may be a secret, and this reason is journaled and printed.
    if (key.includes('\0')) return say('an environment variable name contains a NUL byte');
    if (value.includes('\0')) return say(`environment variable ${key} contains a NUL byte`);
  }
  try {
    if (!statSync(cwd).isDirectory()) return say(`working directory '${cwd}' is not a directory`);
  } catch {
    return say(`working directory '${cwd}' does not exist`);
  }
  const resolved = resolveCommand(command, { cwd, env });
  return resolved.found ? undefined : say(resolved.why === 'not found' ? 'not found' : 'permission denied');
}

/** Where a provider's command was found, or why it was not. */
export type Resolved = { found: true; path: string } | { found: false; why: 'not found' | 'not executable' };

/**
 * Resolves a command as the session will: a name is looked up on PATH (the
 * provider's own env PATH wins), a path is taken relative to `cwd`.
 */
export function resolveCommand(command: string, opts: { cwd: string; env?: Record<string, string> }): Resolved {
  const searchPath = opts.env?.PATH ?? process.env.PATH ?? '';
  if (command.includes('/')) return check(path.resolve(opts.cwd, command));
  let sawFile = false;
  for (const dir of searchPath.split(path.delimiter)) {
    const result = check(path.join(path.resolve(opts.cwd, dir || '.'), command));
    if (result.found) return result;
    if (result.why === 'not executable') sawFile = true;
  }
  return { found: false, why: sawFile ? 'not executable' : 'not found' };
}

function check(file: string): Resolved {
  try {
    if (statSync(file).isDirectory()) return { found: false, why: 'not executable' };
    accessSync(file, fsConstants.X_OK);
    return { found: true, path: file };
  } catch (err) {
    const code = errnoCode(err);
    return { found: false, why: code === 'ENOENT' || code === 'ENOTDIR' ? 'not found' : 'not executable' };
  }
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
