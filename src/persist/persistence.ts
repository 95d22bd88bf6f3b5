import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Database as Db } from 'better-sqlite3';
import { UserError } from '../errors.js';
import type { Budget, Plan } from '../plan/schema.js';
import type { RunStoreReader, TaskRecord } from '../scheduler/run-store.js';
import { asUserError, openRunDatabase } from './database.js';
import { databasePath } from './paths.js';
import { acquireRunLock, settleCrashedRuns } from './lock.js';
import { acquireNestingLock } from './live-runs.js';
import { getRun, isResumable, listRuns, loadTaskRecords } from './read.js';
import { recoverJournal, recoverJournals } from './recover.js';
import { matchRun } from './run-id.js';
import type { RunInfo } from './read.js';
import { RunRecorder } from './recorder.js';
import type { RunGit } from './journal.js';
import { describeChanges, diffPlans, hasChanges, mergePlan, releasePaused, resumedState } from './resume.js';
import { plural } from '../report/plural.js';

/** A run being recorded: attach it to the engine's store before the run starts, close it after. */
export interface PersistedRun {
  runId: string;
  /** Lines worth telling the person before the run starts (what resume found and did). */
  notes: string[];
  /** For resume: the tasks as the run left them, for EngineOptions.restore. */
  restore?: TaskRecord[];
  /** For resume: the plan the engine runs (the recorded one, or the changed file with --force). */
  plan?: Plan;
  /** For resume: where the run's isolated tasks keep their work, as recorded when it began. */
  git?: RunGit;
  /** A new run with isolated tasks: records its repository, base and start branch with the run (before attach). */
  recordGit(git: RunGit): void;
  /** Resume: the budget the run recorded (its limits), if it had one. */
  budget?: Budget;
  /** Records the store's events from now on; `onJournalFailure` is told once if the journal cannot be written (the run must stop). */
  attach(store: RunStoreReader, onJournalFailure?: (message: string) => void): void;
  /**
   * Problems that did not stop the run but lost part of its record (a transcript
   * that could not be written), one line each, for stderr; filled by close().
   */
  readonly warnings: string[];
  /** Writes what is left, releases the workspace lock, closes the database. Safe to call twice. */
  close(): Promise<void>;
}

/** sha256 of the plan file, or undefined for a plan that is not a file. */
export function hashPlanFile(file: string): string | undefined {
  try {
    return createHash('sha256').update(readFileSync(file)).digest('hex');
  } catch {
    return undefined;
  }
}

/** A sortable, readable run id: UTC date and time, then 4 random hex digits. */
export function newRunId(now = new Date()): string {
  const t = now.toISOString();
  return `${t.slice(0, 10).replace(/-/g, '')}-${t.slice(11, 19).replace(/:/g, '')}-${randomBytes(2).toString('hex')}`;
}

/**
 * Starts recording a new run of `plan` in its workspace: takes the
 * workspace lock (refusing while another run lives), settles runs that
 * crashed (their leftover agents are killed), and records the run from its
 * first event on.
 */
export function beginRun(plan: Plan): PersistedRun {
  const workspace = plan.workspace;
  const db = openRunDatabase(workspace);
  const runId = newRunId();
  const release = locked(db, workspace, runId);
  return recorded(db, workspace, runId, release, 1, {
    newRun: {
      id: runId,
      planName: plan.name,
      planFile: plan.file,
      planHash: hashPlanFile(plan.file),
      workspace,
      concurrency: 0,
      startedAt: Date.now(),
    },
  });
}

export interface ResumeOptions {
  workspace: string;
  /** The run to resume; default the latest one with work left. */
  runId?: string;
  /** Resume even though the plan file changed (or is gone). */
  force: boolean;
  /** Loads and validates a plan file as `run` would. */
  loadPlan(file: string): Promise<Plan>;
  /** No dashboard: tasks paused before they started are released (see releasePaused), with a note. */
  headless?: boolean;
}

/**
 * Prepares `orchestrator resume`: picks the run, checks the plan file has
 * not changed since it began (refusing, unless forced, with what changed),
 * and returns the tasks as they resume (see resumedState).
 */
export async function beginResume(opts: ResumeOptions): Promise<PersistedRun> {
  const { workspace } = opts;
  const db = openRunDatabase(workspace);
  let release: (() => void) | undefined;
  try {
    const runs = guarded(db, workspace, () => {
      // A run writes only its journal: its events reach the tables here.
      recoverJournals(db, workspace);
      return listRuns(db);
    });
    const target = opts.runId !== undefined ? matchRun(runs, opts.runId, workspace).id : runs.find((r) => isResumable(r) || r.state === 'running')?.id;
    if (target === undefined) throw new UserError(`no run to resume in ${workspace}: every recorded run has finished (see: orchestrator runs)`);
    release = locked(db, workspace, target);
    const run = getRun(db, target)!;
    const records = loadTaskRecords(db, target);
    const notes: string[] = [];
    const { plan, tasks } = await planFor(run, records, opts, notes);
    // Forced past a change: once the run goes on with the file as it is now (attach; not if
    // preflight refuses it first), later resumes compare against it.
    const hash = hashPlanFile(run.file);
    const planHash = opts.force && hash !== undefined && hash !== run.planHash ? hash : undefined;
    const resumed = tasks.map(resumedState);
    const requeued = resumed.filter((r, i) => r.state !== tasks[i]!.state && r.state.kind === 'pending' && tasks[i]!.state.kind !== 'pending').length;
    const done = resumed.filter((r) => r.state.kind === 'completed' || r.state.kind === 'skipped').length;
    notes.unshift(`resuming run ${target} (${run.plan}): ${done} of ${plural(resumed.length, 'task')} done, ${requeued} re-queued`);
    const { records: restore, note } = opts.headless ? releasePaused(resumed) : { records: resumed, note: undefined };
    if (note) notes.push(note);
    const persisted = recorded(db, workspace, target, release, run.session + 1, planHash ? { planHash } : {});
    return {
      ...persisted,
      notes,
      restore,
      plan: { ...plan, tasks: restore.map((r) => r.spec) },
      ...(run.git ? { git: run.git } : {}),
      ...(run.budget ? { budget: run.budget } : {}),
    };
  } catch (err) {
    try {
      release?.();
    } finally {
      db.close();
    }
    throw asUserError(databasePath(workspace), err);
  }
}

async function planFor(run: RunInfo, records: TaskRecord[], opts: ResumeOptions, notes: string[]): Promise<{ plan: Plan; tasks: TaskRecord[] }> {
  const recordedPlan: Plan = { name: run.plan, file: run.file, workspace: opts.workspace, tasks: records.map((r) => r.spec) };
  const hash = hashPlanFile(run.file);
  if (hash === run.planHash) return { plan: recordedPlan, tasks: records };
  if (hash === undefined) {
    if (!opts.force) throw new UserError(`the plan file of run ${run.id}, ${run.file}, cannot be read any more; resume with --force to run the tasks as recorded`);
    notes.push(`${run.file} cannot be read: resuming the tasks as recorded (--force)`);
    return { plan: recordedPlan, tasks: records };
  }
  const plan = await opts.loadPlan(run.file);
  const changes = diffPlans(records.map((r) => r.spec), plan.tasks);
  if (!hasChanges(changes)) {
    notes.push(`${run.file} changed since the run began, but none of its tasks did`);
    return { plan: recordedPlan, tasks: records };
  }
  const what = describeChanges(changes);
  if (!opts.force) {
    throw new UserError(
      `the plan ${run.file} changed since run ${run.id} began; resume with --force to continue with the plan as it is now (completed tasks are not run again):`,
      what.map((message) => ({ message })),
    );
  }
  notes.push(`${run.file} changed (--force): ${what.join('; ')}`);
  return { plan, tasks: mergePlan(records, plan.tasks) };
}

/**
 * Takes the workspace's run lock, then the nesting lock (no live run in a
 * directory above or below: docs/architecture.md §4), and settles crashed runs.
 */
function locked(db: Db, workspace: string, runId: string): () => void {
  return guarded(db, workspace, () => {
    const release = acquireRunLock(db, runId);
    let releaseNesting: (() => void) | undefined;
    try {
      releaseNesting = acquireNestingLock(workspace, runId);
      settleCrashedRuns(db, workspace);
    } catch (err) {
      try {
        releaseNesting?.();
      } finally {
        release();
      }
      throw err;
    }
    const nesting = releaseNesting;
    return () => {
      try {
        release();
      } finally {
        nesting();
      }
    };
  });
}

function recorded(
  db: Db,
  workspace: string,
  runId: string,
  release: () => void,
  session: number,
  extra: { newRun?: ConstructorParameters<typeof RunRecorder>[0]['newRun']; planHash?: string },
): PersistedRun {
  let recorder: RunRecorder | undefined;
  let closed = false;
  const warnings: string[] = [];
  return {
    runId,
    notes: [],
    warnings,
    recordGit(git) {
      if (!extra.newRun) throw new Error('recordGit: only a new run records where its work goes');
      extra.newRun = { ...extra.newRun, git };
    },
    attach(store, onJournalFailure) {
      if (extra.planHash) db.prepare('UPDATE runs SET plan_hash = ? WHERE id = ?').run(extra.planHash, runId);
      const newRun = extra.newRun && { ...extra.newRun, concurrency: store.getSnapshot().concurrency };
      recorder = new RunRecorder({
        store,
        workspace,
        runId,
        session,
        ...(newRun ? { newRun } : {}),
        ...(onJournalFailure ? { onJournalFailure } : {}),
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await recorder?.close();
        release();
      } finally {
        warnings.push(...(recorder?.warnings ?? []));
        db.close();
      }
    },
  };
}

function guarded<T>(db: Db, workspace: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw asUserError(databasePath(workspace), err);
  }
}

export { recoverJournal };
