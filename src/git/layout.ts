import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { git, gitLine, splitZ } from './exec.js';

/**
 * Where a run keeps things in a repository. Branches are the person's to see
 * (`git log orchestrator/<run>/result`); the base and each task's start are
 * plain refs outside `refs/heads` so that a crashed run can be picked up from
 * the repository alone and `git branch` does not fill up with bookkeeping.
 */
export const ORCHESTRATOR_DIR = '.orchestrator';

/** A run in a repository, as returned by `startRun`: plain data, persist it with the run. */
export interface RunRef {
  /** The repository's top directory (real path). */
  repo: string;
  runId: string;
  /** The commit the run started from. */
  base: string;
  /** The branch checked out when the run started (`main`), or null when HEAD was detached. */
  startBranch: string | null;
}

/** What most steps need of a run: where, and which. */
export type RunLocation = Pick<RunRef, 'repo' | 'runId'>;

export const resultBranch = (runId: string): string => `orchestrator/${runId}/result`;
export const taskBranch = (runId: string, taskId: string): string => `orchestrator/${runId}/task/${taskId}`;
export const heads = (branch: string): string => `refs/heads/${branch}`;
export const baseRef = (runId: string): string => `refs/orchestrator/${runId}/base`;
export const startRef = (runId: string, taskId: string): string => `refs/orchestrator/${runId}/start/${taskId}`;
export const runWorktrees = (repo: string, runId: string): string => path.join(repo, ORCHESTRATOR_DIR, 'worktrees', runId);
export const worktreePath = (repo: string, runId: string, taskId: string): string => path.join(runWorktrees(repo, runId), taskId);

/** The commit a ref points at, or undefined when there is no such ref. */
export async function resolveRef(repo: string, ref: string): Promise<string | undefined> {
  const o = await git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { cwd: repo, okCodes: [0, 1] });
  return o.code === 0 ? o.stdout.trim() : undefined;
}

/** Creates `ref` at `commit` only if it does not exist yet; false when it already did. */
export async function createRef(repo: string, ref: string, commit: string, message: string): Promise<boolean> {
  const o = await git(['update-ref', '-m', message, ref, commit, ''], { cwd: repo, okCodes: [0, 1, 128] });
  return o.code === 0;
}

/** True when `commit` is `other` or one of its ancestors. */
export async function isAncestor(repo: string, commit: string, other: string): Promise<boolean> {
  return (await git(['merge-base', '--is-ancestor', commit, other], { cwd: repo, okCodes: [0, 1] })).code === 0;
}

/**
 * Adds `/.orchestrator/` to `.git/info/exclude` once, so worktrees inside
 * the repository never show in `git status` and nothing is committed for it.
 */
export async function ensureExcluded(repo: string): Promise<void> {
  const common = path.resolve(repo, await gitLine(['rev-parse', '--git-common-dir'], { cwd: repo }));
  const file = path.join(common, 'info', 'exclude');
  const line = `/${ORCHESTRATOR_DIR}/`;
  const text = existsSync(file) ? await readFile(file, 'utf8') : '';
  if (text.split('\n').some((l) => l.trim() === line)) return;
  await mkdir(path.dirname(file), { recursive: true });
  await appendFile(file, `${text === '' || text.endsWith('\n') ? '' : '\n'}${line}\n`);
}

/** One entry of `git worktree list --porcelain`. */
export interface WorktreeEntry {
  path: string;
  head?: string;
  branch?: string;
  locked: boolean;
  prunable: boolean;
}

export async function listWorktrees(repo: string): Promise<WorktreeEntry[]> {
  const fields = (await git(['worktree', 'list', '--porcelain', '-z'], { cwd: repo })).stdout.split('\0');
  const list: WorktreeEntry[] = [];
  let cur: WorktreeEntry | undefined;
  for (const f of fields) {
    if (f === '') {
      cur = undefined;
      continue;
    }
    const space = f.indexOf(' ');
    const key = space < 0 ? f : f.slice(0, space);
    const value = space < 0 ? '' : f.slice(space + 1);
    if (key === 'worktree') {
      cur = { path: value, locked: false, prunable: false };
      list.push(cur);
    } else if (cur && key === 'HEAD') cur.head = value;
    else if (cur && key === 'branch') cur.branch = value;
    else if (cur && key === 'locked') cur.locked = true;
    else if (cur && key === 'prunable') cur.prunable = true;
  }
  return list;
}

/** Paths with changes git does not ignore (modified, staged, untracked), from `git status -z`. */
export async function changedPaths(dir: string): Promise<string[]> {
  const out = (await git(['status', '--porcelain=v1', '-z', '--untracked-files=all'], { cwd: dir })).stdout;
  const fields = out.split('\0');
  const files: string[] = [];
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    if (f.length < 4) continue;
    files.push(f.slice(3));
    // A rename or copy is followed by its source path, which changed too.
    if (f[0] === 'R' || f[0] === 'C') {
      i++;
      if (fields[i]) files.push(fields[i]!);
    }
  }
  return files;
}

/** Unmerged (conflicted) paths of a checkout's index. */
export async function unmergedPaths(dir: string): Promise<string[]> {
  return [...new Set(splitZ((await git(['diff', '--name-only', '--diff-filter=U', '-z'], { cwd: dir })).stdout))];
}

const worktreeLocks = new Map<string, Promise<unknown>>();

/**
 * Runs `fn` alone among this process's worktree changes in `repo`. Git 2.39
 * writes a new worktree's admin files (`.git/worktrees/<name>/commondir`…)
 * non-atomically, and every `worktree add`/`list` reads all of them: two
 * adds at once fail with "failed to read .git/worktrees/x/commondir"
 * (seen by the crash test's parallel tasks). Checkouts of different
 * worktrees, commits and merges need no such lock.
 */
export function withWorktreeLock<T>(repo: string, fn: () => Promise<T>): Promise<T> {
  const prev = worktreeLocks.get(repo) ?? Promise.resolve();
  const next = prev.then(fn, fn);
  const settled = next.catch(() => undefined);
  worktreeLocks.set(repo, settled);
  void settled.then(() => {
    if (worktreeLocks.get(repo) === settled) worktreeLocks.delete(repo);
  });
  return next;
}
