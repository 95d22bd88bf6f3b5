import type { Database as Db } from 'better-sqlite3';
import { UserError } from '../errors.js';
import { killRunProcesses } from '../os/marked.js';
import { isSameProcess, killLeftoverGroup, processStartTime } from '../os/proc.js';
import { recoverJournals } from './recover.js';

/** The live run holding a workspace, as its lock row says. */
export interface LockHolder {
  runId: string;
  pid: number;
  startTime: string | null;
}

/** The run currently holding the workspace's lock, if its process still lives. */
export function liveHolder(db: Db): LockHolder | undefined {
  const row = db.prepare('SELECT run_id, pid, start_time FROM run_lock WHERE id = 1').get() as
    | { run_id: string; pid: number; start_time: string | null }
    | undefined;
  if (!row || !isSameProcess(row.pid, row.start_time)) return undefined;
  return { runId: row.run_id, pid: row.pid, startTime: row.start_time };
}

/**
 * Takes the workspace's run lock for `runId`: one live run per workspace.
 * The lock is a row naming this process (pid and start time), so it is
 * released when its holder dies however it dies: a row whose process is gone
 * (or whose pid now belongs to another process) is taken over. Refuses with a
 * UserError while the holder lives. Returns a function that releases it.
 */
export function acquireRunLock(db: Db, runId: string): () => void {
  const startTime = processStartTime(process.pid) ?? null;
  db.transaction(() => {
    const holder = liveHolder(db);
    if (holder && holder.pid !== process.pid) {
      throw new UserError(
        `another orchestrator run is live in this workspace (run ${holder.runId}, pid ${holder.pid}); wait for it to finish or stop it (kill ${holder.pid}), then try again`,
      );
    }
    db.prepare('INSERT OR REPLACE INTO run_lock (id, run_id, pid, start_time, acquired_at) VALUES (1, ?, ?, ?, ?)').run(runId, process.pid, startTime, Date.now());
  }).immediate();
  return () => {
    try {
      db.prepare('DELETE FROM run_lock WHERE id = 1 AND pid = ? AND run_id = ?').run(process.pid, runId);
    } catch (err) {
      // Another process holds SQLite's write lock past the busy timeout: the row names this process,
      // which is ending, and a row whose process is gone is free (liveHolder). The run's record is its journal.
      if (!String((err as { code?: unknown }).code ?? '').startsWith('SQLITE_BUSY')) throw err;
    }
  };
}

/**
 * Settles runs whose orchestrator died (state still `running` while nobody
 * holds the lock): replays their journals, kills the agent process groups
 * they left behind, ends their open attempts, and marks them `crashed`.
 * Call with the lock held. Returns the ids of the runs it settled.
 */
export function settleCrashedRuns(db: Db, workspace: string): string[] {
  // Every journal in, first: what a run still marked running did last is in its journal.
  recoverJournals(db, workspace, { empty: true });
  const dead = (db.prepare("SELECT id FROM runs WHERE state = 'running'").all() as { id: string }[]).map((r) => r.id);
  for (const runId of dead) {
    settleLeftovers(db, runId, 'crashed: the orchestrator stopped while it ran');
    db.prepare("UPDATE runs SET state = 'crashed' WHERE id = ?").run(runId);
  }
  return dead;
}

/** Kills the process groups of a run's open attempts and ends those attempts. */
export function settleLeftovers(db: Db, runId: string, reason: string): number {
  const open = db.prepare('SELECT task_id, n, pgid, pgid_start FROM attempts WHERE run_id = ? AND ended_at IS NULL').all(runId) as {
    task_id: string; n: number; pgid: number | null; pgid_start: string | null;
  }[];
  let killed = killRunProcesses(runId);
  for (const a of open) if (a.pgid !== null) killed += killLeftoverGroup(a.pgid, a.pgid_start);
  db.prepare("UPDATE attempts SET ended_at = ?, state = 'interrupted', reason = ? WHERE run_id = ? AND ended_at IS NULL").run(Date.now(), reason, runId);
  return killed;
}
