import { existsSync } from 'node:fs';
import type { Database as Db } from 'better-sqlite3';
import { UserError } from '../errors.js';
import type { TaskRecord } from '../scheduler/run-store.js';
import { asUserError, openRunDatabase } from './database.js';
import { liveHolder } from './lock.js';
import { databasePath } from './paths.js';
import { unknownRun } from './persistence.js';
import { listRuns, loadAttempts, loadTaskRecords, transcriptOf } from './read.js';
import { recoverJournal, recoverJournals } from './recover.js';
import type { AttemptInfo, RunInfo } from './read.js';

/**
 * Opens the workspace's database for a read command, with every run's state
 * as it really is: a run marked running whose orchestrator is gone is shown
 * as crashed, after its journal has been replayed. Undefined when no run was
 * ever recorded here (nothing is created).
 */
function openForReading<T>(workspace: string, fn: (db: Db, runs: RunInfo[]) => T): T | undefined {
  if (!existsSync(databasePath(workspace))) return undefined;
  const db = openRunDatabase(workspace);
  try {
    const live = liveHolder(db);
    recoverJournals(db, workspace, live?.runId);
    let runs = listRuns(db);
    const dead = runs.filter((r) => r.state === 'running' && r.id !== live?.runId);
    for (const run of dead) recoverJournal(db, workspace, run.id);
    if (dead.length) runs = listRuns(db);
    for (const run of runs) if (run.state === 'running' && run.id !== live?.runId) run.state = 'crashed';
    return fn(db, runs);
  } catch (err) {
    throw asUserError(databasePath(workspace), err);
  } finally {
    db.close();
  }
}

/** Every recorded run in the workspace, newest first (none when nothing was ever recorded). */
export function readRuns(workspace: string): RunInfo[] {
  return openForReading(workspace, (_db, runs) => runs) ?? [];
}

/** One run, its tasks and every attempt of each; a UserError when the workspace has no such run. */
export function readRun(workspace: string, runId: string): { run: RunInfo; tasks: TaskRecord[]; attempts: AttemptInfo[] } {
  const shown = openForReading(workspace, (db, runs) => {
    const run = runs.find((r) => r.id === runId);
    if (!run) return undefined;
    return { run, tasks: loadTaskRecords(db, runId), attempts: loadAttempts(db, runId) };
  });
  if (!shown) throw unknownRun(runId, workspace);
  return shown;
}

/** Where a task's transcript is (every attempt); a UserError when the run or the task is unknown. */
export function transcriptFile(workspace: string, runId: string, taskId: string): string {
  const file = openForReading(workspace, (db, runs) => {
    if (!runs.some((r) => r.id === runId)) return undefined;
    const path = transcriptOf(db, workspace, runId, taskId);
    if (!path) throw new UserError(`run ${runId} has no task '${taskId}' (see: orchestrator show ${runId})`);
    return path;
  });
  if (!file) throw unknownRun(runId, workspace);
  return file;
}
