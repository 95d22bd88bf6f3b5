import { spawn } from 'node:child_process';

/**
 * Why the git CLI and not a library: git itself is the tool made for this job.
 * Worktrees, `merge-tree --write-tree` (ort), `update-ref` compare-and-swap,
 * trailers and the ignore rules are exactly git's own semantics only when git
 * does them; isomorphic-git and libgit2 bindings lack worktrees or ort, and
 * would read a repository differently from the git the person uses on it.
 */

/** Per-call limit: long enough for a checkout of a big tree, short enough that a hung git is noticed. */
export const DEFAULT_GIT_TIMEOUT_MS = 120_000;

/**
 * Config given to every git call. Each one keeps code from the repository
 * from running inside the orchestrator's own steps (docs/architecture.md §7: nothing from
 * a repository runs before the person trusted it) and keeps an unattended
 * run from stopping:
 * - `core.hooksPath=/dev/null`: hooks do not run for the orchestrator's own
 *   commits and checkouts. A pre-commit hook that fails would turn an agent's
 *   finished work into a failure with nobody at the keyboard to fix it;
 *   lint-staged style hooks stash and rewrite the working tree; post-checkout
 *   hooks (husky, LFS) would run per worktree, each time; and a repository can
 *   point `core.hooksPath` into its own tracked files. Per-worktree preparation
 *   is the explicit setup command; the person's hooks still run on their own
 *   commits of the applied result.
 * - `core.fsmonitor=false`: a repository-configured fsmonitor is a command.
 * - `commit.gpgSign=false`: signing may ask for a passphrase nobody can type.
 * - `gc.auto=0`: no background gc in the middle of a run's steps; the person's
 *   next own git command does it.
 */
const SAFE_CONFIG = ['-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=false', '-c', 'commit.gpgSign=false', '-c', 'gc.auto=0'];

/**
 * Variables that point git at another repository or index than `cwd`'s.
 * Inherited from a parent git (a hook, `rebase -x`), they would make every
 * call act on that repository instead: they are dropped.
 */
const REPOSITORY_ENV = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_COMMON_DIR', 'GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES', 'GIT_NAMESPACE', 'GIT_PREFIX'];

function gitEnv(extra: Record<string, string> | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of REPOSITORY_ENV) delete env[k];
  return { ...env, ...extra, LC_ALL: 'C', LANGUAGE: 'C', GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0', GIT_PAGER: 'cat' };
}

export interface GitCallOptions {
  cwd: string;
  /** Added to the environment (identity fallback, GIT_INDEX_FILE…). */
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Written to git's stdin. */
  input?: string;
  /** Exit codes that are answers, not failures (e.g. 1 for `merge-base --is-ancestor`). Default [0]. */
  okCodes?: readonly number[];
  /** The git executable; tests point it at an older or fake git. */
  gitBinary?: string;
}

export interface GitOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/** A git call that failed in a way the caller did not expect; the message carries git's own words. */
export class GitError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly code: number | null,
    readonly stderr: string,
    readonly timedOut = false,
  ) {
    const what = timedOut ? 'timed out' : code === null ? 'was killed' : `exited with ${code}`;
    super(`git ${args.join(' ')} ${what}${stderr.trim() ? `: ${stderr.trim().split('\n').slice(-3).join(' / ')}` : ''}`);
    this.name = 'GitError';
  }
}

/**
 * Runs git with an argv array (never a shell string), `LC_ALL=C` so its output
 * parses the same everywhere, no terminal prompt, no optional locks (a
 * `status` of the person's checkout does not rewrite their index), and a
 * timeout after which it is killed. Resolves with the output when the exit code is in `okCodes`.
 */
export function git(args: readonly string[], opts: GitCallOptions): Promise<GitOutput> {
  const okCodes = opts.okCodes ?? [0];
  const argv = [...SAFE_CONFIG, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(opts.gitBinary ?? 'git', argv, {
      cwd: opts.cwd,
      env: gitEnv(opts.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? DEFAULT_GIT_TIMEOUT_MS);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (code !== null && okCodes.includes(code) && !timedOut) resolve({ code, stdout, stderr });
      else reject(new GitError(args, code, stderr, timedOut));
    });
    // git may exit before reading its input (an error): a broken pipe is not ours to report.
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

/** `git …` and its trimmed stdout: for the many calls that answer one line. */
export async function gitLine(args: readonly string[], opts: GitCallOptions): Promise<string> {
  return (await git(args, opts)).stdout.trim();
}

/** Splits `-z` output into its non-empty fields. */
export function splitZ(text: string): string[] {
  return text.split('\0').filter((s) => s !== '');
}
