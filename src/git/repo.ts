import { realpathSync } from 'node:fs';
import { GitError, git, gitLine } from './exec.js';

/** `merge-tree --write-tree` (the merge that touches no checkout) came with git 2.38. */
export const MIN_GIT: GitVersion = { major: 2, minor: 38, patch: 0 };

export interface GitVersion {
  major: number;
  minor: number;
  patch: number;
}

/** Why isolated workspaces cannot be used in a directory, each with a one-line fix. */
export type RepoRefusal =
  | { kind: 'git-missing'; fix: string }
  | { kind: 'git-too-old'; found: string; needed: string; fix: string }
  | { kind: 'not-a-repo'; dir: string; fix: string }
  | { kind: 'no-commit'; repo: string; fix: string }
  | { kind: 'bad-id'; id: string; fix: string };

export type RepoCheck = { ok: true; root: string; version: GitVersion } | ({ ok: false } & RepoRefusal);

/** Parses `git version 2.39.5` (and vendor suffixes like `.windows.1`, `(Apple Git-143)`). */
export function parseGitVersion(text: string): GitVersion | undefined {
  const m = /git version (\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0) };
}

export function versionAtLeast(v: GitVersion, min: GitVersion): boolean {
  if (v.major !== min.major) return v.major > min.major;
  if (v.minor !== min.minor) return v.minor > min.minor;
  return v.patch >= min.patch;
}

export function formatVersion(v: GitVersion): string {
  return `${v.major}.${v.minor}.${v.patch}`;
}

const versions = new Map<string, Promise<GitVersion | undefined>>();

/** The version of `gitBinary`, asked once per process; undefined when git is not installed. */
export function gitVersion(gitBinary = 'git'): Promise<GitVersion | undefined> {
  let v = versions.get(gitBinary);
  if (!v) {
    v = git(['--version'], { cwd: '/', gitBinary }).then(
      (o) => parseGitVersion(o.stdout),
      () => undefined,
    );
    versions.set(gitBinary, v);
  }
  return v;
}

/**
 * Ids become parts of branch names and directory names. Plan ids are letters,
 * digits, `- _ .`; git refuses some of those spellings in a ref (`.x`, `a..b`,
 * `x.lock`, a trailing dot), so those are refused here, before anything is made.
 */
export function idProblem(id: string): string | undefined {
  if (!/^[A-Za-z0-9_.-]{1,200}$/.test(id)) return 'only letters, digits, - _ . (at most 200)';
  if (id.startsWith('.') || id.startsWith('-')) return 'must not start with . or -';
  if (id.includes('..')) return 'must not contain ..';
  if (id.endsWith('.') || id.endsWith('.lock')) return 'must not end with . or .lock';
  return undefined;
}

export function badId(id: string): RepoRefusal | undefined {
  const problem = idProblem(id);
  return problem ? { kind: 'bad-id', id, fix: `rename '${id}': a git branch name part ${problem}` } : undefined;
}

/**
 * The checks made before a run uses a repository: git new enough, a work tree,
 * at least one commit. Returns the repository's top directory (real path).
 */
export async function checkRepo(dir: string, opts: { gitBinary?: string } = {}): Promise<RepoCheck> {
  const version = await gitVersion(opts.gitBinary);
  if (!version) return { ok: false, kind: 'git-missing', fix: 'install git 2.38 or newer, or set isolation: none' };
  if (!versionAtLeast(version, MIN_GIT)) {
    const found = formatVersion(version);
    return { ok: false, kind: 'git-too-old', found, needed: formatVersion(MIN_GIT), fix: `isolation: worktree needs git ≥ 2.38 (found ${found}); set isolation: none or upgrade git` };
  }
  let root: string;
  try {
    root = await gitLine(['rev-parse', '--show-toplevel'], { cwd: dir, gitBinary: opts.gitBinary });
  } catch (err) {
    if (!(err instanceof GitError) && !isMissingDir(err)) throw err;
    return { ok: false, kind: 'not-a-repo', dir, fix: 'run `git init && git add -A && git commit -m init` there, or set isolation: none' };
  }
  if (root === '') return { ok: false, kind: 'not-a-repo', dir, fix: 'run it in a repository with a work tree (not a bare repository), or set isolation: none' };
  root = realpathSync(root);
  const head = await git(['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], { cwd: root, okCodes: [0, 1], gitBinary: opts.gitBinary });
  if (head.code !== 0) return { ok: false, kind: 'no-commit', repo: root, fix: 'run `git commit --allow-empty -m init` first: a run starts from a commit' };
  return { ok: true, root, version };
}

function isMissingDir(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'ENOENT';
}

const FALLBACK_NAME = 'orchestrator';
const FALLBACK_EMAIL = 'orchestrator@localhost';

const identities = new Map<string, Promise<Record<string, string>>>();

/**
 * Environment for the orchestrator's commits: empty when git knows who the
 * person is (their name goes on the work), else a fixed "orchestrator"
 * identity — given through the environment, so the person's config is never
 * written. `git var` fails exactly when `git commit` would ("Please tell me
 * who you are"). Asked once per repository per process: a run does not wait on it per commit.
 */
export function identityEnv(repo: string): Promise<Record<string, string>> {
  let id = identities.get(repo);
  if (!id) {
    id = (async () => {
      const known = async (name: string) => (await git(['var', name], { cwd: repo, okCodes: [0, 128] })).code === 0;
      const [author, committer] = await Promise.all([known('GIT_AUTHOR_IDENT'), known('GIT_COMMITTER_IDENT')]);
      return {
        ...(author ? {} : { GIT_AUTHOR_NAME: FALLBACK_NAME, GIT_AUTHOR_EMAIL: FALLBACK_EMAIL }),
        ...(committer ? {} : { GIT_COMMITTER_NAME: FALLBACK_NAME, GIT_COMMITTER_EMAIL: FALLBACK_EMAIL }),
      };
    })();
    identities.set(repo, id);
  }
  return id;
}
