import type { Database as Db, Statement } from 'better-sqlite3';
import type { Usage } from '../agents/backend.js';
import type { RunEvent } from '../scheduler/events.js';
import type { TaskRecord } from '../scheduler/run-store.js';
import { addUsage, emptyUsage } from '../scheduler/run-store.js';
import { isFinished } from '../scheduler/states.js';
import type { TaskState } from '../scheduler/states.js';

/** An event as the journal and the writer carry it: with what had to be read when it happened. */
export interface JournalEntry {
  /** The run's session (1, then +1 per resume): seq restarts each session. */
  s: number;
  e: RunEvent;
  /** For task-process: the leader's start time, read from /proc while it ran. */
  start?: string;
  /**
   * For run-started (whose `tasks` are left out): the tasks as the session
   * starts them, and for a new run its row; without `run` it is a resume.
   */
  begin?: { run?: RunRow; records: TaskRecord[] };
}

/** The run row's fields a new run is created with. */
export interface RunRow {
  id: string;
  planName: string;
  planFile: string;
  planHash: string | undefined;
  workspace: string;
  concurrency: number;
  startedAt: number;
}

/**
 * Turns run events into rows: the one place that knows how an event changes
 * the tables, used live (in batches) and when a crashed run's journal is
 * replayed, so both give the same database.
 */
export class RunWriter {
  private readonly s: Record<string, Statement>;

  constructor(private readonly db: Db) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      insertRun: p(`INSERT INTO runs (id, plan_name, plan_file, plan_hash, workspace, concurrency, started_at, state)
        VALUES (@id, @planName, @planFile, @planHash, @workspace, @concurrency, @startedAt, 'running')`),
      insertTask: p(`INSERT INTO tasks (run_id, id, ord, agent, spec, spawned_by, kind, state, attempts, started_at, ended_at,
        session_id, usage, last_failure, transcript) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      insertDep: p('INSERT OR IGNORE INTO dependencies (run_id, task_id, depends_on) VALUES (?, ?, ?)'),
      insertWrite: p('INSERT OR IGNORE INTO writes (run_id, task_id, path) VALUES (?, ?, ?)'),
      insertFollowUp: p('INSERT OR REPLACE INTO follow_ups (run_id, parent_id, follow_up_id, outcome, reason) VALUES (?, ?, ?, ?, ?)'),
      setState: p(`UPDATE tasks SET kind = ?, state = ?, attempts = ?,
        started_at = CASE WHEN ? THEN ? ELSE started_at END,
        ended_at = CASE WHEN ? = 1 THEN ? WHEN ? = 2 THEN NULL ELSE ended_at END,
        last_failure = COALESCE(?, last_failure)
        WHERE run_id = ? AND id = ?`),
      startAttempt: p(`INSERT OR REPLACE INTO attempts (run_id, task_id, n, session, started_at, state, session_id)
        VALUES (?, ?, ?, ?, ?, 'running', (SELECT session_id FROM tasks WHERE run_id = ? AND id = ?))`),
      endAttempt: p('UPDATE attempts SET ended_at = ?, state = ?, reason = ?, exit_code = ? WHERE run_id = ? AND task_id = ? AND n = ?'),
      setSession: p('UPDATE tasks SET session_id = ? WHERE run_id = ? AND id = ?'),
      attemptSession: p('UPDATE attempts SET session_id = ? WHERE run_id = ? AND task_id = ? AND n = (SELECT attempts FROM tasks WHERE run_id = ? AND id = ?)'),
      taskUsage: p('SELECT usage FROM tasks WHERE run_id = ? AND id = ?'),
      setUsage: p('UPDATE tasks SET usage = ? WHERE run_id = ? AND id = ?'),
      attemptUsage: p(`UPDATE attempts SET input_tokens = input_tokens + ?, output_tokens = output_tokens + ?,
        cache_read_tokens = cache_read_tokens + ?, cache_write_tokens = cache_write_tokens + ?, cost_usd = cost_usd + ?
        WHERE run_id = ? AND task_id = ? AND n = (SELECT attempts FROM tasks WHERE run_id = ? AND id = ?)`),
      attemptProcess: p('UPDATE attempts SET pgid = ?, pgid_start = ? WHERE run_id = ? AND task_id = ? AND n = (SELECT attempts FROM tasks WHERE run_id = ? AND id = ?)'),
      paused: p('UPDATE runs SET paused = ? WHERE id = ?'),
      finished: p('UPDATE runs SET state = ?, ended_at = ?, exit_code = ? WHERE id = ?'),
      event: p('INSERT INTO events (run_id, session, seq, time, type, task_id, data) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      journalSeq: p('UPDATE runs SET journal_seq = ? WHERE id = ?'),
    };
  }

  createRun(row: RunRow): void {
    this.s.insertRun!.run({ ...row, planHash: row.planHash ?? null });
  }

  /** Writes a task's row, dependencies and writes as the record has them. */
  insertTask(runId: string, record: TaskRecord, transcript: string): void {
    const { spec, state } = record;
    this.s.insertTask!.run(
      runId, spec.id, record.order, spec.agent, JSON.stringify(spec), spec.spawnedBy ?? null, state.kind,
      JSON.stringify(state), record.attempts, record.startedAt ?? null, record.endedAt ?? null, record.sessionId ?? null,
      record.usage ? JSON.stringify(record.usage) : null, record.lastFailure ?? null, transcript,
    );
    for (const dep of spec.dependsOn) this.s.insertDep!.run(runId, spec.id, dep);
    for (const file of spec.writes) this.s.insertWrite!.run(runId, spec.id, file);
  }

  /** Applies one event to the tables and appends it to the event log (task output is not logged). */
  apply(runId: string, entry: JournalEntry, transcript: (taskId: string) => string): void {
    const e = entry.e;
    switch (e.type) {
      case 'run-started':
        if (entry.begin) this.begin(runId, entry.s, entry.begin, transcript);
        break;
      case 'task-output':
        return; // Output goes to the transcript files.
      case 'task-added': {
        const record: TaskRecord = { spec: e.task, order: this.nextOrder(runId), state: { kind: 'pending' }, attempts: 0 };
        this.insertTask(runId, record, transcript(e.task.id));
        this.s.insertFollowUp!.run(runId, e.spawnedBy, e.task.id, 'spawned', null);
        break;
      }
      case 'task-state':
        this.applyState(runId, entry.s, e);
        break;
      case 'task-session':
        this.s.setSession!.run(e.sessionId, runId, e.taskId);
        this.s.attemptSession!.run(e.sessionId, runId, e.taskId, runId, e.taskId);
        break;
      case 'task-usage': {
        const row = this.s.taskUsage!.get(runId, e.taskId) as { usage: string | null } | undefined;
        const before: Usage = row?.usage ? (JSON.parse(row.usage) as Usage) : emptyUsage();
        const d = addUsage(e.usage, negate(before));
        this.s.setUsage!.run(JSON.stringify(e.usage), runId, e.taskId);
        this.s.attemptUsage!.run(d.inputTokens, d.outputTokens, d.cacheReadTokens, d.cacheWriteTokens, d.costUsd, runId, e.taskId, runId, e.taskId);
        break;
      }
      case 'task-process':
        this.s.attemptProcess!.run(e.pid, entry.start ?? null, runId, e.taskId, runId, e.taskId);
        break;
      case 'follow-up-refused':
        this.s.insertFollowUp!.run(runId, e.taskId, e.followUpId, 'refused', e.reason);
        break;
      case 'run-paused':
      case 'run-resumed':
        this.s.paused!.run(e.type === 'run-paused' ? 1 : 0, runId);
        break;
      case 'run-finished':
        this.s.finished!.run(runFinalState(e.counts, e.exitCode), e.time, e.exitCode, runId);
        break;
      default: {
        const never: never = e;
        throw new Error(`unknown event ${JSON.stringify(never)}`);
      }
    }
    this.logEvent(runId, entry);
  }

  /** A session's first event: a new run's row, or a resumed run's tasks replaced by the store's. */
  private begin(runId: string, session: number, begin: NonNullable<JournalEntry['begin']>, transcript: (taskId: string) => string): void {
    if (begin.run) {
      this.createRun(begin.run);
    } else {
      for (const table of ['tasks', 'dependencies', 'writes']) this.db.prepare(`DELETE FROM ${table} WHERE run_id = ?`).run(runId);
      this.db
        .prepare("UPDATE runs SET state = 'running', session = ?, journal_seq = 0, ended_at = NULL, exit_code = NULL, paused = 0 WHERE id = ?")
        .run(session, runId);
    }
    for (const record of begin.records) this.insertTask(runId, record, transcript(record.spec.id));
  }

  private logEvent(runId: string, entry: JournalEntry): void {
    const e = entry.e;
    const data = e.type === 'run-started' ? { ...e, tasks: e.tasks.length } : e;
    this.s.event!.run(runId, entry.s, e.seq, e.time, e.type, 'taskId' in e ? e.taskId : null, JSON.stringify(data));
  }

  setJournalSeq(runId: string, seq: number): void {
    this.s.journalSeq!.run(seq, runId);
  }

  private applyState(runId: string, session: number, e: Extract<RunEvent, { type: 'task-state' }>): void {
    const { from, to, time } = e;
    const newAttempt = to.kind === 'running' && from.kind !== 'paused';
    const ends = isFinished(to.kind);
    const lastFailure = from.kind === 'failed' || from.kind === 'cancelled' ? from.reason : null;
    this.s.setState!.run(
      to.kind, JSON.stringify(to), e.attempt, newAttempt ? 1 : 0, time,
      ends ? 1 : to.kind === 'pending' ? 2 : 0, time, ends ? 1 : to.kind === 'pending' ? 2 : 0,
      lastFailure, runId, e.taskId,
    );
    if (newAttempt) this.s.startAttempt!.run(runId, e.taskId, e.attempt, session, time, runId, e.taskId);
    const leavesAttempt = (from.kind === 'running' || (from.kind === 'paused' && from.from === 'running')) && to.kind !== 'running' && to.kind !== 'paused';
    if (leavesAttempt) this.s.endAttempt!.run(time, to.kind, reasonOf(to), exitCodeOf(to), runId, e.taskId, e.attempt);
  }

  private nextOrder(runId: string): number {
    const row = this.db.prepare('SELECT COALESCE(MAX(ord), -1) + 1 AS n FROM tasks WHERE run_id = ?').get(runId) as { n: number };
    return row.n;
  }
}

/** The run's state word once it has finished or been stopped. */
export function runFinalState(counts: Record<string, number>, exitCode: number): string {
  const unfinished = ['pending', 'eligible', 'waiting-lock', 'running', 'paused'].some((k) => (counts[k] ?? 0) > 0);
  return unfinished ? 'interrupted' : exitCode === 0 ? 'completed' : 'failed';
}

function negate(u: Usage): Usage {
  return { inputTokens: -u.inputTokens, outputTokens: -u.outputTokens, cacheReadTokens: -u.cacheReadTokens, cacheWriteTokens: -u.cacheWriteTokens, costUsd: -u.costUsd };
}

function reasonOf(state: TaskState): string | null {
  return 'reason' in state ? state.reason : state.kind === 'completed' ? state.result.slice(0, 2000) : null;
}

function exitCodeOf(state: TaskState): number | null {
  return state.kind === 'failed' && state.exitCode !== undefined ? state.exitCode : null;
}
