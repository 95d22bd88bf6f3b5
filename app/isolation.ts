import path from 'node:path';
import { isolationOf } from '../src/config/isolation.js';
import type { Config } from '../src/config/schema.js';
import { UserError } from '../src/errors.js';
import { applyResult, canAutoApply, checkRepo, mergedTaskStats, recoverRun, resultBranch, startRun } from '../src/git/index.js';
import type { RepoRefusal, RunRef } from '../src/git/index.js';
import { git } from '../src/git/exec.js';
import type { RunGit } from '../src/persist/journal.js';
import type { TaskSpec } from '../src/plan/schema.js';
import type { RunSummary } from '../src/scheduler/engine.js';
import { rolesInRun } from '../src/scheduler/workflows.js';

/** Whether a task of the run, or a follow-up its workflows may spawn (they take their role's isolation), works in a worktree. */
export function runIsIsolated(tasks: readonly TaskSpec[], config: Config): boolean {
  if (tasks.some((t) => isolationOf(t, config) === 'worktree')) return true;
  return [...rolesInRun(tasks, config.workflows)].some((role) => isolationOf({ agent: role }, config) === 'worktree');
}

/** A refusal of the git layer as one line: what is wrong, then the fix. */
export function refusalLine(r: RepoRefusal): string {
  switch (r.kind) {
    case 'git-missing':
      return `git is not installed: ${r.fix}`;
    case 'git-too-old':
      return `git ${r.found} is too old: ${r.fix}`;
    case 'not-a-repo':
      return `${r.dir} is not a git repository, and tasks with isolation: worktree need one: ${r.fix}`;
    case 'no-commit':
      return `the repository ${r.repo} has no commit yet: ${r.fix}`;
    case 'bad-id':
      return `'${r.id}' cannot name a branch: ${r.fix}`;
    default: {
      const never: never = r;
      throw new Error(`unknown refusal ${JSON.stringify(never)}`);
    }
  }
}

/** The checks made before anything runs or is recorded (exit 2): a repository with a commit, and a `--base` that names one. */
export async function checkIsolation(workspace: string, base: string | undefined): Promise<void> {
  const check = await checkRepo(workspace);
  if (!check.ok) throw new UserError(refusalLine(check));
  if (base === undefined) return;
  const o = await git(['rev-parse', '--verify', '--quiet', `${base}^{commit}`], { cwd: check.root, okCodes: [0, 1] });
  if (o.code !== 0) throw new UserError(`--base ${base} names no commit in ${check.root}: give a branch, tag or commit`);
}

/**
 * The run's git side: a new run records its base (HEAD, or `--base`) and
 * creates its result branch; a resumed one gets the same back from the
 * repository, after the lock files a kill -9 left in its worktrees are removed.
 */
export async function openGitRun(workspace: string, runId: string, opts: { base?: string; resumed?: RunGit }): Promise<RunRef> {
  if (opts.resumed) await recoverRun({ repo: opts.resumed.repo, runId });
  const started = await startRun(opts.resumed?.repo ?? workspace, runId, opts.base !== undefined ? { ref: opts.base } : {});
  if (!started.ok) throw new UserError(started.kind === 'bad-ref' ? `--base: ${started.fix}` : refusalLine(started));
  // A resumed run keeps the branch it started on: apply goes there.
  return opts.resumed ? { ...started.run, startBranch: opts.resumed.startBranch } : started.run;
}

/** Where the agent works inside its worktree: the workspace's place in the repository. */
export function subdirOf(run: RunRef, workspace: string): string {
  return path.relative(run.repo, workspace);
}

/**
 * The summary's lines about the run's work: a diffstat per merged task, the
 * result branch, and — when every task ended well and config `apply: auto`
 * (no --no-apply) — the checkout fast-forwarded to it when that is safe;
 * otherwise how to take it.
 */
export async function finishGitRun(run: RunRef, summary: RunSummary, opts: { apply: 'auto' | 'manual'; noApply: boolean }): Promise<string> {
  const lines: string[] = [];
  const stats = await mergedTaskStats(run);
  for (const t of summary.tasks) {
    const stat = stats.get(t.spec.id);
    if (stat !== undefined) lines.push(`  ${t.spec.id}: ${stat || 'no change'}`);
  }
  const branch = resultBranch(run.runId);
  const take = `take it with: orchestrator apply ${run.runId} · see it with: orchestrator diff ${run.runId}`;
  if (stats.size === 0) return `result branch ${branch}: no task changed anything\n`;
  // A soft failure lets the run exit 0, but a conflicted task's work is not in the result: nothing is applied then.
  const conflicted = summary.tasks.filter((t) => t.state.kind === 'failed' && t.state.failure === 'conflict').map((t) => t.spec.id);
  let verdict: string;
  if (conflicted.length) verdict = `result branch ${branch} lacks the work of ${conflicted.join(', ')} (merge conflict); ${take}`;
  else if (summary.exitCode !== 0 || summary.interrupted) verdict = `result branch ${branch} holds the work merged so far; ${take}`;
  else if (opts.noApply || opts.apply === 'manual') verdict = `result branch ${branch} was not applied (${opts.noApply ? '--no-apply' : 'apply: manual'}); ${take}`;
  else {
    const decision = await canAutoApply(run);
    if (decision.kind === 'fast-forward') {
      const applied = await applyResult(run);
      verdict = applied.kind === 'fast-forwarded' ? `applied: ${run.startBranch ?? 'HEAD'} fast-forwarded to ${branch} (${applied.commit.slice(0, 12)})` : `result branch ${branch} was not applied (${applied.kind}); ${take}`;
    } else if (decision.kind === 'up-to-date') verdict = `result branch ${branch} is already in your checkout`;
    else verdict = `result branch ${branch} was not applied automatically (${decision.kind === 'merge' ? 'your branch moved since the run began' : refusedWords(decision)}); ${take}`;
  }
  return `work by task:\n${lines.join('\n')}\n${verdict}\n`;
}

/** An apply refusal in words, naming what is in the way. */
export function refusedWords(d: Extract<Awaited<ReturnType<typeof canAutoApply>>, { kind: 'refused' }>): string {
  switch (d.reason) {
    case 'wrong-branch':
      return `the checkout is on ${d.found ?? 'a detached HEAD'}, the run began on ${d.expected ?? 'a detached HEAD'}`;
    case 'in-progress':
      return `a ${d.operation} is in progress in the checkout`;
    case 'local-changes':
      return `uncommitted changes to files the result changes: ${d.files.join(', ')}`;
    case 'conflict':
      return `it conflicts with your branch in ${d.files.join(', ')}`;
    default: {
      const never: never = d;
      throw new Error(`unknown refusal ${JSON.stringify(never)}`);
    }
  }
}
