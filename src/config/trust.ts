import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { Stats } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../errors.js';
import { errnoCode } from '../os/errno.js';
import { shown, whatItRuns } from './executes.js';
import type { ParsedConfigFile } from './parse.js';

/** Whether the project file may be used by a command that starts processes, and why. */
export type ProjectTrust =
  | { kind: 'given' } // named with --config by the person
  | { kind: 'not-needed' } // sets nothing that runs
  | { kind: 'trusted'; by: 'store' | 'flag' | 'env' }
  | { kind: 'untrusted'; changed: boolean };

/** The project's config file (found by the search, or given with --config) and its standing. */
export interface ProjectConfig {
  file: string;
  /** Symlinks resolved: the key it is trusted under. */
  realPath: string;
  /** What trust is checked against (src/config/trust.ts `configDigest`). */
  digest: string;
  /** What it sets that runs or decides what runs, one line each; empty when only harmless values. */
  runs: string[];
  trust: ProjectTrust;
}

/** What the person said about one project config file: its content, by digest, is allowed to run. */
export interface TrustRecord {
  /** sha256 of the settings the file holds (see `configDigest`). */
  sha256: string;
  /** ISO time of `orchestrator trust`. */
  trustedAt: string;
}

/** The trust store: real path of each trusted file → what was trusted. */
export type TrustStore = Record<string, TrustRecord>;

interface StoreFile {
  version: 1;
  files: TrustStore;
}

/**
 * The user's state directory, `$XDG_STATE_HOME/orchestrator`, falling back
 * to `~/.local/state/orchestrator` as the XDG spec says (also when
 * XDG_STATE_HOME is relative) — the same rule as the global config directory.
 */
export function userStateDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_STATE_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(env.HOME || os.homedir(), '.local', 'state');
  return path.join(base, 'orchestrator');
}

/** Where trust is recorded: outside every repository, so a repository cannot trust itself. */
export function trustStorePath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(userStateDir(env), 'trust.json');
}

/**
 * The digest trust is checked against: sha256 of the settings the file holds
 * as parsed (for package.json, its "orchestrator" key only, so bumping a
 * dependency does not revoke trust). Any change to a value, key or order asks
 * for trust again; what is hashed is exactly what is used.
 */
export function configDigest(data: unknown): string {
  return createHash('sha256').update(JSON.stringify(data ?? null)).digest('hex');
}

/** Reads the trust store; a missing store is empty, a broken one is an input error naming it. */
export async function readTrustStore(env: NodeJS.ProcessEnv = process.env): Promise<TrustStore> {
  const file = trustStorePath(env);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return {};
    throw new UserError(`cannot read the trust store ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    const parsed = JSON.parse(text) as Partial<StoreFile>;
    const files = parsed.files;
    if (parsed.version !== 1 || typeof files !== 'object' || files === null || Array.isArray(files)) throw new Error('not a version 1 trust store');
    const store: TrustStore = {};
    for (const [p, r] of Object.entries(files)) {
      if (typeof r === 'object' && r !== null && typeof r.sha256 === 'string') store[p] = { sha256: r.sha256, trustedAt: String(r.trustedAt) };
    }
    return store;
  } catch (err) {
    throw new UserError(
      `the trust store ${file} is damaged (${err instanceof Error ? err.message : String(err)}): delete it and trust your project configs again`,
    );
  }
}

/** Writes the store whole (a temporary file renamed over it), readable by the user only. */
async function writeTrustStore(store: TrustStore, env: NodeJS.ProcessEnv): Promise<void> {
  const file = trustStorePath(env);
  const dir = path.dirname(file);
  await fs.mkdir(path.dirname(dir), { recursive: true });
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const body: StoreFile = { version: 1, files: Object.fromEntries(Object.entries(store).sort(([a], [b]) => a.localeCompare(b))) };
  await fs.writeFile(tmp, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
  await fs.rename(tmp, file);
}

/** Records that the file at `realPath`, with these settings, may run. */
export async function addTrust(realPath: string, digest: string, env: NodeJS.ProcessEnv = process.env, now = new Date()): Promise<void> {
  const store = await readTrustStore(env);
  store[realPath] = { sha256: digest, trustedAt: now.toISOString() };
  await writeTrustStore(store, env);
}

/** Forgets a file; false when it was not trusted. */
export async function removeTrust(realPath: string, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const store = await readTrustStore(env);
  if (!Object.hasOwn(store, realPath)) return false;
  delete store[realPath];
  await writeTrustStore(store, env);
  return true;
}

/** How a file's settings stand against the store. */
export type StoredTrust = 'trusted' | 'changed' | 'unknown';

export function storedTrust(store: TrustStore, realPath: string, digest: string): StoredTrust {
  if (!Object.hasOwn(store, realPath)) return 'unknown';
  return store[realPath]!.sha256 === digest ? 'trusted' : 'changed';
}

/**
 * Refuses a config file another user could have written, as git's
 * safe.directory does: owned by someone else, or writable by group or
 * others. Undefined when it is safe (or the platform has no uids).
 */
export function unsafeFileReason(file: string, st: Pick<Stats, 'uid' | 'mode'>, uid = process.getuid?.()): string | undefined {
  if (uid === undefined) return undefined;
  if (st.uid !== uid) {
    return `refusing ${file}: it is owned by uid ${st.uid}, not by you (uid ${uid}), so someone else could have written what it runs. If you trust it, make it yours (chown ${uid} ${shellQuote(file)}) or copy it to a file you own and pass --config`;
  }
  if ((st.mode & 0o022) !== 0) {
    const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
    return `refusing ${file}: it is writable by ${st.mode & 0o002 ? 'every user' : 'its group'} (mode ${mode}), so someone else could change what it runs. Fix: chmod go-w ${shellQuote(file)}`;
  }
  return undefined;
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * How the project file stands: given with --config, harmless, trusted (by the
 * store, `--trust` or ORCHESTRATOR_TRUST=1 — never CI), or not trusted.
 */
export async function projectTrust(
  file: ParsedConfigFile,
  opts: { given: boolean; trustGiven: boolean; env: NodeJS.ProcessEnv },
): Promise<ProjectConfig> {
  const { env } = opts;
  const realPath = await fs.realpath(file.path).catch(() => file.path);
  const digest = configDigest(file.data);
  const runs = whatItRuns(file.data);
  const base = { file: file.path, realPath, digest, runs };
  if (opts.given) return { ...base, trust: { kind: 'given' } };
  if (runs.length === 0) return { ...base, trust: { kind: 'not-needed' } };
  if (opts.trustGiven) return { ...base, trust: { kind: 'trusted', by: 'flag' } };
  if (env.ORCHESTRATOR_TRUST === '1') return { ...base, trust: { kind: 'trusted', by: 'env' } };
  const stored = storedTrust(await readTrustStore(env), realPath, digest);
  return { ...base, trust: stored === 'trusted' ? { kind: 'trusted', by: 'store' } : { kind: 'untrusted', changed: stored === 'changed' } };
}

/** The refusal: which file, what it would run, and how to trust it. */
export function untrustedError(project: ProjectConfig): UserError {
  const state = project.trust.kind === 'untrusted' && project.trust.changed ? 'has changed since you trusted it' : 'is not trusted';
  return new UserError(
    [
      `${shown(project.file)} ${state}. Nothing from a project config runs before you trust it; it would:`,
      ...project.runs.map((line) => `  - ${line}`),
      'Read it, then trust it: orchestrator trust',
      'Or, for this one command (e.g. in CI): --trust, or ORCHESTRATOR_TRUST=1.',
    ].join('\n'),
  );
}
