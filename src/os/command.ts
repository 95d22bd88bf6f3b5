import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import path from 'node:path';
import { errnoCode } from './errno.js';

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
