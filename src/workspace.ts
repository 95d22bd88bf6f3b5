import { existsSync, lstatSync, readlinkSync, realpathSync } from 'node:fs';
import type { Stats } from 'node:fs';
import path from 'node:path';
import { errnoCode } from './os/errno.js';

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

/** A path as the kernel would reach it: every symlink in its existing part followed. */
export interface RealFile {
  /** The real path: realpath of the deepest existing ancestor, then the parts that do not exist yet. */
  path: string;
  /** The file's own stats (links followed) when it exists: device and inode tell hard links apart. */
  stats?: Stats;
}

/** Symlinks followed in one resolution before giving up, as Linux's MAXSYMLINKS. */
const MAX_HOPS = 40;

/**
 * Resolves an absolute path to the real file it names (docs/architecture.md §4).
 * realpath(3) does it for a path that exists; for one that does not, the
 * deepest existing ancestor is resolved and the rest appended — except that
 * a dangling symlink is followed to where it points, since writing through
 * it creates its target. `..` keeps the kernel's meaning (the parent of where
 * a symlink leads), so pass the path as written, not path.resolve'd.
 * Hand-written: Node has realpath only for paths that exist, and the npm
 * packages for this (e.g. `resolve-path`) are lexical. `cache` keeps each
 * directory's real path, for many lookups while nothing changes (plan
 * validation); leave it out when the files may have changed since.
 * Throws on a symlink loop and on errors other than "does not exist".
 */
export function realFile(p: string, cache?: RealDirCache): RealFile {
  return resolveReal(p, cache, 0);
}

/** Directories already resolved in one pass over many paths: their real path, and whether they exist. */
export type RealDirCache = Map<string, { path: string; exists: boolean }>;

/**
 * The parent's real path (realpath(3) in one call; most parents exist),
 * then one lstat of the last part: no exception is thrown on the common
 * paths, which matters at one call per lock taken.
 */
function resolveReal(p: string, cache: RealDirCache | undefined, hops: number): RealFile {
  const parent = path.dirname(p);
  if (parent === p) return { path: p };
  const base = path.basename(p);
  const dir = realDir(parent, cache, hops);
  if (base === '..') return { path: path.dirname(dir.path) };
  if (base === '.' || base === '') return { path: dir.path };
  const here = path.join(dir.path, base);
  // Nothing is in a directory that does not exist: no lstat needed.
  const st = dir.exists ? lstatIfAny(here) : undefined;
  if (!st) return { path: here };
  if (!st.isSymbolicLink()) return { path: here, stats: st };
  if (hops >= MAX_HOPS) throw Object.assign(new Error(`too many levels of symbolic links: ${p}`), { code: 'ELOOP' });
  return resolveReal(path.resolve(dir.path, readlinkSync(here)), cache, hops + 1);
}

/** A directory's real path, through the cache when given; one that does not exist resolves part by part. */
function realDir(dir: string, cache: RealDirCache | undefined, hops: number): { path: string; exists: boolean } {
  const known = cache?.get(dir);
  if (known !== undefined) return known;
  let real: { path: string; exists: boolean };
  try {
    real = { path: realpathSync.native(dir), exists: true };
  } catch (err) {
    const code = errnoCode(err);
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
    real = { path: resolveReal(dir, cache, hops).path, exists: false };
  }
  cache?.set(dir, real);
  return real;
}

function lstatIfAny(p: string): Stats | undefined {
  try {
    return lstatSync(p, { throwIfNoEntry: false });
  } catch (err) {
    if (errnoCode(err) === 'ENOTDIR') return undefined;
    throw err;
  }
}

/** Whether `p` is strictly inside `root` (both real, absolute and normalized). */
export function isInside(root: string, p: string): boolean {
  if (root === path.sep) return p !== root && p.startsWith(root);
  return p.length > root.length && p.startsWith(root) && p.charCodeAt(root.length) === 47 /* '/' */;
}

/** What a write path from a plan names, or why it may not be written. */
export type WriteTarget =
  | { ok: true; path: string }
  | { ok: false; why: 'empty' | 'workspace' }
  | { ok: false; why: 'outside'; real: string }
  | { ok: false; why: 'unreadable'; error: string };

/**
 * Turns a write path from a plan into the absolute path a task locks, or
 * says why it may not be written: outside the workspace or the workspace
 * itself once symlinks are followed (`link/x` where `link → /etc` is
 * outside), or not resolvable. The path kept is the lexical one (`./a`,
 * `a` and `x/../a` are one path) unless a `..` after a symlink makes the
 * real file another; locks resolve it again to the real file when taken,
 * since earlier tasks may have created parts of it meanwhile.
 */
export function resolveWritePath(workspace: string, p: string, cache?: RealDirCache): WriteTarget {
  if (p.length === 0) return { ok: false, why: 'empty' };
  const root = path.resolve(workspace);
  const lexical = path.resolve(root, p);
  // Without a `..`, the lexical form (no `.`, no doubled or trailing slash) names what the kernel would reach.
  const dotdot = /(^|[\\/])\.\.([\\/]|$)/.test(p);
  try {
    const realRoot = realDir(root, cache, 0).path;
    const real = realFile(dotdot ? (path.isAbsolute(p) ? p : `${root}${path.sep}${p}`) : lexical, cache).path;
    if (real === realRoot) return { ok: false, why: 'workspace' };
    if (!isInside(realRoot, real)) return { ok: false, why: 'outside', real };
    if (!dotdot) return { ok: true, path: lexical };
    // `..` after a symlink leaves the link's target, not the link: keep the file the kernel would write.
    const viaLexical = realFile(lexical, cache).path;
    return { ok: true, path: viaLexical === real ? lexical : path.join(root, path.relative(realRoot, real)) };
  } catch (err) {
    return { ok: false, why: 'unreadable', error: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * The first write path (absolute, in `workspace`) whose counterpart in
 * another checkout of it — an isolated task's worktree, `cwd` — really lies
 * outside that checkout: a symlink an earlier task committed is in the
 * worktree but not yet in the workspace the locks were checked in.
 */
export function escapingWrite(workspace: string, cwd: string, writes: readonly string[]): { file: string; real: string } | undefined {
  if (writes.length === 0) return undefined;
  const root = realFile(path.resolve(cwd)).path;
  for (const file of writes) {
    const real = realFile(path.join(cwd, path.relative(workspace, file))).path;
    if (!isInside(root, real)) return { file: path.relative(workspace, file), real };
  }
  return undefined;
}
