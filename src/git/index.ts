/**
 * Isolated workspaces: a git worktree per task, merged back through a queue
 * (docs/architecture.md §6). The public API of the git layer; the modules behind it are
 * one step each.
 */
export { applyFacts, applyResult, canAutoApply, decideApply } from './apply.js';
export type { ApplyDecision, ApplyFacts, ApplyRefusal, ApplyResult } from './apply.js';
export { DEFAULT_SETUP_TIMEOUT_MS, WORKTREE_INCLUDE, includedFiles } from './bootstrap.js';
export type { SetupCommand } from './bootstrap.js';
export { cleanRun, recoverRun } from './clean.js';
export type { CleanReport, CleanResult } from './clean.js';
export { TRAILER, commitSubject, commitTask } from './commit.js';
export type { CommitResult, TaskCommitInfo } from './commit.js';
export { mergedTaskStats, runDiff, taskChange, taskDiff } from './diff.js';
export type { DiffOptions, DiffResult } from './diff.js';
export { GitError } from './exec.js';
export { resultBranch, taskBranch, worktreePath } from './layout.js';
export type { RunLocation, RunRef } from './layout.js';
export { MergeQueue, mergeTask, mergedTasks, retryMerge, startResolution } from './merge.js';
export type { MergeResult, ResolutionResult, RetryMergeResult } from './merge.js';
export { MIN_GIT, checkRepo, gitVersion, parseGitVersion, versionAtLeast } from './repo.js';
export type { GitVersion, RepoCheck, RepoRefusal } from './repo.js';
export { startRun } from './run.js';
export type { StartRunResult } from './run.js';
export { removeTaskWorkspace, startTask } from './task.js';
export type { RemoveResult, StartTaskOptions, StartTaskResult, TaskRef } from './task.js';
