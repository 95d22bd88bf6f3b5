import { existsSync } from 'node:fs';
import path from 'node:path';
import { TRAILER, trailerArgs } from './commit.js';
import { git, gitLine, splitZ } from './exec.js';
import { changedPaths, heads, isAncestor, resolveRef, resultBranch } from './layout.js';
import type { RunRef } from './layout.js';
import { identityEnv } from './repo.js';

/** What decides how a run's result can come into the person's checkout; gathered by `applyFacts`. */
export interface ApplyFacts {
  head: string;
  /** The checked-out branch, null when HEAD is detached. */
  branch: string | null;
  startBranch: string | null;
  result: string;
  /** The result already is in HEAD. */
  upToDate: boolean;
  /** HEAD is an ancestor of the result: a fast-forward suffices. */
  fastForward: boolean;
  /** When a merge is needed: its tree, or the conflicted files. */
  merge?: { tree: string } | { conflicts: string[] };
  /** Files the apply would change in the checkout. */
  touched: string[];
  /** Files the person changed (or added, untracked) and did not commit. */
  localChanges: string[];
  /** A merge, rebase, cherry-pick or revert the person has in progress. */
  inProgress?: string;
}

export type ApplyRefusal =
  | { kind: 'refused'; reason: 'wrong-branch'; expected: string | null; found: string | null }
  | { kind: 'refused'; reason: 'in-progress'; operation: string }
  | { kind: 'refused'; reason: 'local-changes'; files: string[] }
  | { kind: 'refused'; reason: 'conflict'; files: string[] };

export type ApplyDecision = { kind: 'up-to-date' } | { kind: 'fast-forward'; to: string } | { kind: 'merge'; tree: string } | ApplyRefusal;

/**
 * Whether and how the result can be applied, from the facts alone: only
 * onto the branch the run started from, never over an operation in progress,
 * never when a file the apply changes has local changes (those are listed).
 * Local changes to other files are fine: they stay as they are.
 */
export function decideApply(f: ApplyFacts): ApplyDecision {
  if (f.branch !== f.startBranch) return { kind: 'refused', reason: 'wrong-branch', expected: f.startBranch, found: f.branch };
  if (f.upToDate) return { kind: 'up-to-date' };
  if (f.inProgress) return { kind: 'refused', reason: 'in-progress', operation: f.inProgress };
  if (f.merge && 'conflicts' in f.merge) return { kind: 'refused', reason: 'conflict', files: f.merge.conflicts };
  const touched = new Set(f.touched);
  const inTheWay = f.localChanges.filter((p) => touched.has(p));
  if (inTheWay.length) return { kind: 'refused', reason: 'local-changes', files: [...new Set(inTheWay)].sort() };
  if (f.fastForward) return { kind: 'fast-forward', to: f.result };
  if (f.merge) return { kind: 'merge', tree: f.merge.tree };
  throw new Error('decideApply: neither fast-forward nor merge facts');
}

const IN_PROGRESS: Array<[string, string]> = [['MERGE_HEAD', 'merge'], ['rebase-merge', 'rebase'], ['rebase-apply', 'rebase or am'], ['CHERRY_PICK_HEAD', 'cherry-pick'], ['REVERT_HEAD', 'revert']];

/** Gathers the facts for `decideApply`; reads the checkout, changes nothing in it. */
export async function applyFacts(run: RunRef): Promise<ApplyFacts> {
  const { repo } = run;
  const head = await gitLine(['rev-parse', 'HEAD'], { cwd: repo });
  const sym = await git(['symbolic-ref', '--quiet', '--short', 'HEAD'], { cwd: repo, okCodes: [0, 1] });
  const branch = sym.code === 0 ? sym.stdout.trim() : null;
  const result = await resolveRef(repo, heads(resultBranch(run.runId)));
  if (!result) throw new Error(`run ${run.runId} has no result branch`);
  let inProgress: string | undefined;
  for (const [file, operation] of IN_PROGRESS) {
    if (existsSync(path.resolve(repo, await gitLine(['rev-parse', '--git-path', file], { cwd: repo })))) inProgress ??= operation;
  }
  const upToDate = await isAncestor(repo, result, head);
  const fastForward = !upToDate && (await isAncestor(repo, head, result));
  let merge: ApplyFacts['merge'];
  let target = result;
  if (!upToDate && !fastForward) {
    const m = await git(['merge-tree', '--write-tree', '--name-only', '--no-messages', '-z', head, result], { cwd: repo, okCodes: [0, 1] });
    const [tree, ...files] = splitZ(m.stdout);
    merge = m.code === 0 ? { tree: tree! } : { conflicts: [...new Set(files)] };
    target = tree!;
  }
  const touched = upToDate ? [] : splitZ((await git(['diff', '--name-only', '--no-renames', '-z', head, target], { cwd: repo })).stdout);
  return { head, branch, startBranch: run.startBranch, result, upToDate, fastForward, merge, touched, localChanges: await changedPaths(repo), inProgress };
}

/** The "can auto-apply?" check: the decision `applyResult` would act on, with nothing changed. */
export async function canAutoApply(run: RunRef): Promise<ApplyDecision> {
  return decideApply(await applyFacts(run));
}

export type ApplyResult = { kind: 'up-to-date' } | { kind: 'fast-forwarded'; commit: string } | { kind: 'merged'; commit: string } | ApplyRefusal;

/**
 * Brings the run's result into the person's checkout — the only function
 * that touches it. A fast-forward when the checkout is still where the run
 * started; otherwise a merge commit made without the checkout (as the merge
 * queue does), which the checkout is then fast-forwarded to. Either way git's
 * `merge --ff-only` moves the files, and it too keeps local changes.
 */
export async function applyResult(run: RunRef): Promise<ApplyResult> {
  const facts = await applyFacts(run);
  const decision = decideApply(facts);
  switch (decision.kind) {
    case 'up-to-date':
    case 'refused':
      return decision;
    case 'fast-forward':
      await fastForward(run.repo, decision.to);
      return { kind: 'fast-forwarded', commit: decision.to };
    case 'merge': {
      const message = `Merge orchestrator run ${run.runId}\n`;
      const input = (await git(['interpret-trailers', ...trailerArgs([[TRAILER.run, run.runId]])], { cwd: run.repo, input: message })).stdout;
      const commit = await gitLine(['commit-tree', decision.tree, '-p', facts.head, '-p', facts.result, '-F', '-'], {
        cwd: run.repo,
        input,
        env: await identityEnv(run.repo),
      });
      await fastForward(run.repo, commit);
      return { kind: 'merged', commit };
    }
    default: {
      const never: never = decision;
      throw new Error(`applyResult: unknown decision ${JSON.stringify(never)}`);
    }
  }
}

async function fastForward(repo: string, to: string): Promise<void> {
  // --no-autostash: a configured merge.autoStash would push and pop the person's stash.
  await git(['merge', '--ff-only', '--quiet', '--no-autostash', '--no-verify-signatures', to], { cwd: repo });
}
