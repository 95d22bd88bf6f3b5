import { existsSync } from 'node:fs';
import path from 'node:path';
import { git, gitLine } from './exec.js';
import { resolveRef, startRef, worktreePath } from './layout.js';
import type { RunLocation } from './layout.js';
import { identityEnv } from './repo.js';

/** What the commit of a task's work says about it. */
export interface TaskCommitInfo {
  /** The task's prompt: its first line becomes the subject. */
  prompt: string;
  /** The agent's result summary: the body. */
  summary?: string;
  /** `role/provider`, e.g. `coder/claude`. */
  agent: string;
  /** The agent's session id, when known. */
  session?: string;
}

export type CommitResult =
  | { kind: 'committed'; commit: string }
  /** Nothing new to commit, but the branch already has the task's commit (made before a crash). */
  | { kind: 'already-committed'; commit: string }
  /** The agent changed nothing git tracks: no commit, nothing to merge. */
  | { kind: 'no-change' }
  | { kind: 'no-worktree'; dir: string };

export const SUBJECT_MAX = 60;
const BODY_MAX = 20_000;

/** Trailer keys, one place for writing and reading them. */
export const TRAILER = { run: 'Orchestrator-Run', task: 'Orchestrator-Task', agent: 'Orchestrator-Agent', session: 'Orchestrator-Session' } as const;

/** One line with control characters and runs of whitespace made single spaces. */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f\s]+/g, ' ').trim();
}

/** `<task-id>: <first non-empty line of the prompt, at most ~60 characters>`. */
export function commitSubject(taskId: string, prompt: string): string {
  const first = oneLine(prompt.split('\n').find((l) => l.trim() !== '') ?? '');
  const short = first.length > SUBJECT_MAX ? `${first.slice(0, SUBJECT_MAX - 1).trimEnd()}…` : first;
  return short ? `${taskId}: ${short}` : taskId;
}

/** The full message (subject, body) without trailers; `--trailer` adds those. */
export function commitMessage(taskId: string, info: Pick<TaskCommitInfo, 'prompt' | 'summary'>): string {
  // eslint-disable-next-line no-control-regex
  const body = (info.summary ?? '').replace(/\r\n?/g, '\n').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '').trim().slice(0, BODY_MAX);
  return `${commitSubject(taskId, info.prompt)}\n${body ? `\n${body}\n` : ''}`;
}

export function trailerArgs(pairs: Array<[string, string | undefined]>): string[] {
  return pairs.filter((p): p is [string, string] => p[1] !== undefined && oneLine(p[1]) !== '').flatMap(([k, v]) => ['--trailer', `${k}: ${oneLine(v)}`]);
}

/**
 * Commits everything the agent changed that git does not ignore (`git add -A`
 * in the worktree) on the task branch, with the orchestrator's trailers.
 * Safe to call again after a crash: with nothing left to add, a branch that
 * moved past the task's start already holds the commit.
 */
export async function commitTask(run: RunLocation, taskId: string, info: TaskCommitInfo): Promise<CommitResult> {
  const dir = worktreePath(run.repo, run.runId, taskId);
  if (!existsSync(path.join(dir, '.git'))) return { kind: 'no-worktree', dir };
  await git(['add', '-A'], { cwd: dir });
  const staged = (await git(['diff', '--cached', '--quiet'], { cwd: dir, okCodes: [0, 1] })).code === 1;
  const merging = (await git(['rev-parse', '--verify', '--quiet', 'MERGE_HEAD'], { cwd: dir, okCodes: [0, 1] })).code === 0;
  if (!staged && !merging) {
    const tip = await gitLine(['rev-parse', 'HEAD'], { cwd: dir });
    const start = await resolveRef(run.repo, startRef(run.runId, taskId));
    return tip === start ? { kind: 'no-change' } : { kind: 'already-committed', commit: tip };
  }
  await git(
    [
      'commit', '--quiet', '--no-verify', '--cleanup=whitespace', '-F', '-',
      ...trailerArgs([[TRAILER.run, run.runId], [TRAILER.task, taskId], [TRAILER.agent, info.agent], [TRAILER.session, info.session]]),
    ],
    { cwd: dir, input: commitMessage(taskId, info), env: await identityEnv(run.repo) },
  );
  return { kind: 'committed', commit: await gitLine(['rev-parse', 'HEAD'], { cwd: dir }) };
}
