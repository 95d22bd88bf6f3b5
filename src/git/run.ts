import { git } from './exec.js';
import { baseRef, createRef, ensureExcluded, heads, resolveRef, resultBranch } from './layout.js';
import type { RunRef } from './layout.js';
import { badId, checkRepo } from './repo.js';
import type { RepoRefusal } from './repo.js';

export type StartRunResult =
  | { ok: true; run: RunRef; resumed: boolean }
  | ({ ok: false } & RepoRefusal)
  | { ok: false; kind: 'bad-ref'; ref: string; fix: string };

/**
 * Starts (or picks up again) a run in the repository containing `dir`:
 * records the base commit (`HEAD`, or `ref`) as `refs/orchestrator/<run>/base`
 * and creates `orchestrator/<run>/result` at it. Run again with the same id it
 * changes nothing and returns the recorded base (`resumed: true`), so a
 * crashed run restarts from the repository alone.
 */
export async function startRun(dir: string, runId: string, opts: { ref?: string; gitBinary?: string } = {}): Promise<StartRunResult> {
  const check = await checkRepo(dir, { gitBinary: opts.gitBinary });
  if (!check.ok) return check;
  const bad = badId(runId);
  if (bad) return { ok: false, ...bad };
  const repo = check.root;
  await ensureExcluded(repo);

  const ref = opts.ref ?? 'HEAD';
  const startBranch = await branchOf(repo, ref);
  let base = await resolveRef(repo, baseRef(runId));
  const resumed = base !== undefined;
  if (!base) {
    const commit = await resolveRef(repo, ref);
    if (!commit) return { ok: false, kind: 'bad-ref', ref, fix: `'${ref}' names no commit here: give a branch, tag or commit` };
    // Created only if absent: two starts racing agree on the first one's base.
    await createRef(repo, baseRef(runId), commit, `orchestrator: run ${runId} base`);
    base = (await resolveRef(repo, baseRef(runId)))!;
  }
  // The second ref of the pair: missing only after a crash between the two.
  await createRef(repo, heads(resultBranch(runId)), base, `orchestrator: run ${runId} result`);
  return { ok: true, run: { repo, runId, base, startBranch }, resumed };
}

/** The local branch `ref` names (`HEAD` → the checked-out branch), or null. */
async function branchOf(repo: string, ref: string): Promise<string | null> {
  if (ref === 'HEAD') {
    const o = await git(['symbolic-ref', '--quiet', '--short', 'HEAD'], { cwd: repo, okCodes: [0, 1] });
    return o.code === 0 ? o.stdout.trim() : null;
  }
  const o = await git(['rev-parse', '--verify', '--quiet', '--symbolic-full-name', ref], { cwd: repo, okCodes: [0, 1] });
  const full = o.stdout.trim();
  return full.startsWith('refs/heads/') ? full.slice('refs/heads/'.length) : null;
}
