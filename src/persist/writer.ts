import type { Database as Db, Statement } from 'better-sqlite3';
import type { Usage } from '../agents/backend.js';
import type { TaskSpec } from '../plan/schema.js';
import type { RunEvent } from '../scheduler/events.js';
import type { TaskRecord } from '../scheduler/run-store.js';
import { addUsage, emptyUsage } from '../scheduler/run-store.js';
import { isFinished } from '../scheduler/states.js';
import type { TaskState } from '../scheduler/states.js';
import type { JournalEntry } from './journal.js';
import type { AttemptInfo } from './read.js';
import { transcriptRef } from './paths.js';

/** A task row as the writer holds it between commits. */
interface TaskRow {
  spec: TaskSpec;
  ord: number;
  state: TaskState;
  attempts: number;
  startedAt: number | null;
  endedAt: number | null;
  sessionId: string | null;
  usage: Usage | null;
  lastFailure: string | null;
  /** In the table already (UPDATE at commit) or not yet (INSERT with its dependencies and writes). */
  inserted: boolean;
}

/** An attempt as read back, plus the start time that tells its process group from a reused pid. */
interface AttemptRow extends AttemptInfo {
  pgidStart: string | null;
}

/**
 * Turns journal entries into rows for one run: the one place that knows how
 * an event changes the tables, used live (a batch at a time, on the writer
 * thread) and when a crashed run's journal is replayed, so both give the
 * same database. Events change rows held in memory; commit() writes each
 * changed row once (a task that started and finished within a batch costs
 * one row write, not one per event) and the batch's events as one
 * event-log row. Call apply() and commit() inside one transaction.
 */
export class RunWriter {
  private readonly s: Record<string, Statement>;
  private readonly tasks = new Map<string, TaskRow>();
  private readonly attempts = new Map<string, AttemptRow>();
  private readonly dirtyTasks = new Set<TaskRow>();
  private readonly dirtyAttempts = new Set<AttemptRow>();
  private log: { session: number; first: number; last: number; lines: string[] } | undefined;
  private nextOrd: number | undefined;
  private lastSeq: number | undefined;

  constructor(
    private readonly db: Db,
    private readonly runId: string,
  ) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      insertRun: p(`INSERT INTO runs (id, plan_name, plan_file, plan_hash, workspace, concurrency, started_at, state)
        VALUES (@id, @planName, @planFile, @planHash, @workspace, @concurrency, @startedAt, 'running')`),
      insertTask: p(`INSERT INTO tasks (run_id, id, ord, agent, spec, spawned_by, kind, state, attempts, started_at, ended_at,
        session_id, usage, last_failure, transcript) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      updateTask: p(`UPDATE tasks SET kind = ?, state = ?, attempts = ?, started_at = ?, ended_at = ?, session_id = ?, usage = ?,
        last_failure = ? WHERE run_id = ? AND id = ?`),
      selectTask: p('SELECT spec, ord, state, attempts, started_at, ended_at, session_id, usage, last_failure FROM tasks WHERE run_id = ? AND id = ?'),
      insertDep: p('INSERT OR IGNORE INTO dependencies (run_id, task_id, depends_on) VALUES (?, ?, ?)'),
      insertWrite: p('INSERT OR IGNORE INTO writes (run_id, task_id, path) VALUES (?, ?, ?)'),
      insertFollowUp: p('INSERT OR REPLACE INTO follow_ups (run_id, parent_id, follow_up_id, outcome, reason) VALUES (?, ?, ?, ?, ?)'),
      putAttempt: p(`INSERT OR REPLACE INTO attempts (run_id, task_id, n, session, started_at, ended_at, state, reason, exit_code, session_id,
        input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd, pgid, pgid_start)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      selectAttempt: p('SELECT * FROM attempts WHERE run_id = ? AND task_id = ? AND n = ?'),
      maxOrd: p('SELECT COALESCE(MAX(ord), -1) AS n FROM tasks WHERE run_id = ?'),
      paused: p('UPDATE runs SET paused = ? WHERE id = ?'),
      finished: p('UPDATE runs SET state = ?, ended_at = ?, exit_code = ? WHERE id = ?'),
      event: p('INSERT INTO event_log (run_id, session, first_seq, last_seq, events) VALUES (?, ?, ?, ?, ?)'),
      journalSeq: p('UPDATE runs SET journal_seq = ? WHERE id = ?'),
    };
  }

  /** Applies one entry to the rows in memory; `eventJson` is the event as journaled (else it is serialized here). */
  apply(entry: JournalEntry, eventJson?: string): void {
    const e = entry.e;
    switch (e.type) {
      case 'run-started':
        if (entry.begin) this.begin(entry.s, entry.begin);
        break;
      case 'task-output':
        return; // Output goes to the transcript files.
      case 'task-added': {
        this.nextOrd ??= this.maxOrd() + 1;
        this.put({ spec: e.task, order: this.nextOrd++, state: { kind: 'pending' }, attempts: 0 });
        this.s.insertFollowUp!.run(this.runId, e.spawnedBy, e.task.id, 'spawned', null);
        break;
      }
      case 'task-state':
        this.applyState(entry.s, e);
        break;
      case 'task-session': {
        const task = this.task(e.taskId);
        if (task) this.touch(task).sessionId = e.sessionId;
        const attempt = task && this.attempt(e.taskId, task.attempts);
        if (attempt) this.touchAttempt(attempt).sessionId = e.sessionId;
        break;
      }
      case 'task-usage': {
        const task = this.task(e.taskId);
        if (!task) break;
        const delta = addUsage(e.usage, negate(task.usage ?? emptyUsage()));
        this.touch(task).usage = e.usage;
        const attempt = this.attempt(e.taskId, task.attempts);
        if (attempt) this.touchAttempt(attempt).usage = addUsage(attempt.usage, delta);
        break;
      }
      case 'task-process': {
        const task = this.task(e.taskId);
        const attempt = task && this.attempt(e.taskId, task.attempts);
        if (attempt) Object.assign(this.touchAttempt(attempt), { pgid: e.pid, pgidStart: entry.start ?? null });
        break;
      }
      case 'follow-up-refused':
        this.s.insertFollowUp!.run(this.runId, e.taskId, e.followUpId, 'refused', e.reason);
        break;
      case 'run-paused':
      case 'run-resumed':
        this.s.paused!.run(e.type === 'run-paused' ? 1 : 0, this.runId);
        break;
      case 'run-finished':
        this.s.finished!.run(runFinalState(e.counts, e.exitCode), e.time, e.exitCode, this.runId);
        break;
      default: {
        const never: never = e;
        throw new Error(`unknown event ${JSON.stringify(never)}`);
      }
    }
    this.logEvent(entry.s, e, eventJson ?? JSON.stringify(e));
  }

  /** Writes every row changed since the last commit, the event-log row, and how far the journal is applied. */
  commit(): void {
    for (const t of this.dirtyTasks) {
      const state = JSON.stringify(t.state);
      const usage = t.usage ? JSON.stringify(t.usage) : null;
      if (t.inserted) {
        this.s.updateTask!.run(t.state.kind, state, t.attempts, t.startedAt, t.endedAt, t.sessionId, usage, t.lastFailure, this.runId, t.spec.id);
        continue;
      }
      const { spec } = t;
      this.s.insertTask!.run(this.runId, spec.id, t.ord, spec.agent, JSON.stringify(spec), spec.spawnedBy ?? null, t.state.kind, state,
        t.attempts, t.startedAt, t.endedAt, t.sessionId, usage, t.lastFailure, transcriptRef(this.runId, spec.id));
      for (const dep of spec.dependsOn) this.s.insertDep!.run(this.runId, spec.id, dep);
      for (const file of spec.writes) this.s.insertWrite!.run(this.runId, spec.id, file);
      t.inserted = true;
    }
    for (const a of this.dirtyAttempts) {
      const u = a.usage;
      this.s.putAttempt!.run(this.runId, a.taskId, a.n, a.session, a.startedAt, a.endedAt, a.state, a.reason, a.exitCode, a.sessionId,
        u.inputTokens, u.outputTokens, u.cacheReadTokens, u.cacheWriteTokens, u.costUsd, a.pgid, a.pgidStart);
    }
    this.dirtyTasks.clear();
    this.dirtyAttempts.clear();
    this.flushLog();
    if (this.lastSeq !== undefined) this.s.journalSeq!.run(this.lastSeq, this.runId);
    this.lastSeq = undefined;
  }

  /** A session's first event: a new run's row, or a resumed run's tasks replaced by the store's. */
  private begin(session: number, begin: NonNullable<JournalEntry['begin']>): void {
    if (begin.run) {
      this.s.insertRun!.run({ ...begin.run, planHash: begin.run.planHash ?? null });
    } else {
      for (const table of ['tasks', 'dependencies', 'writes']) this.db.prepare(`DELETE FROM ${table} WHERE run_id = ?`).run(this.runId);
      this.db
        .prepare("UPDATE runs SET state = 'running', session = ?, journal_seq = 0, ended_at = NULL, exit_code = NULL, paused = 0 WHERE id = ?")
        .run(session, this.runId);
    }
    for (const t of this.tasks.values()) this.dirtyTasks.delete(t);
    this.tasks.clear();
    this.nextOrd = undefined;
    for (const record of begin.records) this.put(record);
  }

  private put(record: TaskRecord): void {
    const row: TaskRow = {
      spec: record.spec, ord: record.order, state: record.state, attempts: record.attempts,
      startedAt: record.startedAt ?? null, endedAt: record.endedAt ?? null, sessionId: record.sessionId ?? null,
      usage: record.usage ?? null, lastFailure: record.lastFailure ?? null, inserted: false,
    };
    this.tasks.set(record.spec.id, row);
    this.dirtyTasks.add(row);
  }

  private applyState(session: number, e: Extract<RunEvent, { type: 'task-state' }>): void {
    const task = this.task(e.taskId);
    if (!task) return;
    const { from, to, time } = e;
    const newAttempt = to.kind === 'running' && from.kind !== 'paused';
    this.touch(task);
    task.state = to;
    task.attempts = e.attempt;
    if (newAttempt) task.startedAt = time;
    if (isFinished(to.kind)) task.endedAt = time;
    else if (to.kind === 'pending') task.endedAt = null;
    if (from.kind === 'failed' || from.kind === 'cancelled') task.lastFailure = from.reason;
    if (newAttempt) {
      const attempt: AttemptRow = {
        taskId: e.taskId, n: e.attempt, session, startedAt: time, endedAt: null, state: 'running', reason: null, exitCode: null,
        sessionId: task.sessionId, usage: emptyUsage(), pgid: null, pgidStart: null,
      };
      this.attempts.set(`${e.taskId}\n${e.attempt}`, attempt);
      this.dirtyAttempts.add(attempt);
    }
    const leavesAttempt = (from.kind === 'running' || (from.kind === 'paused' && from.from === 'running')) && to.kind !== 'running' && to.kind !== 'paused';
    const attempt = leavesAttempt ? this.attempt(e.taskId, e.attempt) : undefined;
    if (attempt) Object.assign(this.touchAttempt(attempt), { endedAt: time, state: to.kind, reason: reasonOf(to), exitCode: exitCodeOf(to) });
  }

  /** The highest order among the run's tasks, in the table or not yet written. */
  private maxOrd(): number {
    let max = (this.s.maxOrd!.get(this.runId) as { n: number }).n;
    for (const t of this.tasks.values()) if (t.ord > max) max = t.ord;
    return max;
  }

  private touch(task: TaskRow): TaskRow {
    this.dirtyTasks.add(task);
    return task;
  }

  private touchAttempt(attempt: AttemptRow): AttemptRow {
    this.dirtyAttempts.add(attempt);
    return attempt;
  }

  /** The task's row: held since this writer saw it, else read from the table (a replay that starts mid-session). */
  private task(id: string): TaskRow | undefined {
    const held = this.tasks.get(id);
    if (held) return held;
    const r = this.s.selectTask!.get(this.runId, id) as
      | { spec: string; ord: number; state: string; attempts: number; started_at: number | null; ended_at: number | null; session_id: string | null; usage: string | null; last_failure: string | null }
      | undefined;
    if (!r) return undefined;
    const row: TaskRow = {
      spec: JSON.parse(r.spec) as TaskSpec, ord: r.ord, state: JSON.parse(r.state) as TaskState, attempts: r.attempts,
      startedAt: r.started_at, endedAt: r.ended_at, sessionId: r.session_id, usage: r.usage ? (JSON.parse(r.usage) as Usage) : null,
      lastFailure: r.last_failure, inserted: true,
    };
    this.tasks.set(id, row);
    return row;
  }

  private attempt(taskId: string, n: number): AttemptRow | undefined {
    const key = `${taskId}\n${n}`;
    const held = this.attempts.get(key);
    if (held) return held;
    const r = this.s.selectAttempt!.get(this.runId, taskId, n) as Record<string, unknown> | undefined;
    if (!r) return undefined;
    const row: AttemptRow = {
      taskId, n, session: r.session as number, startedAt: r.started_at as number, endedAt: r.ended_at as number | null,
      state: r.state as string, reason: r.reason as string | null, exitCode: r.exit_code as number | null, sessionId: r.session_id as string | null,
      usage: { inputTokens: r.input_tokens as number, outputTokens: r.output_tokens as number, cacheReadTokens: r.cache_read_tokens as number, cacheWriteTokens: r.cache_write_tokens as number, costUsd: r.cost_usd as number },
      pgid: r.pgid as number | null, pgidStart: r.pgid_start as string | null,
    };
    this.attempts.set(key, row);
    return row;
  }

  private logEvent(session: number, e: RunEvent, json: string): void {
    if (this.log && this.log.session !== session) this.flushLog();
    this.log ??= { session, first: e.seq, last: e.seq, lines: [] };
    this.log.last = e.seq;
    this.log.lines.push(json);
    this.lastSeq = e.seq;
  }

  private flushLog(): void {
    const log = this.log;
    this.log = undefined;
    if (log) this.s.event!.run(this.runId, log.session, log.first, log.last, log.lines.join('\n'));
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

