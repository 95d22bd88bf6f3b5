import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The directory write paths and locks are relative to: the nearest git root
 * at or above `cwd` (a `.git` directory, or a `.git` file as in worktrees and
 * submodules), else `cwd` itself — so a plan means the same files wherever
 * in the repository it is run from.
 */
export function findWorkspace(cwd: string): string {
  const start = path.resolve(cwd);
  let dir = start;
  for (;;) {
    if (existsSync(path.join(dir, '.git'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return start;
    dir = parent;
  }
}

/**
 * Turns a write path from a plan into the canonical absolute path used as a
 * lock key (`./a`, `a` and `x/../a` are one key), or undefined when it points
 * outside the workspace or at the workspace itself — a task may only lock
 * what is inside. The check is lexical: symlinks are not followed, since the
 * files usually do not exist yet.
 */
export function resolveWritePath(workspace: string, p: string): string | undefined {
  if (p.length === 0) return undefined;
  const root = path.resolve(workspace);
  const abs = path.resolve(root, p);
  const rel = path.relative(root, abs);
  if (rel === '' || path.isAbsolute(rel) || rel === '..' || rel.startsWith(`..${path.sep}`)) return undefined;
  return abs;
}
