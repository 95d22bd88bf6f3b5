import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Workspace } from '../agents/backend.js';
import { isolationOf } from '../config/isolation.js';
import type { Config } from '../config/schema.js';
import { commitTask, MergeQueue, TRAILER, mergedTasks, removeTaskWorkspace, startResolution, startTask, taskChange } from '../git/index.js';
import type { MergeResult, RetryMergeResult, RunRef, TaskRef } from '../git/index.js';
import { git } from '../git/exec.js';
import { changedPaths, heads, listWorktrees, resolveRef, startRef, taskBranch, withWorktreeLock, worktreePath } from '../git/layout.js';
import type { TaskSpec } from '../plan/schema.js';
import type { LandInfo, LandResult, OpenResult, TaskWorkspaces } from '../scheduler/workspaces.js';

/** Where a conflicted task's discarded work is kept when a retry starts it afresh. */
export const conflictedRef = (runId: string, taskId: string): string => `refs/orchestrator/${runId}/conflicted/${taskId}`;

/**
 * The engine's workspaces on the git layer: a worktree per isolated task
 * from the run's result, its work committed and merged by one MergeQueue in
 * the order tasks finish; a clean merge removes the worktree and branch, a
 * conflict keeps both for the person (mergeAgain) or a retry.
 */
export class GitWorkspaces implements TaskWorkspaces {
  private readonly queue: MergeQueue;

  constructor(
    private readonly run: RunRef,
    private readonly config: Pick<Config, 'agents' | 'providers' | 'worktree'>,
    /** The workspace's place in the repository (`''` at its top): an agent works there in its worktree. */
    private readonly subdir = '',
  ) {
    this.queue = new MergeQueue(run);
  }

  isolated(spec: TaskSpec): boolean {
    return isolationOf(spec, this.config) === 'worktree';
  }

  async open(spec: TaskSpec, opts: { fresh: boolean; signal?: AbortSignal }): Promise<OpenResult> {
    const id = spec.id;
    if ((await mergedTasks(this.run)).has(id)) {
      await removeTaskWorkspace(this.run, id);
      return { kind: 'already-merged' };
    }
    if (opts.fresh) await this.discard(id);
    const { setup, setupTimeoutMs } = this.config.worktree;
    const started = await startTask(this.run, id, { ...(setup !== undefined ? { setup } : {}), setupTimeoutMs, ...(opts.signal ? { signal: opts.signal } : {}) });
    switch (started.kind) {
      case 'started':
        return { kind: 'ready', workspace: this.workspaceOf(started.task) };
      case 'resumed': {
        // Committed but not merged: a crash came between the two; the work is done, only its merge is missing.
        const tip = await resolveRef(this.run.repo, heads(started.task.branch));
        const clean = (await changedPaths(started.task.dir)).length === 0;
        // Only the orchestrator's own commit (its trailer) says the work was finished; an agent may commit as it goes.
        const committed = tip !== undefined && tip !== started.task.start && clean && (await this.committedByRun(tip));
        return { kind: committed ? 'committed' : 'ready', workspace: this.workspaceOf(started.task) };
      }
      case 'setup-failed':
        return { kind: 'failed', reason: `worktree setup failed${started.timedOut ? ' (timed out)' : ''}: ${started.reason}` };
      default:
        return { kind: 'failed', reason: `cannot make the task's worktree: ${started.fix}` };
    }
  }

  async land(spec: TaskSpec, info: LandInfo): Promise<LandResult> {
    const committed = await commitTask(this.run, spec.id, { prompt: spec.prompt, summary: info.result, agent: info.agent, ...(info.session ? { session: info.session } : {}) });
    if (committed.kind === 'no-worktree') return { kind: 'failed', reason: `the task's worktree ${committed.dir} is gone` };
    if (committed.kind === 'no-change') {
      await removeTaskWorkspace(this.run, spec.id);
      return { kind: 'no-change' };
    }
    return this.landed(spec.id, await this.queue.enqueue(spec.id));
  }

  async mergeAgain(spec: TaskSpec): Promise<LandResult> {
    return this.landed(spec.id, await this.queue.retry(spec.id, { prompt: `resolve conflicts of ${spec.id} with the run's result`, agent: 'person' }));
  }

  async diff(spec: TaskSpec): Promise<{ kind: 'diff'; text: string } | { kind: 'none'; why: string }> {
    const { repo, runId } = this.run;
    const dir = worktreePath(repo, runId, spec.id);
    const start = await resolveRef(repo, startRef(runId, spec.id));
    // Under way or kept: the worktree as it is now (tracked files), against where the task started.
    if (start && existsSync(path.join(dir, '.git'))) return { kind: 'diff', text: await worktreeDiff(dir, start) };
    const change = await taskChange(this.run, spec.id, {});
    return change.kind === 'diff' ? change : { kind: 'none', why: `${change.what} is not there: it has not started, or changed nothing` };
  }

  private async landed(id: string, merge: MergeResult | RetryMergeResult): Promise<LandResult> {
    switch (merge.kind) {
      case 'merged':
      case 'already-merged':
      case 'nothing-to-merge':
        await removeTaskWorkspace(this.run, id);
        return merge.kind === 'nothing-to-merge' ? { kind: 'no-change' } : { kind: 'merged' };
      case 'conflict':
        // The kept worktree gets the result merged in, conflict markers and all: the person fixes the files there and merges again.
        await startResolution(this.run, id);
        return { kind: 'conflict', files: merge.files };
      case 'unresolved':
        return { kind: 'unresolved', files: merge.files };
      case 'no-branch':
        return { kind: 'failed', reason: `branch ${merge.branch} is gone` };
      case 'no-worktree':
        return { kind: 'failed', reason: `the task's worktree ${merge.dir} is gone` };
      default: {
        const never: never = merge;
        throw new Error(`unknown merge result ${JSON.stringify(never)}`);
      }
    }
  }

  private async committedByRun(commit: string): Promise<boolean> {
    const out = await git(['log', '-1', `--format=%(trailers:key=${TRAILER.run},valueonly)`, commit], { cwd: this.run.repo });
    return out.stdout.trim() === this.run.runId;
  }

  private workspaceOf(task: TaskRef): Workspace {
    return { cwd: path.join(task.dir, this.subdir), baseCommit: task.start, branch: task.branch };
  }

  /**
   * Drops a conflicted task's worktree, branch and start, so its retry starts
   * from the result as it is now; the old tip stays reachable from
   * `refs/orchestrator/<run>/conflicted/<task>` (nothing the agent made is lost).
   */
  private async discard(id: string): Promise<void> {
    const { repo, runId } = this.run;
    const dir = worktreePath(repo, runId, id);
    const tip = await resolveRef(repo, heads(taskBranch(runId, id)));
    if (tip) await git(['update-ref', '-m', `orchestrator: ${id} conflicted`, conflictedRef(runId, id), tip], { cwd: repo });
    await withWorktreeLock(repo, async () => {
      if ((await listWorktrees(repo)).some((w) => w.path === dir)) await git(['worktree', 'remove', '--force', '--force', dir], { cwd: repo, okCodes: [0, 128] });
      if (existsSync(dir)) await rm(dir, { recursive: true, force: true });
      await git(['worktree', 'prune'], { cwd: repo });
    });
    if (tip) await git(['update-ref', '-d', heads(taskBranch(runId, id)), tip], { cwd: repo });
    await git(['update-ref', '-d', startRef(runId, id)], { cwd: repo, okCodes: [0, 1] });
  }
}

/**
 * The worktree as it is now against `start`, new files included: everything
 * is added to a copy of the worktree's index (GIT_INDEX_FILE), so the agent's
 * own index is never touched, and the copy is diffed.
 */
async function worktreeDiff(dir: string, start: string): Promise<string> {
  const index = path.resolve(dir, (await git(['rev-parse', '--git-path', 'index'], { cwd: dir })).stdout.trim());
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'orch-diff-'));
  const env = { GIT_INDEX_FILE: path.join(scratch, 'index') };
  try {
    if (existsSync(index)) await copyFile(index, env.GIT_INDEX_FILE);
    await git(['add', '-A'], { cwd: dir, env });
    return (await git(['diff', '--cached', '--no-ext-diff', '--no-textconv', '--no-color', '--stat', '--patch', start, '--'], { cwd: dir, env })).stdout;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
