import { existsSync } from 'node:fs';
import { readdir, readFile, rename, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { gitProcessesIn } from '../os/proc.js';
import { commitTask } from './commit.js';
import { git, gitLine } from './exec.js';
import { baseRef, changedPaths, heads, listWorktrees, resultBranch, runWorktrees, startRef, taskBranch } from './layout.js';
import type { RunLocation } from './layout.js';
import { checkRepo } from './repo.js';
import type { RepoRefusal } from './repo.js';
import { deleteMergedBranch } from './task.js';

export interface CleanReport {
  /** Uncommitted work found in a worktree, committed on its task branch before the worktree went. */
  wip: Array<{ taskId: string; commit: string }>;
  removedWorktrees: string[];
  deletedBranches: string[];
  /** Task branches with commits not in the result: kept, so no work is lost. */
  keptBranches: string[];
  resultDeleted: boolean;
}

export type CleanResult = ({ ok: true } & CleanReport) | ({ ok: false } & RepoRefusal);

/**
 * Removes what a finished or abandoned run left: its worktrees, the task
 * branches whose work is in the result, and — only with `deleteResult` — the
 * result branch and base. Nothing uncommitted is lost: a worktree's changes
 * are first committed on its task branch as `wip`, and a branch with commits
 * the result lacks is kept (and reported).
 */
export async function cleanRun(dir: string, runId: string, opts: { deleteResult?: boolean } = {}): Promise<CleanResult> {
  const check = await checkRepo(dir);
  if (!check.ok) return check;
  const repo = check.root;
  const run: RunLocation = { repo, runId };
  const report: CleanReport = { wip: [], removedWorktrees: [], deletedBranches: [], keptBranches: [], resultDeleted: false };
  const root = runWorktrees(repo, runId);

  for (const w of await listWorktrees(repo)) {
    if (path.dirname(w.path) !== root) continue;
    const taskId = path.basename(w.path);
    if (!w.locked && !w.prunable && existsSync(w.path)) {
      const merging = (await git(['rev-parse', '--verify', '--quiet', 'MERGE_HEAD'], { cwd: w.path, okCodes: [0, 1] })).code === 0;
      if (merging || (await changedPaths(w.path)).length) {
        const c = await commitTask(run, taskId, { prompt: 'wip (left uncommitted when the run was cleaned)', summary: 'Uncommitted work found in the worktree by cleanRun.', agent: 'orchestrator/clean' });
        if (c.kind === 'committed') report.wip.push({ taskId, commit: c.commit });
      }
    }
    // Everything git does not ignore is committed now; --force lets ignored files (and a cut-short checkout) go.
    await git(['worktree', 'remove', '--force', '--force', w.path], { cwd: repo, okCodes: [0, 128] });
    if (existsSync(w.path)) await rm(w.path, { recursive: true, force: true });
    report.removedWorktrees.push(w.path);
  }
  await git(['worktree', 'prune'], { cwd: repo });
  await rmdir(root).catch(() => undefined);

  const prefix = heads(taskBranch(runId, ''));
  for (const ref of await refsUnder(repo, prefix)) {
    const taskId = ref.slice(prefix.length);
    if (await deleteMergedBranch(run, taskId)) report.deletedBranches.push(taskBranch(runId, taskId));
    else report.keptBranches.push(taskBranch(runId, taskId));
  }
  // Starts of tasks whose branch is gone (or never made).
  const startPrefix = startRef(runId, '');
  for (const ref of await refsUnder(repo, startPrefix)) {
    if (!report.keptBranches.includes(taskBranch(runId, ref.slice(startPrefix.length)))) await git(['update-ref', '-d', ref], { cwd: repo });
  }
  if (opts.deleteResult) {
    await git(['update-ref', '-d', heads(resultBranch(runId))], { cwd: repo });
    await git(['update-ref', '-d', baseRef(runId)], { cwd: repo });
    report.resultDeleted = true;
  }
  return { ok: true, ...report };
}

async function refsUnder(repo: string, prefix: string): Promise<string[]> {
  const out = await gitLine(['for-each-ref', '--format=%(refname)', prefix], { cwd: repo });
  return out === '' ? [] : out.split('\n');
}

/**
 * After a crash (kill -9) of the process that ran this run's steps, removes
 * the lock files git leaves behind when killed mid-write: in the run's own
 * worktrees and refs, and the repository's packed-refs lock when no git
 * process works in the repository. Call it only when no process of the run is
 * alive any more, before the steps are run again.
 */
export async function recoverRun(run: RunLocation): Promise<string[]> {
  const removed: string[] = [];
  const common = path.resolve(run.repo, await gitLine(['rev-parse', '--git-common-dir'], { cwd: run.repo }));
  const root = runWorktrees(run.repo, run.runId);
  removed.push(...(await removeCutShortWorktrees(run, common)));
  for (const w of await listWorktrees(run.repo)) {
    if (path.dirname(w.path) !== root || !existsSync(w.path)) continue;
    const gitDir = await gitLine(['rev-parse', '--absolute-git-dir'], { cwd: w.path }).catch(() => undefined);
    if (gitDir) for (const f of ['index.lock', 'HEAD.lock']) if (existsSync(path.join(gitDir, f))) removed.push(path.join(gitDir, f));
  }
  const locks = [path.join(common, 'refs', 'heads', 'orchestrator', run.runId), path.join(common, 'refs', 'orchestrator', run.runId)];
  for (const d of locks) removed.push(...(await lockFiles(d)));
  // Deleting any ref locks the repository-wide packed-refs, so a step killed then leaves
  // packed-refs.lock and every later ref change fails. It is the person's repository's
  // lock too: removed only when no git process works in the repository any more.
  const packed = path.join(common, 'packed-refs.lock');
  if (existsSync(packed) && gitProcessesIn([path.resolve(run.repo), common])?.length === 0) removed.push(packed);
  for (const f of removed) await rm(f, { recursive: true, force: true });
  return removed;
}

/**
 * `git worktree add` killed midway leaves its admin directory
 * (`.git/worktrees/<name>`) half written — an empty `commondir` makes every
 * later `git worktree list` fail — with its `locked` file, which add removes
 * last; a removal killed midway leaves some of the files. The run's own are
 * recognised by their `gitdir` pointing into the run's worktrees or, when that
 * was not written, by the name of a task the run started (its start ref is
 * made before the worktree). Each is renamed out of `worktrees/` first, in one
 * atomic step, so a crash while deleting it cannot leave a worse one.
 */
async function removeCutShortWorktrees(run: RunLocation, common: string): Promise<string[]> {
  const admin = path.join(common, 'worktrees');
  const root = runWorktrees(run.repo, run.runId);
  const prefix = startRef(run.runId, '');
  const tasks = new Set((await refsUnder(run.repo, prefix)).map((r) => r.slice(prefix.length)));
  const removed: string[] = [];
  const content = (dir: string, file: string) => readFile(path.join(dir, file), 'utf8').then((t) => t.trim(), () => '');
  for (const name of await readdir(admin).catch(() => [] as string[])) {
    const dir = path.join(admin, name);
    const gitdir = await content(dir, 'gitdir');
    const ours = gitdir !== '' ? path.dirname(path.dirname(gitdir)) === root : tasks.has(name) || tasks.has(name.replace(/\d+$/, ''));
    if (!ours) continue;
    const whole = !existsSync(path.join(dir, 'locked')) && gitdir !== '' && (await content(dir, 'commondir')) !== '' && (await content(dir, 'HEAD')) !== '';
    if (whole) continue;
    const trash = path.join(common, `orchestrator-trash-${process.pid}-${removed.length}`);
    await rename(dir, trash);
    removed.push(dir);
  }
  for (const name of await readdir(common)) {
    if (name.startsWith('orchestrator-trash-')) await rm(path.join(common, name), { recursive: true, force: true });
  }
  return removed;
}

async function lockFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((e) => e.isFile() && e.name.endsWith('.lock')).map((e) => path.join(e.parentPath ?? e.path, e.name));
}
