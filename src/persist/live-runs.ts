import { lstatSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import { UserError } from '../errors.js';
import { isSameProcess, processStartTime } from '../os/proc.js';
import { isInside, realFile } from '../workspace.js';

/**
 * Where this user's live runs are listed: `orchestrator-<uid>/` in the
 * system's temp directory, as tmux keeps its sockets. Not under HOME or
 * XDG_*: every process of the user must find the same list however its
 * environment was set up (tests and CI point HOME into a workspace), and the
 * list only matters while runs live.
 */
export function liveRunsPath(): string {
  return path.join(os.tmpdir(), `orchestrator-${process.getuid?.() ?? 'user'}`, 'live-runs.db');
}

/** Makes the list's directory, or checks the one there is ours alone: another user must not forge or hide runs. */
function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  const uid = process.getuid?.();
  if (!st.isDirectory() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o022) !== 0) {
    throw new Error(`${dir} is not a directory only this user can write`);
  }
}

/** A live run another workspace's run would collide with. */
interface LiveRun {
  workspace: string;
  run_id: string;
  pid: number;
  start_time: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS live_runs (
  workspace TEXT NOT NULL,
  run_id TEXT NOT NULL,
  pid INTEGER NOT NULL,
  start_time TEXT,
  acquired_at INTEGER NOT NULL,
  PRIMARY KEY (workspace, run_id)
);`;

/**
 * Takes the nesting lock of a run (docs/architecture.md §4): refuses while
 * a live run of another process works in the same real directory, in one
 * above it, or in one below it — two runs in `P` and `P/sub` would write
 * the same files, and each workspace's own run lock (in its `.orchestrator/`)
 * cannot see the other's. Runs are listed in one per-user SQLite file,
 * (see {@link liveRunsPath}), checked and added in one IMMEDIATE transaction so two runs starting at
 * once cannot both pass; a row whose process died is dropped, as the
 * workspace lock does. A workspace inside another run's `.orchestrator/`
 * (an isolated task's worktree, where that run's agent works) is not a
 * collision: the outer run never writes there itself.
 * Returns the release; throws a UserError naming the live run.
 */
export function acquireNestingLock(workspace: string, runId: string, file = liveRunsPath()): () => void {
  const real = realFile(path.resolve(workspace)).path;
  let db: Db;
  try {
    ensurePrivateDir(path.dirname(file));
    db = new Database(file);
    db.pragma('busy_timeout = 10000');
    db.pragma('journal_mode = WAL');
    db.exec(SCHEMA);
  } catch (err) {
    throw new UserError(
      `cannot open the list of live runs ${file} (${(err as Error).message}): it keeps runs in nested directories from writing the same files; remove or fix ${path.dirname(file)}`,
    );
  }
  try {
    db.transaction(() => {
      const rows = db.prepare('SELECT workspace, run_id, pid, start_time FROM live_runs').all() as LiveRun[];
      const drop = db.prepare('DELETE FROM live_runs WHERE workspace = ? AND run_id = ?');
      for (const row of rows) {
        if (!isSameProcess(row.pid, row.start_time)) {
          drop.run(row.workspace, row.run_id);
          continue;
        }
        // One process's own runs are not checked against each other, as the workspace lock does not.
        if (row.pid === process.pid) continue;
        const how = collision(real, row.workspace);
        if (how) {
          throw new UserError(
            `another orchestrator run is live in ${row.workspace}, ${how} (run ${row.run_id}, pid ${row.pid}): the two could write the same files; wait for it to finish or stop it (kill ${row.pid}), then try again`,
          );
        }
      }
      db.prepare('INSERT OR REPLACE INTO live_runs (workspace, run_id, pid, start_time, acquired_at) VALUES (?, ?, ?, ?, ?)').run(
        real,
        runId,
        process.pid,
        processStartTime(process.pid) ?? null,
        Date.now(),
      );
    }).immediate();
  } catch (err) {
    db.close();
    throw err;
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    try {
      db.prepare('DELETE FROM live_runs WHERE workspace = ? AND run_id = ? AND pid = ?').run(real, runId, process.pid);
    } finally {
      db.close();
    }
  };
}

/** How a live run's workspace relates to ours, when they collide. */
function collision(mine: string, theirs: string): string | undefined {
  if (mine === theirs) return 'this same directory';
  if (isInside(theirs, mine)) return isInside(path.join(theirs, '.orchestrator'), mine) ? undefined : 'which contains this workspace';
  if (isInside(mine, theirs)) return isInside(path.join(mine, '.orchestrator'), theirs) ? undefined : 'inside this workspace';
  return undefined;
}
