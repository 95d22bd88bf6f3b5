import { UserError } from '../src/errors.js';
import { applyResult, cleanRun, resultBranch, runDiff, taskChange } from '../src/git/index.js';
import type { ApplyRefusal, RunRef } from '../src/git/index.js';
import { readRun, readRuns } from '../src/persist/queries.js';
import { matchRun } from '../src/persist/run-id.js';
import { refusedWords } from './isolation.js';
import { loadAll } from './load.js';
import type { CommonArgs } from './load.js';

/**
 * The recorded run whose work is in git: `RUN` (an id or a unique prefix),
 * or the latest run with isolated tasks (with `latest`: the latest run). A run still going is refused where it would race the run.
 */
function gitRunOf(workspace: string, runId: string | undefined, opts: { finished: boolean; verb: string; latest?: boolean }): RunRef {
  const runs = readRuns(workspace);
  const info = runId !== undefined ? matchRun(runs, runId, workspace) : opts.latest ? runs[0] : runs.find((r) => r.git);
  if (!info) throw new UserError(opts.latest ? `no runs recorded in ${workspace} (start one: orchestrator run PLAN)` : `no run with isolated tasks in ${workspace}: nothing to ${opts.verb}`);
  if (!info.git) throw new UserError(`run ${info.id} had no isolated tasks: its work is already in ${workspace}, nothing to ${opts.verb}`);
  if (opts.finished && info.state === 'running') throw new UserError(`run ${info.id} is still running: wait for it to finish (or stop it) before you ${opts.verb} it`);
  return { repo: info.git.repo, runId: info.id, base: info.git.base, startBranch: info.git.startBranch };
}

/** `apply [RUN]`: brings the run's result branch into the checkout — the only command that touches it. */
export async function applyCommand(args: CommonArgs & { run?: string }): Promise<void> {
  const { workspace } = await loadAll(args, 'read');
  const run = gitRunOf(workspace, args.run, { finished: true, verb: 'apply' });
  const branch = resultBranch(run.runId);
  const applied = await applyResult(run);
  switch (applied.kind) {
    case 'up-to-date':
      process.stdout.write(`${branch} is already in your checkout\n`);
      return;
    case 'fast-forwarded':
      process.stdout.write(`applied: fast-forwarded ${run.startBranch ?? 'HEAD'} to ${branch} (${applied.commit.slice(0, 12)})\n`);
      return;
    case 'merged':
      process.stdout.write(`applied: merged ${branch} into ${run.startBranch ?? 'HEAD'} (${applied.commit.slice(0, 12)})\n`);
      return;
    case 'refused':
      throw new UserError(`cannot apply run ${run.runId}: ${refusedWords(applied)}; ${applyFix(applied, run)}`);
    default: {
      const never: never = applied;
      throw new Error(`unknown apply result ${JSON.stringify(never)}`);
    }
  }
}

/** The one-line fix for an apply refusal. */
function applyFix(r: ApplyRefusal, run: RunRef): string {
  const again = `orchestrator apply ${run.runId}`;
  switch (r.reason) {
    case 'wrong-branch':
      return r.expected ? `run \`git switch ${r.expected}\`, then \`${again}\`` : `merge it yourself: git merge ${resultBranch(run.runId)}`;
    case 'in-progress':
      return `finish or abort the ${r.operation} first, then \`${again}\``;
    case 'local-changes':
      return `commit or stash those changes, then \`${again}\``;
    case 'conflict':
      return `merge it yourself and resolve: git merge ${resultBranch(run.runId)}`;
    default: {
      const never: never = r;
      throw new Error(`unknown refusal ${JSON.stringify(never)}`);
    }
  }
}

/** `diff [RUN [TASK]] [--stat]`: what the run (or one task) changed, as git prints it; `diff TASK` alone is a task of the latest run. */
export async function diffCommand(args: CommonArgs & { run?: string; task?: string; stat: boolean }): Promise<void> {
  const { workspace } = await loadAll(args, 'read');
  const target = diffTarget(workspace, args.run, args.task);
  const run = gitRunOf(workspace, target.run, { finished: false, verb: 'diff', latest: true });
  const opts = { stat: args.stat, color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR };
  const diff = target.task !== undefined ? await taskChange(run, target.task, opts) : await runDiff(run, opts);
  if (diff.kind === 'missing') {
    throw new UserError(`nothing to show: ${diff.what} is gone${target.task !== undefined ? ` (did task ${target.task} change anything? see: orchestrator show ${run.runId})` : ''}`);
  }
  process.stdout.write(diff.text);
}

/**
 * What `diff X` alone names. A whole run id first; then a task of the latest
 * run (as `logs TASK` reads it: an exact task id beats a guess at a prefix);
 * then the start of a run id (matchRun refuses one several runs share).
 */
function diffTarget(workspace: string, run: string | undefined, task: string | undefined): { run?: string; task?: string } {
  if (run === undefined || task !== undefined) return { ...(run !== undefined ? { run } : {}), ...(task !== undefined ? { task } : {}) };
  const runs = readRuns(workspace);
  const latest = runs[0];
  if (!latest || runs.some((r) => r.id === run)) return { run };
  if (readRun(workspace, latest.id).tasks.some((t) => t.spec.id === run)) return { run: latest.id, task: run };
  if (runs.some((r) => r.id.startsWith(run))) return { run };
  throw new UserError(`no run or task '${run}' in ${workspace}: give a run (see: orchestrator runs) or a task of the latest run ${latest.id} (see: orchestrator show)`);
}

/** `clean [RUN] [--result]`: removes what a run left in the repository; committed work is never lost. */
export async function cleanCommand(args: CommonArgs & { run?: string; result: boolean }): Promise<void> {
  const { workspace } = await loadAll(args, 'read');
  const run = gitRunOf(workspace, args.run, { finished: true, verb: 'clean' });
  const cleaned = await cleanRun(run.repo, run.runId, { deleteResult: args.result });
  if (!cleaned.ok) throw new UserError(`cannot clean run ${run.runId}: ${cleaned.fix}`);
  const lines = [
    `cleaned run ${run.runId}: ${cleaned.removedWorktrees.length} worktree(s) removed, ${cleaned.deletedBranches.length} merged task branch(es) deleted`,
    ...cleaned.wip.map((w) => `  uncommitted work in ${w.taskId} was committed first: ${w.commit.slice(0, 12)}`),
    ...cleaned.keptBranches.map((b) => `  kept ${b}: it has commits the result lacks`),
    cleaned.resultDeleted ? `  deleted ${resultBranch(run.runId)}` : `  kept ${resultBranch(run.runId)} (--result deletes it)`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
