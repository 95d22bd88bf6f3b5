import { statSync } from 'node:fs';
import { resolveCommand } from '../os/command.js';
import { TASK_ENV, taskMarker } from '../os/marked.js';
import { RUN_ENV } from '../os/proc.js';
import { failedSession } from './session-base.js';
import type { Session, SessionOptions } from './session-base.js';
import { startPipeSession } from './session-pipe.js';
import { startPtySession } from './session-pty.js';

export type { Session, SessionExit, SessionOptions } from './session-base.js';

/**
 * Starts `argv` in its own process group, in a pseudo-terminal (`pty`) or on
 * pipes, so an agent can be watched, typed into, paused and killed as a whole.
 * Never throws: a command that cannot start resolves `exited` with `error`.
 */
export function startSession(opts: SessionOptions): Session {
  const env: Record<string, string> = { ...(process.env as Record<string, string>), ...opts.env };
  const problem = startProblem(opts.argv, opts.cwd, env);
  if (problem !== undefined) return failedSession(problem);
  // Every session gets its own marker, so what its agent starts outside its group is found when it stops.
  env[TASK_ENV] = taskMarker(opts.label ?? 'session');
  const marker = `${TASK_ENV}=${env[TASK_ENV]}`;
  return opts.mode === 'pty' ? startPtySession(opts, env, marker) : startPipeSession(opts, env, marker);
}

/**
 * The label of one attempt's session: `<run>/<task>/<attempt>`, the run read
 * from the backend's environment (RUN_ENV), `-` when there is none.
 */
export function attemptLabel(taskId: string, attempt: number, env?: Readonly<Record<string, string>>): string {
  return `${env?.[RUN_ENV] ?? '-'}/${taskId}/${attempt}`;
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
