import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { commitTask, TRAILER, trailerArgs } from './commit.js';
import type { TaskCommitInfo } from './commit.js';
import { git, gitLine, GitError, splitZ } from './exec.js';
import { baseRef, heads, isAncestor, resolveRef, resultBranch, startRef, taskBranch, unmergedPaths, worktreePath } from './layout.js';
import type { RunLocation } from './layout.js';
import { identityEnv } from './repo.js';

export type MergeResult =
  | { kind: 'merged'; commit: string; taskCommit: string }
  /** The task's commit is already in the result (merged before a crash): nothing done. */
  | { kind: 'already-merged'; taskCommit: string }
  /** The task made no commit: nothing to merge. */
  | { kind: 'nothing-to-merge' }
  /** Both changed the same lines; the result is untouched, the branch and worktree are kept. */
  | { kind: 'conflict'; files: string[]; taskCommit: string }
  | { kind: 'no-branch'; branch: string };

/** Tries of the compare-and-swap before giving up: another writer moved the result each time. */
const CAS_TRIES = 5;

/**
 * Merges a task's branch into `orchestrator/<run>/result` without any
 * checkout: `merge-tree --write-tree` makes the merged tree, `commit-tree`
 * the merge commit, `update-ref` with the old value moves the branch only if
 * nobody else did (a crash leaves the old or the new result, never half).
 * Checks first whether the task's commit is already in the result, so a
 * merge is never made twice.
 */
export async function mergeTask(run: RunLocation, taskId: string): Promise<MergeResult> {
  const { repo, runId } = run;
  const branch = taskBranch(runId, taskId);
  const resultRef = heads(resultBranch(runId));
  const tip = await resolveRef(repo, heads(branch));
  if (!tip) return { kind: 'no-branch', branch };
  if (tip === (await resolveRef(repo, startRef(runId, taskId)))) return { kind: 'nothing-to-merge' };
  for (let attempt = 1; ; attempt++) {
    const result = await resolveRef(repo, resultRef);
    if (!result) throw new Error(`run ${runId} has no result branch`);
    if (await isAncestor(repo, tip, result)) return { kind: 'already-merged', taskCommit: tip };
    const merged = await git(['merge-tree', '--write-tree', '--name-only', '--no-messages', '-z', result, tip], { cwd: repo, okCodes: [0, 1] });
    const [tree, ...files] = splitZ(merged.stdout);
    if (merged.code === 1) return { kind: 'conflict', files: [...new Set(files)], taskCommit: tip };
    const message = `Merge task ${taskId} into ${resultBranch(runId)}\n`;
    const commit = await gitLine(['commit-tree', tree!, '-p', result, '-p', tip, '-F', '-'], {
      cwd: repo,
      input: await withTrailers(repo, message, [[TRAILER.run, runId], [TRAILER.task, taskId]]),
      env: await identityEnv(repo),
    });
    try {
      await git(['update-ref', '-m', `orchestrator: merge ${taskId}`, resultRef, commit, result], { cwd: repo });
      return { kind: 'merged', commit, taskCommit: tip };
    } catch (err) {
      if (!(err instanceof GitError) || attempt >= CAS_TRIES) throw err;
    }
  }
}

async function withTrailers(repo: string, message: string, pairs: Array<[string, string]>): Promise<string> {
  return (await git(['interpret-trailers', ...trailerArgs(pairs)], { cwd: repo, input: message })).stdout;
}

/**
 * Serialises merges into one result branch, in the order tasks finish: each
 * `enqueue` waits for the merges queued before it. A failed merge rejects its
 * own promise only; the queue goes on.
 */
export class MergeQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;

  constructor(private readonly run: RunLocation) {}

  enqueue(taskId: string): Promise<MergeResult> {
    return this.schedule(() => mergeTask(this.run, taskId));
  }

  /** `retryMerge` through the same queue, so it never races a merge of another task. */
  retry(taskId: string, info?: Partial<TaskCommitInfo>): Promise<RetryMergeResult> {
    return this.schedule(() => retryMerge(this.run, taskId, info));
  }

  /** Merges waiting or running. */
  get size(): number {
    return this.pending;
  }

  private schedule<T>(step: () => Promise<T>): Promise<T> {
    this.pending++;
    const next = this.tail.then(step).finally(() => this.pending--);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

export type ResolutionResult =
  | { kind: 'conflicts'; files: string[] }
  | { kind: 'clean' }
  | { kind: 'no-worktree'; dir: string };

/**
 * Prepares a conflicted task's kept worktree for the person: merges the
 * current result into it (the worktree is the orchestrator's, never the
 * person's checkout), leaving conflict markers in the files named. They fix
 * the files there and call `retryMerge` (or commit themselves first).
 * `--no-autostash`: refs/stash is shared by all worktrees, the person's too.
 */
export async function startResolution(run: RunLocation, taskId: string): Promise<ResolutionResult> {
  const dir = worktreePath(run.repo, run.runId, taskId);
  if (!existsSync(path.join(dir, '.git'))) return { kind: 'no-worktree', dir };
  const merge = await git(['merge', '--no-ff', '--no-commit', '--no-edit', '--no-autostash', resultBranch(run.runId)], {
    cwd: dir,
    okCodes: [0, 1],
    env: await identityEnv(run.repo),
  });
  const files = await unmergedPaths(dir);
  return merge.code === 0 && files.length === 0 ? { kind: 'clean' } : { kind: 'conflicts', files };
}

export type RetryMergeResult = MergeResult | { kind: 'unresolved'; files: string[] } | { kind: 'no-worktree'; dir: string };

/**
 * Merges a task again after the person resolved its conflict in the kept
 * worktree: what they committed there is merged as it is; what they left
 * uncommitted (a resolution started by `startResolution`, or plain edits) is
 * committed first — unless files are still marked conflicted.
 */
export async function retryMerge(run: RunLocation, taskId: string, info: Partial<TaskCommitInfo> = {}): Promise<RetryMergeResult> {
  const dir = worktreePath(run.repo, run.runId, taskId);
  if (existsSync(path.join(dir, '.git'))) {
    const unresolved = await stillConflicted(dir);
    if (unresolved.length) return { kind: 'unresolved', files: unresolved };
    const committed = await commitTask(run, taskId, {
      prompt: info.prompt ?? `resolve conflicts with ${resultBranch(run.runId)}`,
      summary: info.summary,
      agent: info.agent ?? 'person',
      session: info.session,
    });
    if (committed.kind === 'no-worktree') return committed;
  }
  return mergeTask(run, taskId);
}

const MARKER = /^(<{7}|>{7})( |$)/m;

/**
 * Conflicted paths whose file still has conflict markers. A file the person
 * fixed in an editor without `git add` counts as resolved: removing the
 * markers is the resolution the person sees.
 */
async function stillConflicted(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const rel of await unmergedPaths(dir)) {
    const text = await readFile(path.join(dir, rel), 'utf8').catch(() => '');
    if (MARKER.test(text)) files.push(rel);
  }
  return files;
}

/**
 * The tasks merged into the result so far, from the `Orchestrator-Task`
 * trailers of its merge commits: what a re-run after a crash skips.
 */
export async function mergedTasks(run: RunLocation): Promise<Map<string, string>> {
  const range = `${baseRef(run.runId)}..${heads(resultBranch(run.runId))}`;
  const out = (await git(['log', '--first-parent', '--merges', '-z', `--format=%H %(trailers:key=${TRAILER.task},valueonly,separator=%x20)`, range, '--'], { cwd: run.repo })).stdout;
  const merged = new Map<string, string>();
  for (const entry of splitZ(out)) {
    const [commit, taskId] = entry.trim().split(' ');
    if (commit && taskId && !merged.has(taskId)) merged.set(taskId, commit);
  }
  return merged;
}
