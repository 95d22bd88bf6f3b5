import path from 'node:path';
import type { Database as Db } from 'better-sqlite3';
import { addUsage, emptyUsage } from '../scheduler/apply-event.js';
import type { Usage } from '../agents/backend.js';
import type { AttemptRecord, TaskRecord } from '../scheduler/apply-event.js';
import type { Budget, TaskSpec } from '../plan/schema.js';
import type { BudgetHit } from '../scheduler/budget.js';
import { STATE_LABELS, stateLabel } from '../report/format.js';
import { hasUnfinished } from '../scheduler/states.js';
import type { TaskState } from '../scheduler/states.js';
import { attemptOfRow, recordOfRow } from './rows.js';
import type { TaskRowDb } from './rows.js';
import type { RunGit } from './journal.js';

/** Kept for the modules that still import journal recovery from here; it lives in recover.ts. */

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
  /** running (live) · completed · failed · interrupted (a shutdown) · over-budget (its spend reached its budget) · crashed (the orchestrator died). */
  state: string;
  exitCode: number | null;
  session: number;
  /** Tasks by state kind. */
  counts: Record<string, number>;
  /** Tasks by the word reports use (docs: `stateLabel`): `interrupted`, `failed (soft)` told apart. */
  labels: Record<string, number>;
  /** Set for a run with isolated tasks: its repository, base commit and start branch. */
  git?: RunGit;
  /** The run's budget (its limits), when it had one. */
  budget?: Budget;
  /** Set when the run ended because its spend reached the budget (state `over-budget`). */
  overBudget?: BudgetHit;
  /** What its agents reported, summed over every task and attempt; no costUsd when none reported a cost. */
  usage: Usage;
}

/** One attempt of one task, as recorded. */
export type AttemptInfo = AttemptRecord;

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
  git_repo: string | null;
  git_base: string | null;
  git_start_branch: string | null;
  budget: string | null;
  over_budget: string | null;
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
  const labels = new Map<string, Record<string, number>>();
  for (const [runId, byKind] of counts) labels.set(runId, { ...byKind });
  // Only failed and cancelled tasks can read otherwise than their kind: those rows are read whole.
  const refined = db.prepare("SELECT run_id, kind, state, spec FROM tasks WHERE kind IN ('failed', 'cancelled')").all() as { run_id: string; kind: string; state: string; spec: string }[];
  for (const t of refined) {
    const label = stateLabel(JSON.parse(t.state) as TaskState, (JSON.parse(t.spec) as TaskSpec).failureMode);
    if (label === t.kind) continue;
    const byLabel = labels.get(t.run_id)!;
    byLabel[t.kind] = (byLabel[t.kind] ?? 0) - 1;
    byLabel[label] = (byLabel[label] ?? 0) + 1;
  }
  const usage = new Map<string, Usage>();
  for (const t of db.prepare('SELECT run_id, usage FROM tasks WHERE usage IS NOT NULL').all() as { run_id: string; usage: string }[]) {
    usage.set(t.run_id, addUsage(usage.get(t.run_id) ?? emptyUsage(), JSON.parse(t.usage) as Usage));
  }
  return rows.map((r) => toInfo(r, counts.get(r.id) ?? {}, labels.get(r.id) ?? {}, usage.get(r.id) ?? emptyUsage()));
}

export function getRun(db: Db, runId: string): RunInfo | undefined {
  return listRuns(db).find((r) => r.id === runId);
}

/** Runs with work left to resume: not completed or failed with every task finished. */
export function isResumable(run: RunInfo): boolean {
  if (run.state === 'running') return false;
  return hasUnfinished(run.counts) || run.state === 'interrupted' || run.state === 'over-budget' || run.state === 'crashed';
}

/**
 * The run's tasks as records, in run order (plan tasks, then follow-ups as
 * they were spawned): each row is the record the writer folded from the
 * run's events (applyEvent), so nothing is re-derived here.
 */
export function loadTaskRecords(db: Db, runId: string): TaskRecord[] {
  const rows = db.prepare('SELECT * FROM tasks WHERE run_id = ? ORDER BY ord').all(runId) as TaskRowDb[];
  return rows.map(recordOfRow);
}

export function loadAttempts(db: Db, runId: string): AttemptInfo[] {
  const rows = db.prepare('SELECT * FROM attempts WHERE run_id = ? ORDER BY task_id, n').all(runId) as Record<string, unknown>[];
  return rows.map((r) => {
    const { pgidStart: _start, ...attempt } = attemptOfRow(r);
    return attempt;
  });
}

/** Where a task's transcript is, or undefined when the run has no such task. */
export function transcriptOf(db: Db, workspace: string, runId: string, taskId: string): string | undefined {
  const row = db.prepare('SELECT transcript FROM tasks WHERE run_id = ? AND id = ?').get(runId, taskId) as { transcript: string } | undefined;
  return row ? path.join(workspace, '.orchestrator', row.transcript) : undefined;
}

function toInfo(r: RunRowDb, counts: Record<string, number>, labels: Record<string, number>, usage: Usage): RunInfo {
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
    labels: Object.fromEntries(STATE_LABELS.filter((l) => (labels[l] ?? 0) > 0).map((l) => [l, labels[l]!])),
    ...(r.git_repo !== null && r.git_base !== null ? { git: { repo: r.git_repo, base: r.git_base, startBranch: r.git_start_branch } } : {}),
    ...(r.budget !== null ? { budget: JSON.parse(r.budget) as Budget } : {}),
    ...(r.over_budget !== null ? { overBudget: JSON.parse(r.over_budget) as BudgetHit } : {}),
    usage,
  };
}
