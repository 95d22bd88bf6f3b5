import { git } from './exec.js';
import { baseRef, heads, resolveRef, resultBranch, startRef, taskBranch } from './layout.js';
import type { RunLocation } from './layout.js';
import { mergedTasks } from './merge.js';

export interface DiffOptions {
  /** `git diff --stat` instead of the patch. */
  stat?: boolean;
  /** `--color=always`: the caller decides whether its output is a terminal. */
  color?: boolean;
}

/**
 * `--no-ext-diff --no-textconv`: both would run commands named by the
 * repository's config, which is not trusted here (docs/architecture.md §7).
 */
function diffArgs(from: string, to: string, opts: DiffOptions): string[] {
  return ['diff', '--no-ext-diff', '--no-textconv', opts.color ? '--color=always' : '--no-color', ...(opts.stat ? ['--stat'] : []), from, to, '--'];
}

export type DiffResult = { kind: 'diff'; text: string } | { kind: 'missing'; what: string };

/** What a task changed: its branch against the result commit it started from, as `git diff` prints it. */
export async function taskDiff(run: RunLocation, taskId: string, opts: DiffOptions = {}): Promise<DiffResult> {
  const start = await resolveRef(run.repo, startRef(run.runId, taskId));
  const tip = await resolveRef(run.repo, heads(taskBranch(run.runId, taskId)));
  if (!start || !tip) return { kind: 'missing', what: !start ? `the start of task ${taskId}` : `branch ${taskBranch(run.runId, taskId)}` };
  return { kind: 'diff', text: (await git(diffArgs(start, tip, opts), { cwd: run.repo })).stdout };
}

/** What the whole run changed: the result branch against the base. */
export async function runDiff(run: RunLocation, opts: DiffOptions = {}): Promise<DiffResult> {
  const base = await resolveRef(run.repo, baseRef(run.runId));
  const result = await resolveRef(run.repo, heads(resultBranch(run.runId)));
  if (!base || !result) return { kind: 'missing', what: !base ? `the base of run ${run.runId}` : `branch ${resultBranch(run.runId)}` };
  return { kind: 'diff', text: (await git(diffArgs(base, result, opts), { cwd: run.repo })).stdout };
}

/**
 * What each merged task brought into the result, as `git diff --shortstat`
 * words (`2 files changed, 5 insertions(+)`): its merge commit against the
 * result before it. Read from the result's history, so it holds after the
 * task's branch is gone.
 */
export async function mergedTaskStats(run: RunLocation): Promise<Map<string, string>> {
  const stats = new Map<string, string>();
  for (const [taskId, merge] of await mergedTasks(run)) {
    const out = await git(['diff', '--no-ext-diff', '--no-textconv', '--shortstat', `${merge}^1`, merge, '--'], { cwd: run.repo });
    stats.set(taskId, out.stdout.trim());
  }
  return stats;
}

/**
 * A task's change once merged, when its branch is gone: its merge commit
 * against the result before it. Falls back to `taskDiff` for a task not
 * merged (a conflicted one's kept branch).
 */
export async function taskChange(run: RunLocation, taskId: string, opts: DiffOptions = {}): Promise<DiffResult> {
  const merge = (await mergedTasks(run)).get(taskId);
  if (!merge) return taskDiff(run, taskId, opts);
  return { kind: 'diff', text: (await git(diffArgs(`${merge}^1`, merge, opts), { cwd: run.repo })).stdout };
}
