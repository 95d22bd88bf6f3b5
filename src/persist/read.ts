import { closeSync, existsSync, ftruncateSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Database as Db } from 'better-sqlite3';
import type { Usage } from '../agents/backend.js';
import type { TaskSpec } from '../plan/schema.js';
import type { TaskRecord } from '../scheduler/run-store.js';
import type { TaskState } from '../scheduler/states.js';
import { decodeJournal } from './journal.js';
import { journalPath } from './paths.js';
import { RunWriter } from './writer.js';

/** A run as `orchestrator runs` lists it. */
export interface RunInfo {
  id: string;
  plan: string;
  file: string;
  planHash: string | null;
  workspace: string;
  concurrency: number;
  startedAt: number;
  endedAt: number | null;
  /** running (live) · completed · failed · interrupted (a shutdown) · crashed (the orchestrator died). */
  state: string;
  exitCode: number | null;
  session: number;
  counts: Record<string, number>;
}

/** One attempt of one task, as recorded. */
export interface AttemptInfo {
  taskId: string;
  n: number;
  session: number;
  startedAt: number;
  endedAt: number | null;
  state: string;
  reason: string | null;
  exitCode: number | null;
  sessionId: string | null;
  usage: Usage;
  pgid: number | null;
}

interface RunRowDb {
  id: string;
  plan_name: string;
  plan_file: string;
  plan_hash: string | null;
  workspace: string;
  concurrency: number;
  started_at: number;
  ended_at: number | null;
  state: string;
  exit_code: number | null;
  session: number;
  journal_seq: number;
}

/** Every run, newest first, with its task counts by state. */
export function listRuns(db: Db): RunInfo[] {
  const rows = db.prepare('SELECT * FROM runs ORDER BY started_at DESC, id DESC').all() as RunRowDb[];
  const counts = new Map<string, Record<string, number>>();
  for (const c of db.prepare('SELECT run_id, kind, COUNT(*) AS n FROM tasks GROUP BY run_id, kind').all() as { run_id: string; kind: string; n: number }[]) {
    let byKind = counts.get(c.run_id);
    if (!byKind) counts.set(c.run_id, (byKind = {}));
    byKind[c.kind] = c.n;
  }
  return rows.map((r) => toInfo(r, counts.get(r.id) ?? {}));
}

export function getRun(db: Db, runId: string): RunInfo | undefined {
  return listRuns(db).find((r) => r.id === runId);
}

/** Runs with work left to resume: not completed or failed with every task finished. */
export function isResumable(run: RunInfo): boolean {
  if (run.state === 'running') return false;
  return ['pending', 'eligible', 'waiting-lock', 'running', 'paused'].some((k) => (run.counts[k] ?? 0) > 0) || run.state === 'interrupted' || run.state === 'crashed';
}

/** The run's tasks as records, in run order (plan tasks, then follow-ups as they were spawned). */
export function loadTaskRecords(db: Db, runId: string): TaskRecord[] {
  const rows = db.prepare('SELECT * FROM tasks WHERE run_id = ? ORDER BY ord').all(runId) as {
    id: string; ord: number; spec: string; state: string; attempts: number; started_at: number | null; ended_at: number | null;
    session_id: string | null; usage: string | null; last_failure: string | null;
  }[];
  // What each task's attempts in its current conversation were counted for (TaskRecord.sessionUsage).
  const spent = new Map(
    (
      db
        .prepare(
          `SELECT a.task_id AS id, SUM(a.input_tokens) AS i, SUM(a.output_tokens) AS o, SUM(a.cache_read_tokens) AS cr,
             SUM(a.cache_write_tokens) AS cw, SUM(a.cost_usd) AS c
           FROM attempts a JOIN tasks t ON t.run_id = a.run_id AND t.id = a.task_id AND t.session_id = a.session_id
           WHERE a.run_id = ? GROUP BY a.task_id`,
        )
        .all(runId) as { id: string; i: number; o: number; cr: number; cw: number; c: number }[]
    ).map((u) => [u.id, { inputTokens: u.i, outputTokens: u.o, cacheReadTokens: u.cr, cacheWriteTokens: u.cw, costUsd: u.c } satisfies Usage]),
  );
  return rows.map((r) => ({
    spec: JSON.parse(r.spec) as TaskSpec,
    order: r.ord,
    state: JSON.parse(r.state) as TaskState,
    attempts: r.attempts,
    ...(r.started_at !== null ? { startedAt: r.started_at } : {}),
    ...(r.ended_at !== null ? { endedAt: r.ended_at } : {}),
    ...(r.session_id !== null ? { sessionId: r.session_id } : {}),
    ...(r.usage !== null ? { usage: JSON.parse(r.usage) as Usage } : {}),
    ...(spent.has(r.id) ? { sessionUsage: spent.get(r.id)! } : {}),
    ...(r.last_failure !== null ? { lastFailure: r.last_failure } : {}),
  }));
}

export function loadAttempts(db: Db, runId: string): AttemptInfo[] {
  const rows = db.prepare('SELECT * FROM attempts WHERE run_id = ? ORDER BY task_id, n').all(runId) as Record<string, unknown>[];
  return rows.map((r) => ({
    taskId: r.task_id as string,
    n: r.n as number,
    session: r.session as number,
    startedAt: r.started_at as number,
    endedAt: r.ended_at as number | null,
    state: r.state as string,
    reason: r.reason as string | null,
    exitCode: r.exit_code as number | null,
    sessionId: r.session_id as string | null,
    usage: {
      inputTokens: r.input_tokens as number,
      outputTokens: r.output_tokens as number,
      cacheReadTokens: r.cache_read_tokens as number,
      cacheWriteTokens: r.cache_write_tokens as number,
      costUsd: r.cost_usd as number,
    },
    pgid: r.pgid as number | null,
  }));
}

/** Where a task's transcript is, or undefined when the run has no such task. */
export function transcriptOf(db: Db, workspace: string, runId: string, taskId: string): string | undefined {
  const row = db.prepare('SELECT transcript FROM tasks WHERE run_id = ? AND id = ?').get(runId, taskId) as { transcript: string } | undefined;
  return row ? path.join(workspace, '.orchestrator', row.transcript) : undefined;
}

/**
 * Replays into the database what a run's journal holds beyond its last
 * batch: the events of a run that was killed between two batches. Entries of
 * an older session, or already applied (killed between commit and
 * truncation), are skipped. Returns how many events were applied.
 */
export function recoverJournal(db: Db, workspace: string, runId: string): number {
  const file = journalPath(workspace, runId);
  if (!existsSync(file)) return 0;
  const text = readFileSync(file, 'utf8');
  if (text === '') return 0;
  const run = db.prepare('SELECT session, journal_seq FROM runs WHERE id = ?').get(runId) as { session: number; journal_seq: number } | undefined;
  // Not in the database at all: killed before its first batch; its journal starts with the run's row.
  const at = run ? { session: run.session, seq: run.journal_seq } : { session: 0, seq: 0 };
  // A line cut by a crash mid-write is skipped: its event never got acted on.
  const entries = decodeJournal(text).filter(({ entry }) => entry.s > at.session || (entry.s === at.session && entry.e.seq > at.seq));
  if (!run && entries[0]?.entry.begin?.run === undefined) return 0;
  const writer = new RunWriter(db, runId);
  db.transaction(() => {
    for (const { entry, eventJson } of entries) writer.apply(entry, eventJson);
    writer.commit();
  })();
  const fd = openSync(file, 'r+');
  try {
    ftruncateSync(fd, 0);
  } finally {
    closeSync(fd);
  }
  return entries.length;
}

/**
 * Replays every journal holding events the database lacks, except the live
 * run's (`except`): runs killed before the writer thread committed their
 * first batch (unknown to the database), and runs killed in any later
 * session, whatever state the database last recorded for them (a resume
 * killed before its first batch still reads `crashed` from the session
 * before). Returns the ids of the runs whose journals had events to apply.
 */
export function recoverJournals(db: Db, workspace: string, except?: string): string[] {
  const dir = path.join(workspace, '.orchestrator', 'runs');
  if (!existsSync(dir)) return [];
  const found: string[] = [];
  for (const id of readdirSync(dir)) {
    if (id === except) continue;
    const file = journalPath(workspace, id);
    if (!existsSync(file) || statSync(file).size === 0) continue;
    if (recoverJournal(db, workspace, id) > 0) found.push(id);
  }
  return found;
}

function toInfo(r: RunRowDb, counts: Record<string, number>): RunInfo {
  return {
    id: r.id,
    plan: r.plan_name,
    file: r.plan_file,
    planHash: r.plan_hash,
    workspace: r.workspace,
    concurrency: r.concurrency,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    state: r.state,
    exitCode: r.exit_code,
    session: r.session,
    counts,
  };
}
