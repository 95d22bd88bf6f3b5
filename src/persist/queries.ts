import { existsSync } from 'node:fs';
import type { Database as Db } from 'better-sqlite3';
import { UserError } from '../errors.js';
import type { TaskRecord } from '../scheduler/run-store.js';
import type { TaskStateKind } from '../scheduler/states.js';
import { asUserError, openRunDatabase } from './database.js';
import { liveHolder } from './lock.js';
import { databasePath } from './paths.js';
import { listRuns, loadAttempts, loadTaskRecords, transcriptOf } from './read.js';
import { recoverJournals } from './recover.js';
import { pickRun } from './run-id.js';
import type { AttemptInfo, RunInfo } from './read.js';

/**
 * Opens the workspace's database for a read command, with every run's state
 * as it really is: the journals' events the tables lack are applied first (a
 * run writes only its journal: recover.ts), and a run marked running whose
 * orchestrator is gone is shown as crashed. Undefined when no run was ever
 * recorded here (nothing is created).
 */
function openForReading<T>(workspace: string, fn: (db: Db, runs: RunInfo[]) => T): T | undefined {
  if (!existsSync(databasePath(workspace))) return undefined;
  const db = openRunDatabase(workspace);
  try {
    recoverJournals(db, workspace);
    const live = liveHolder(db);
    const runs = listRuns(db);
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

/**
 * One run, its tasks and every attempt of each: `runId` is an id or a unique
 * prefix of one, and none means the latest run. A UserError when the
 * workspace has no such run, or the prefix fits several.
 */
export function readRun(workspace: string, runId: string | undefined): { run: RunInfo; tasks: TaskRecord[]; attempts: AttemptInfo[] } {
  const shown = openForReading(workspace, (db, runs) => {
    const run = pickRun(runs, runId, workspace);
    return { run, tasks: loadTaskRecords(db, run.id), attempts: loadAttempts(db, run.id) };
  });
  return shown ?? pickRun<never>([], runId, workspace);
}

/** Where a task's transcript is (every attempt), and the run it is of (RUN as readRun takes it); a UserError when the run or the task is unknown. */
export function transcriptFile(workspace: string, runId: string | undefined, taskId: string): { runId: string; file: string } {
  const found = openForReading(workspace, (db, runs) => {
    const run = pickRun(runs, runId, workspace);
    const path = transcriptOf(db, workspace, run.id, taskId);
    if (!path) throw new UserError(`run ${run.id} has no task '${taskId}' (see: orchestrator show ${run.id})`);
    return { runId: run.id, file: path };
  });
  return found ?? pickRun<never>([], runId, workspace);
}

/** Where a task is, for `logs --follow`: its state kind, and whether its run is still live (an orchestrator holds it). */
export interface TaskProgress {
  kind: TaskStateKind;
  runState: string;
}

/** The task's state as the database has it now; a run whose orchestrator is gone reads as crashed, as in `runs`. */
export function taskProgress(workspace: string, runId: string, taskId: string): TaskProgress {
  const found = openForReading(workspace, (db, runs) => {
    const run = pickRun(runs, runId, workspace);
    const row = db.prepare('SELECT kind FROM tasks WHERE run_id = ? AND id = ?').get(run.id, taskId) as { kind: TaskStateKind } | undefined;
    if (!row) throw new UserError(`run ${run.id} has no task '${taskId}' (see: orchestrator show ${run.id})`);
    return { kind: row.kind, runState: run.state };
  });
  return found ?? pickRun<never>([], runId, workspace);
}
