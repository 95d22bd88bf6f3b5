import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { copyFiles, includedFiles, runSetup } from './bootstrap.js';
import type { SetupCommand } from './bootstrap.js';
import { git, gitLine } from './exec.js';
import { changedPaths, createRef, heads, isAncestor, listWorktrees, resolveRef, resultBranch, startRef, taskBranch, withWorktreeLock, worktreePath } from './layout.js';
import type { RunLocation } from './layout.js';
import { badId } from './repo.js';
import type { RepoRefusal } from './repo.js';

/** A task's isolated workspace: plain data. */
export interface TaskRef {
  runId: string;
  taskId: string;
  /** The worktree directory. */
  dir: string;
  branch: string;
  /** The result commit the task started from. */
  start: string;
}

export interface StartTaskOptions {
  /** Runs in each new worktree after the `.worktreeinclude` files are copied. */
  setup?: SetupCommand;
  setupTimeoutMs?: number;
  /** Stops the setup command (the task was cancelled or the run is shutting down). */
  signal?: AbortSignal;
}

export type StartTaskResult =
  | { kind: 'started'; task: TaskRef; copied: string[] }
  | { kind: 'resumed'; task: TaskRef; copied: string[] }
  | { kind: 'setup-failed'; task: TaskRef; exitCode: number | null; timedOut: boolean; reason: string }
  | RepoRefusal;

/** Written into the worktree's private git dir once copying and setup succeeded. */
const READY_MARKER = 'orchestrator-ready';

/**
 * Gives a task its worktree `<repo>/.orchestrator/worktrees/<run>/<task>` on
 * branch `orchestrator/<run>/task/<task>`, from the result branch as it is
 * now. An existing worktree (a task resumed after a crash) is reused as it
 * is; one whose creation was cut short is made again. A new worktree gets the
 * `.worktreeinclude` files and then the setup command; until both succeeded
 * the worktree counts as new, so a retry runs them again.
 */
export async function startTask(run: RunLocation, taskId: string, opts: StartTaskOptions = {}): Promise<StartTaskResult> {
  const bad = badId(taskId);
  if (bad) return bad;
  const { repo, runId } = run;
  const dir = worktreePath(repo, runId, taskId);
  const branch = taskBranch(runId, taskId);

  const { entry, task } = await withWorktreeLock(repo, async () => {
    let entry = (await listWorktrees(repo)).find((w) => w.path === dir);
    // `git worktree add` holds a lock ("initializing") until the checkout is complete; we never
    // lock ours otherwise, so a locked one is a checkout a crash cut short: make it again.
    if (entry && (entry.locked || entry.prunable)) {
      await git(['worktree', 'remove', '--force', '--force', dir], { cwd: repo, okCodes: [0, 128] });
      await git(['worktree', 'prune'], { cwd: repo });
      entry = undefined;
    }
    // A directory git does not know is what a cut-short add or remove left; no agent ever ran in it.
    if (!entry && existsSync(dir)) await rm(dir, { recursive: true, force: true });

    let start = await resolveRef(repo, startRef(runId, taskId));
    if (!start) {
      const result = await resolveRef(repo, heads(resultBranch(runId)));
      if (!result) throw new Error(`run ${runId} has no result branch: startRun first`);
      await createRef(repo, startRef(runId, taskId), result, `orchestrator: task ${taskId} start`);
      start = (await resolveRef(repo, startRef(runId, taskId)))!;
    }
    const task: TaskRef = { runId, taskId, dir, branch, start };
    if (!entry) {
      const exists = (await resolveRef(repo, heads(branch))) !== undefined;
      // Only the admin files under the lock; the checkout (the slow part) runs outside it, below.
      const args = exists ? [dir, branch] : ['--no-track', '-b', branch, dir, start];
      await git(['worktree', 'add', '--quiet', '--no-checkout', ...args], { cwd: repo });
    }
    return { entry, task };
  });
  const gitDir = await gitLine(['rev-parse', '--absolute-git-dir'], { cwd: dir });
  const marker = path.join(gitDir, READY_MARKER);
  if (entry && existsSync(marker)) return { kind: 'resumed', task, copied: [] };
  // No marker: no agent has run here yet, so nothing is lost by checking out (again) in full —
  // a checkout cut short by a crash would otherwise be committed as deleted files.
  await git(['reset', '--hard', '--quiet'], { cwd: dir });

  const copied = await copyFiles(repo, dir, await includedFiles(repo));
  if (opts.setup !== undefined) {
    const setup = await runSetup(opts.setup, dir, { timeoutMs: opts.setupTimeoutMs, env: { ORCHESTRATOR_RUN: runId, ORCHESTRATOR_TASK: taskId }, ...(opts.signal ? { signal: opts.signal } : {}) });
    if (!setup.ok) return { kind: 'setup-failed', task, exitCode: setup.exitCode, timedOut: setup.timedOut, reason: setup.reason };
  }
  await writeFile(marker, `${new Date().toISOString()}\n`);
  return { kind: entry ? 'resumed' : 'started', task, copied };
}

export type RemoveResult =
  | { kind: 'removed'; branchDeleted: boolean }
  | { kind: 'kept'; reason: 'uncommitted'; files: string[] };

/**
 * Removes a task's worktree, and its branch once the branch is in the result
 * (a task with unmerged commits keeps its branch). Refuses, changing nothing,
 * when the worktree holds changes that are not committed.
 */
export async function removeTaskWorkspace(run: RunLocation, taskId: string): Promise<RemoveResult> {
  const { repo, runId } = run;
  const dir = worktreePath(repo, runId, taskId);
  const kept = await withWorktreeLock(repo, async () => {
    const entry = (await listWorktrees(repo)).find((w) => w.path === dir);
    if (entry && !entry.prunable && existsSync(dir)) {
      const files = await changedPaths(dir);
      if (files.length) return files;
      // No --force: git checks once more that nothing but ignored files would go.
      await git(['worktree', 'remove', dir], { cwd: repo });
    } else {
      if (existsSync(dir)) await rm(dir, { recursive: true, force: true });
      if (entry) await git(['worktree', 'prune'], { cwd: repo });
    }
    return undefined;
  });
  if (kept) return { kind: 'kept', reason: 'uncommitted', files: kept };
  return { kind: 'removed', branchDeleted: await deleteMergedBranch(run, taskId) };
}

/** Deletes a task's branch (compare-and-swap on its tip) and start ref if the branch is in the result. */
export async function deleteMergedBranch(run: RunLocation, taskId: string): Promise<boolean> {
  const { repo, runId } = run;
  const ref = heads(taskBranch(runId, taskId));
  const tip = await resolveRef(repo, ref);
  const result = await resolveRef(repo, heads(resultBranch(runId)));
  if (tip) {
    if (!result || !(await isAncestor(repo, tip, result))) return false;
    await git(['update-ref', '-d', ref, tip], { cwd: repo });
  }
  await git(['update-ref', '-d', startRef(runId, taskId)], { cwd: repo });
  return true;
}
