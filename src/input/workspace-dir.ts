import { statSync } from 'node:fs';
import { UserError } from '../errors.js';
import { errnoCode } from '../os/errno.js';

/**
 * Refuses a workspace that is not an existing directory (`--workspace` to a
 * typo), before anything could create it or its `.orchestrator/`.
 */
export function requireWorkspaceDir(dir: string): void {
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (err) {
    const code = errnoCode(err);
    const why = code === 'ENOENT' || code === 'ENOTDIR' ? 'does not exist' : `cannot be read (${(err as Error).message})`;
    throw new UserError(`the workspace ${dir} ${why}: give an existing folder with --workspace, or run from inside one`);
  }
  if (!isDir) throw new UserError(`the workspace ${dir} is not a folder: give a folder with --workspace`);
}

/** A write into the workspace that failed for want of permission: said as the person's problem (exit 2), not a crash. */
export function workspaceWriteError(dir: string, err: unknown): UserError | undefined {
  const code = errnoCode(err);
  if (code === 'EROFS') return new UserError(`the workspace ${dir} is on a read-only file system: a run records itself in ${dir}/.orchestrator`);
  if (code === 'EACCES' || code === 'EPERM') return new UserError(`the workspace ${dir} is not writable by you: a run records itself in ${dir}/.orchestrator (check its permissions)`);
  if (code === 'ENOSPC') return new UserError(`no space left on the device of ${dir}: free some space, then run again`);
  return undefined;
}
