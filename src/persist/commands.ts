import { existsSync, readFileSync } from 'node:fs';
import type { Database as Db } from 'better-sqlite3';
import { UserError } from '../errors.js';
import { formatCount, formatElapsed, reasonLine, stateDetail, table, totalTokens } from '../report/format.js';
import type { TaskRecord } from '../scheduler/run-store.js';
import { asUserError, openRunDatabase } from './database.js';
import { liveHolder } from './lock.js';
import { databasePath } from './paths.js';
import { unknownRun } from './persistence.js';
import { listRuns, loadAttempts, loadTaskRecords, recoverJournal, recoverJournals, transcriptOf } from './read.js';
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

/** `orchestrator runs`: every recorded run, newest first. */
export function runsText(workspace: string, json: boolean): string {
  const runs = openForReading(workspace, (_db, runs) => runs) ?? [];
  if (json) return `${JSON.stringify({ workspace, runs }, null, 2)}\n`;
  if (runs.length === 0) return `no runs recorded in ${workspace}\n`;
  const rows = runs.map((r) => [
    r.id,
    r.plan,
    new Date(r.startedAt).toISOString().replace('T', ' ').slice(0, 19),
    r.state,
    Object.entries(r.counts).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', '),
  ]);
  return `${table(['RUN', 'PLAN', 'STARTED (UTC)', 'STATE', 'TASKS'], rows)}\n`;
}

/** `orchestrator show RUN`: the tasks of one run with their attempts. */
export function showText(workspace: string, runId: string, json: boolean): string {
  const shown = openForReading(workspace, (db, runs) => {
    const run = runs.find((r) => r.id === runId);
    if (!run) return undefined;
    return { run, tasks: loadTaskRecords(db, runId), attempts: loadAttempts(db, runId) };
  });
  if (!shown) throw unknownRun(runId, workspace);
  const { run, tasks, attempts } = shown;
  const byTask = new Map<string, AttemptInfo[]>();
  for (const a of attempts) byTask.set(a.taskId, [...(byTask.get(a.taskId) ?? []), a]);
  if (json) {
    const out = tasks.map((t) => ({ id: t.spec.id, agent: t.spec.agent, spawnedBy: t.spec.spawnedBy, state: t.state, attempts: byTask.get(t.spec.id) ?? [], sessionId: t.sessionId, usage: t.usage }));
    return `${JSON.stringify({ run, tasks: out }, null, 2)}\n`;
  }
  const rows = tasks.map((t) => taskRow(t, byTask.get(t.spec.id) ?? [], run));
  const head = `run ${run.id} · ${run.plan} (${run.file}) · ${run.state} · started ${new Date(run.startedAt).toISOString()}`;
  return `${head}\n\n${table(['TASK', 'STATE', 'ATTEMPTS', 'TIME SPENT', 'TOKENS', 'COST', 'REASON'], rows)}\n`;
}

function taskRow(t: TaskRecord, attempts: AttemptInfo[], run: RunInfo): string[] {
  // TIME SPENT: the running time of every attempt, across resumes (the run's summary shows the last attempt's).
  const ms = attempts.reduce((sum, a) => sum + ((a.endedAt ?? (run.state === 'running' ? Date.now() : a.startedAt)) - a.startedAt), 0);
  const tokens = t.usage ? totalTokens(t.usage) : 0;
  const state = t.state.kind === 'running' && run.state !== 'running' ? `running (${run.state})` : t.state.kind;
  const last = attempts[attempts.length - 1];
  const reason = t.state.kind === 'completed' ? '' : stateDetail(t.state, run.workspace) || (last?.reason ? reasonLine(last.reason) : '');
  return [t.spec.id, state, String(t.attempts), attempts.length ? formatElapsed(ms) : '-', tokens ? formatCount(tokens) : '-', t.usage?.costUsd ? `$${t.usage.costUsd.toFixed(4)}` : '-', reason];
}

/** `orchestrator logs RUN TASK`: the task's transcript, every attempt. */
export function logsText(workspace: string, runId: string, taskId: string, json: boolean): string {
  const file = openForReading(workspace, (db, runs) => {
    if (!runs.some((r) => r.id === runId)) return undefined;
    const path = transcriptOf(db, workspace, runId, taskId);
    if (!path) throw new UserError(`run ${runId} has no task '${taskId}' (see: orchestrator show ${runId})`);
    return path;
  });
  if (!file) throw unknownRun(runId, workspace);
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  return json ? `${JSON.stringify({ run: runId, task: taskId, file, transcript: text })}\n` : text;
}
