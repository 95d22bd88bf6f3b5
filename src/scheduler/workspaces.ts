import type { Workspace } from '../agents/backend.js';
import type { TaskSpec } from '../plan/schema.js';

/** How an isolated task's workspace was prepared for an attempt. */
export type OpenResult =
  | { kind: 'ready'; workspace: Workspace }
  /** Its work is already in the result (merged before a crash): the task completes without running again. */
  | { kind: 'already-merged' }
  /** The agent's work is committed on the task's branch but not merged (a crash came between): merge it, do not run again. */
  | { kind: 'committed'; workspace: Workspace }
  | { kind: 'failed'; reason: string };

/** What became of a finished attempt's work. */
export type LandResult =
  | { kind: 'merged' }
  /** Nothing changed (a reviewer): no commit, nothing to merge. */
  | { kind: 'no-change' }
  /** The result moved under the same lines: branch and worktree are kept. */
  | { kind: 'conflict'; files: string[] }
  /** Files the person left with conflict markers (mergeAgain only). */
  | { kind: 'unresolved'; files: string[] }
  | { kind: 'failed'; reason: string };

/** Who made a task's work, for its commit. */
export interface LandInfo {
  result: string;
  agent: string;
  session?: string;
}

/**
 * Where tasks work and how their work comes back (docs/architecture.md §6): the engine's
 * port to the git layer. Without one, every task works in the workspace.
 * A task does not read completed until `land` merged its work, so its
 * dependents start from a result that holds it.
 */
export interface TaskWorkspaces {
  isolated(spec: TaskSpec): boolean;
  /** The task's worktree; `fresh`: throw away the kept one (a retry after a conflict) and start from the result as it is now. */
  open(spec: TaskSpec, opts: { fresh: boolean; signal?: AbortSignal }): Promise<OpenResult>;
  /** Commits the attempt's work and merges it through the run's merge queue. */
  land(spec: TaskSpec, info: LandInfo): Promise<LandResult>;
  /** Merges a conflicted task again after the person resolved it in its kept worktree. */
  mergeAgain(spec: TaskSpec): Promise<LandResult>;
  /** What the task changed so far: its worktree against its start, or its merged change; `none` says why there is nothing. */
  diff(spec: TaskSpec): Promise<{ kind: 'diff'; text: string } | { kind: 'none'; why: string }>;
}

/** The engine's answer to "what did this task change?" (the dashboard's `d`). */
export type TaskDiffResult =
  | { ok: true; id: string; text: string }
  | { ok: false; id: string; reason: 'unknown-task' | 'not-isolated' }
  | { ok: false; id: string; reason: 'no-diff'; why: string };

const CONFLICT_PREFIX = 'merge conflict in ';

/** The failure reason of a conflicted task: `merge conflict in s.txt, t.txt`. */
export function conflictReason(files: readonly string[]): string {
  return `${CONFLICT_PREFIX}${files.length ? files.join(', ') : '(no file named)'}`;
}

/** Whether a recorded failure reason is a merge conflict's (a retry then starts on a fresh worktree). */
export function isConflictReason(reason: string | undefined): boolean {
  return reason?.startsWith(CONFLICT_PREFIX) ?? false;
}
