import { existsSync } from 'node:fs';
import { copyFile, lstat, mkdir, readlink, symlink } from 'node:fs/promises';
import path from 'node:path';
import { OutputTail } from '../agents/output-tail.js';
import { spawnGroup, stopGroup } from '../os/process-group.js';
import { git, splitZ } from './exec.js';
import { ORCHESTRATOR_DIR } from './layout.js';

/** The file naming which ignored files a new worktree gets, in gitignore syntax (as Claude Code reads it). */
export const WORKTREE_INCLUDE = '.worktreeinclude';

/**
 * The files of the checkout that a new worktree should get: those matching a
 * pattern in `.worktreeinclude` AND ignored by git (`.env`, local config) —
 * tracked files come with the checkout anyway, and untracked ones that git
 * does not ignore are the person's work in progress, not configuration. Git
 * does both matchings: `ls-files --others --ignored --exclude-from` lists the
 * untracked files the include patterns match, `check-ignore` keeps those the
 * repository's own ignore rules ignore.
 */
export async function includedFiles(repo: string): Promise<string[]> {
  const includeFile = path.join(repo, WORKTREE_INCLUDE);
  if (!existsSync(includeFile)) return [];
  const matched = splitZ((await git(['ls-files', '-z', '--others', '--ignored', `--exclude-from=${includeFile}`], { cwd: repo })).stdout)
    .filter((p) => !p.startsWith(`${ORCHESTRATOR_DIR}/`));
  if (matched.length === 0) return [];
  const ignored = await git(['check-ignore', '--stdin', '-z'], { cwd: repo, input: `${matched.join('\0')}\0`, okCodes: [0, 1] });
  return splitZ(ignored.stdout).sort();
}

/** Copies `files` (relative paths) from `from` to `to`, skipping any already there; returns those copied. */
export async function copyFiles(from: string, to: string, files: readonly string[]): Promise<string[]> {
  const copied: string[] = [];
  for (const rel of files) {
    const src = path.join(from, rel);
    const dst = path.join(to, rel);
    if (existsSync(dst)) continue;
    const st = await lstat(src).catch(() => undefined);
    if (!st) continue;
    await mkdir(path.dirname(dst), { recursive: true });
    if (st.isSymbolicLink()) await symlink(await readlink(src), dst);
    else if (st.isFile()) await copyFile(src, dst);
    else continue;
    copied.push(rel);
  }
  return copied;
}

/** The setup command from config: an argv array, or a shell string run by `/bin/sh -c`. */
export type SetupCommand = readonly string[] | string;

export type SetupOutcome =
  | { ok: true }
  | { ok: false; exitCode: number | null; signal: NodeJS.Signals | null; timedOut: boolean; reason: string };

/** How long a setup command may take unless the config says otherwise. */
export const DEFAULT_SETUP_TIMEOUT_MS = 10 * 60_000;
const STOP_GRACE_MS = 2000;

/**
 * Runs the setup command in a new worktree as its own process group, stopped
 * (whole group) when `timeoutMs` passes or `signal` aborts. A failure carries the last lines of
 * its output as the reason.
 */
export function runSetup(command: SetupCommand, cwd: string, opts: { timeoutMs?: number; env?: Record<string, string>; signal?: AbortSignal } = {}): Promise<SetupOutcome> {
  const argv = typeof command === 'string' ? ['/bin/sh', '-c', command] : [...command];
  const tail = new OutputTail(20);
  return new Promise((resolve) => {
    let timedOut = false;
    let child: ReturnType<typeof spawnGroup>;
    try {
      child = spawnGroup(argv, { cwd, env: { ...process.env, ...opts.env } });
    } catch (err) {
      resolve({ ok: false, exitCode: null, signal: null, timedOut: false, reason: String(err) });
      return;
    }
    const timer = setTimeout(() => {
      timedOut = true;
      void stopGroup(child, STOP_GRACE_MS);
    }, opts.timeoutMs ?? DEFAULT_SETUP_TIMEOUT_MS);
    // The task was stopped (cancel, shutdown) while its worktree was being prepared.
    const onAbort = () => void stopGroup(child, STOP_GRACE_MS);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.signal?.aborted) onAbort();
    child.on('close', () => opts.signal?.removeEventListener('abort', onAbort));
    child.stdout!.setEncoding('utf8').on('data', (d: string) => tail.push(d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => tail.push(d));
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ ok: false, exitCode: null, signal: null, timedOut: false, reason: `setup could not start: ${err.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0 && !timedOut) {
        resolve({ ok: true });
        return;
      }
      const what = timedOut ? `setup timed out after ${opts.timeoutMs ?? DEFAULT_SETUP_TIMEOUT_MS} ms` : signal ? `setup killed by ${signal}` : `setup exited with ${code}`;
      const out = tail.text();
      resolve({ ok: false, exitCode: code, signal, timedOut, reason: out ? `${what}: ${out}` : what });
    });
  });
}
