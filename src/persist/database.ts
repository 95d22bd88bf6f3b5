import { closeSync, existsSync, fstatSync, linkSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import { errnoCode } from '../os/errno.js';
import { UserError } from '../errors.js';
import { databasePath, ensureStateDir } from './paths.js';

const SCHEMA_VERSION = 7;

/**
 * One row per run, per task (its spec, dependencies and writes, and current
 * state), per attempt, per follow-up, and per catch-up of a journal (the
 * event log: the events it applied as JSON lines, task output excepted: transcripts
 * are files). JSON columns hold what the engine's types hold.
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
  journal_seq INTEGER NOT NULL DEFAULT 0,
  git_repo TEXT,
  git_base TEXT,
  git_start_branch TEXT,
  budget TEXT,
  over_budget TEXT
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
  session_usage TEXT,
  last_failure TEXT,
  limit_hits INTEGER NOT NULL DEFAULT 0,
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
  cost_reported INTEGER NOT NULL DEFAULT 0,
  pgid INTEGER, pgid_start TEXT,
  PRIMARY KEY (run_id, task_id, n)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS follow_ups (
  run_id TEXT NOT NULL, parent_id TEXT NOT NULL, follow_up_id TEXT NOT NULL,
  outcome TEXT NOT NULL, reason TEXT,
  PRIMARY KEY (run_id, parent_id, follow_up_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS event_log (
  id INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL, session INTEGER NOT NULL, first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL,
  events TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS event_log_by_run ON event_log (run_id, session, first_seq);
CREATE TABLE IF NOT EXISTS run_lock (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  run_id TEXT NOT NULL, pid INTEGER NOT NULL, start_time TEXT, acquired_at INTEGER NOT NULL
);
`;

/** Schema 1 logged one row per event; schema 2 one row per batch (a commit per event row cost more than the engine's work). */
const FROM_V1 = `
INSERT INTO event_log (run_id, session, first_seq, last_seq, events) SELECT run_id, session, seq, seq, data FROM events ORDER BY id;
DROP TABLE events;
`;

/**
 * Schema 3 keeps each task's whole record, its usage in its current
 * conversation (TaskRecord.sessionUsage) included, as the fold built it;
 * schema 2 left that to be summed from attempt rows at resume. Rows written
 * before get that sum, once.
 */
const TO_V3 = `
ALTER TABLE tasks ADD COLUMN session_usage TEXT;
UPDATE tasks SET session_usage = (
  SELECT json_object('inputTokens', SUM(a.input_tokens), 'outputTokens', SUM(a.output_tokens), 'cacheReadTokens', SUM(a.cache_read_tokens),
    'cacheWriteTokens', SUM(a.cache_write_tokens), 'costUsd', SUM(a.cost_usd))
  FROM attempts a WHERE a.run_id = tasks.run_id AND a.task_id = tasks.id AND a.session_id = tasks.session_id)
WHERE EXISTS (SELECT 1 FROM attempts a WHERE a.run_id = tasks.run_id AND a.task_id = tasks.id AND a.session_id = tasks.session_id);
`;

/**
 * Schema 4 records where a run with isolated tasks keeps its work: the
 * repository, the base commit and the branch it started on (docs/architecture.md §6), so
 * `resume`, `apply`, `diff` and `clean` find it. Null for runs without.
 */
const TO_V4 = `
ALTER TABLE runs ADD COLUMN git_repo TEXT;
ALTER TABLE runs ADD COLUMN git_base TEXT;
ALTER TABLE runs ADD COLUMN git_start_branch TEXT;
`;

/**
 * Schema 5 tells a cost nobody reported (Codex reports none) from $0: an
 * attempt's `cost_reported`, a task's usage without `costUsd`. Before, both
 * read 0; a recorded 0 is taken as not reported (a real $0 is rare, a
 * provider without cost common).
 */
const TO_V5 = `
ALTER TABLE attempts ADD COLUMN cost_reported INTEGER NOT NULL DEFAULT 0;
UPDATE attempts SET cost_reported = 1 WHERE cost_usd != 0;
UPDATE tasks SET usage = json_remove(usage, '$.costUsd') WHERE usage IS NOT NULL AND json_extract(usage, '$.costUsd') = 0;
UPDATE tasks SET session_usage = json_remove(session_usage, '$.costUsd') WHERE session_usage IS NOT NULL AND json_extract(session_usage, '$.costUsd') = 0;
`;

/**
 * Schema 6 keeps a run's budget (JSON of its limits), so resume holds the
 * run to it, and why a run stopped when its budget did (JSON: which limit,
 * the limit, the spend), so `runs` and `show` can say so.
 */
const TO_V6 = `
ALTER TABLE runs ADD COLUMN budget TEXT;
ALTER TABLE runs ADD COLUMN over_budget TEXT;
`;

/** Schema 7 counts a task's attempts that met a usage limit: they spend no retry, before or after a resume. */
const TO_V7 = `
ALTER TABLE tasks ADD COLUMN limit_hits INTEGER NOT NULL DEFAULT 0;
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
 * Opening costs the same whatever the file's size: the header is checked
 * (a file cut short is caught there); damage inside is reported by SQLite
 * when a read reaches it, as SQLITE_CORRUPT, which asUserError words alike.
 */
export function openRunDatabase(workspace: string, opts: OpenOptions = {}): Db {
  ensureStateDir(workspace);
  const file = databasePath(workspace);
  if (!existsSync(file)) guard(file, () => createDatabase(file));
  const damage = headerDamage(file);
  if (damage) throw corrupt(file, damage);
  return guard(file, () => {
    const db = new Database(file, { timeout: opts.busyTimeoutMs ?? 2000 });
    try {
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${opts.synchronous ?? 'NORMAL'}`);
      db.pragma('foreign_keys = ON');
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version > SCHEMA_VERSION) {
        throw new UserError(`${file}: the run database was written by a newer orchestrator (schema ${version}, this one knows ${SCHEMA_VERSION})`);
      }
      if (version < SCHEMA_VERSION) migrate(db, version);
      return db;
    } catch (err) {
      db.close();
      throw err;
    }
  });
}

/**
 * Builds a new database beside its final name and links it into place once
 * its schema is written, so a process killed while creating it leaves no
 * empty runs.db behind (an empty file is what damage looks like).
 */
function createDatabase(file: string): void {
  const aside = `${file}.new-${process.pid}`;
  rmSync(aside, { force: true });
  const db = new Database(aside);
  try {
    db.pragma('journal_mode = WAL');
    migrate(db, 0);
  } finally {
    db.close();
  }
  try {
    linkSync(aside, file);
  } catch (err) {
    if (errnoCode(err) !== 'EEXIST') throw err; // Another process created it first: use theirs.
  } finally {
    rmSync(aside, { force: true });
  }
}

function migrate(db: Db, version: number): void {
  db.transaction(() => {
    db.exec(SCHEMA);
    if (version === 1) db.exec(FROM_V1);
    if (version === 1 || version === 2) db.exec(TO_V3);
    if (version >= 1 && version <= 3) db.exec(TO_V4);
    if (version >= 1 && version <= 4) db.exec(TO_V5);
    if (version >= 1 && version <= 5) db.exec(TO_V6);
    if (version >= 1 && version <= 6) db.exec(TO_V7);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  })();
}

/**
 * What is wrong with the database file's header, if anything: not SQLite's
 * magic, or fewer bytes than the pages the header counts (a file cut
 * short). With a write-ahead log present the log may hold the last pages,
 * so only the magic is checked then.
 */
export function headerDamage(file: string): string | undefined {
  const header = Buffer.alloc(100);
  const fd = openSync(file, 'r');
  let read: number;
  let size: number;
  try {
    read = readSync(fd, header, 0, 100, 0);
    size = fstatSync(fd).size;
  } finally {
    closeSync(fd);
  }
  if (read < 100) return 'the file is empty or cut short';
  if (header.toString('latin1', 0, 16) !== 'SQLite format 3\0') return 'not an SQLite database';
  const wal = `${file}-wal`;
  if (existsSync(wal) && statSync(wal).size > 0) return undefined;
  const pageSize = header.readUInt16BE(16) === 1 ? 65536 : header.readUInt16BE(16);
  const pages = header.readUInt32BE(28);
  // The page count is valid only when written by the same change as the counter (SQLite file format §1.3.7).
  const valid = header.readUInt32BE(92) === header.readUInt32BE(24);
  if (valid && pages > 0 && size < pages * pageSize) return `the file is cut short: ${size} of ${pages * pageSize} bytes`;
  return undefined;
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
  const code = errnoCode(err) ?? '';
  const message = err instanceof Error ? err.message : String(err);
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') return corrupt(file, message);
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new UserError(
      `${file}: the run database is locked by another process (${message}); wait for it to finish, or find it with: fuser ${file}`,
    );
  }
  if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_FULL')) {
    return new UserError(`${file}: cannot use the run database: ${message}`);
  }
  return err;
}

function corrupt(file: string, detail: string): UserError {
  return new UserError(
    `${file}: the run database is damaged (${detail}). Nothing was changed. Move it aside to start afresh (mv ${file} ${file}.bad), which forgets every recorded run`,
  );
}
