import { existsSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import { UserError } from '../errors.js';
import { databasePath, ensureStateDir } from './paths.js';

const SCHEMA_VERSION = 1;

/**
 * One row per run, per task (its spec, dependencies and writes, and current
 * state), per attempt, per follow-up, and per event (task output excepted:
 * transcripts are files). JSON columns hold what the engine's types hold.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY,
  plan_name TEXT NOT NULL,
  plan_file TEXT NOT NULL,
  plan_hash TEXT,
  workspace TEXT NOT NULL,
  concurrency INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  ended_at INTEGER,
  state TEXT NOT NULL,
  exit_code INTEGER,
  session INTEGER NOT NULL DEFAULT 1,
  paused INTEGER NOT NULL DEFAULT 0,
  journal_seq INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS tasks (
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  id TEXT NOT NULL,
  ord INTEGER NOT NULL,
  agent TEXT NOT NULL,
  spec TEXT NOT NULL,
  spawned_by TEXT,
  kind TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  started_at INTEGER,
  ended_at INTEGER,
  session_id TEXT,
  usage TEXT,
  last_failure TEXT,
  transcript TEXT NOT NULL,
  PRIMARY KEY (run_id, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dependencies (
  run_id TEXT NOT NULL, task_id TEXT NOT NULL, depends_on TEXT NOT NULL,
  PRIMARY KEY (run_id, task_id, depends_on)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS writes (
  run_id TEXT NOT NULL, task_id TEXT NOT NULL, path TEXT NOT NULL,
  PRIMARY KEY (run_id, task_id, path)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS attempts (
  run_id TEXT NOT NULL, task_id TEXT NOT NULL, n INTEGER NOT NULL,
  session INTEGER NOT NULL,
  started_at INTEGER NOT NULL, ended_at INTEGER,
  state TEXT NOT NULL, reason TEXT, exit_code INTEGER,
  session_id TEXT,
  input_tokens INTEGER NOT NULL DEFAULT 0, output_tokens INTEGER NOT NULL DEFAULT 0,
  cache_read_tokens INTEGER NOT NULL DEFAULT 0, cache_write_tokens INTEGER NOT NULL DEFAULT 0,
  cost_usd REAL NOT NULL DEFAULT 0,
  pgid INTEGER, pgid_start TEXT,
  PRIMARY KEY (run_id, task_id, n)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS follow_ups (
  run_id TEXT NOT NULL, parent_id TEXT NOT NULL, follow_up_id TEXT NOT NULL,
  outcome TEXT NOT NULL, reason TEXT,
  PRIMARY KEY (run_id, parent_id, follow_up_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL, session INTEGER NOT NULL, seq INTEGER NOT NULL, time INTEGER NOT NULL,
  type TEXT NOT NULL, task_id TEXT, data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_run ON events (run_id, session, seq);
CREATE TABLE IF NOT EXISTS run_lock (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  run_id TEXT NOT NULL, pid INTEGER NOT NULL, start_time TEXT, acquired_at INTEGER NOT NULL
);
`;

export interface OpenOptions {
  /** `FULL` fsyncs every commit (survives power loss); `NORMAL` (default) survives the process dying. */
  synchronous?: 'NORMAL' | 'FULL';
  /** How long to wait for another process's write lock before giving up (ms). */
  busyTimeoutMs?: number;
}

/**
 * Opens (creating on first use) the workspace's run database in WAL mode.
 * A file that is not a database, is damaged, or stays locked becomes a
 * UserError naming the file: never a stack trace, never a silent fresh start.
 */
export function openRunDatabase(workspace: string, opts: OpenOptions = {}): Db {
  ensureStateDir(workspace);
  const file = databasePath(workspace);
  if (existsSync(file) && statSync(file).size < 512 && !existsSync(`${file}-wal`)) {
    throw corrupt(file, 'the file is empty or cut short');
  }
  return guard(file, () => {
    const db = new Database(file, { timeout: opts.busyTimeoutMs ?? 2000 });
    try {
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${opts.synchronous ?? 'NORMAL'}`);
      db.pragma('foreign_keys = ON');
      const check = db.pragma('quick_check(1)', { simple: true });
      if (check !== 'ok') throw corrupt(file, String(check));
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version > SCHEMA_VERSION) {
        throw new UserError(`${file}: the run database was written by a newer orchestrator (schema ${version}, this one knows ${SCHEMA_VERSION})`);
      }
      if (version < SCHEMA_VERSION) {
        db.transaction(() => {
          db.exec(SCHEMA);
          db.pragma(`user_version = ${SCHEMA_VERSION}`);
        })();
      }
      return db;
    } catch (err) {
      db.close();
      throw err;
    }
  });
}

/**
 * A further connection to a database openRunDatabase has already opened and
 * checked in this run (the recorder's writer thread): same pragmas, no checks.
 */
export function connectRunDatabase(file: string, opts: OpenOptions = {}): Db {
  const db = new Database(file, { timeout: opts.busyTimeoutMs ?? 2000 });
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${opts.synchronous ?? 'NORMAL'}`);
  db.pragma('foreign_keys = ON');
  return db;
}

/** Runs `fn`, turning SQLite's corrupt and locked errors into clear UserErrors about `file`. */
export function guard<T>(file: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw asUserError(file, err);
  }
}

export function asUserError(file: string, err: unknown): unknown {
  if (err instanceof UserError) return err;
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  const message = err instanceof Error ? err.message : String(err);
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') return corrupt(file, message);
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new UserError(
      `${file}: the run database is locked by another process (${message}); wait for it to finish, or find it with: fuser ${file}`,
    );
  }
  if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_IOERR')) {
    return new UserError(`${file}: cannot use the run database: ${message}`);
  }
  return err;
}

function corrupt(file: string, detail: string): UserError {
  return new UserError(
    `${file}: the run database is damaged (${detail}). Nothing was changed. Move it aside to start afresh (mv ${file} ${file}.bad), which forgets every recorded run`,
  );
}
