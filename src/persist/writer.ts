import type { Database as Db, Statement } from 'better-sqlite3';
import type { Usage } from '../agents/backend.js';
import { addUsage, applyAttemptEvent, applyEvent, emptyUsage, newRecord } from '../scheduler/apply-event.js';
import type { AttemptRecord, TaskRecord } from '../scheduler/apply-event.js';
import type { RunEvent, RunEventOf } from '../scheduler/events.js';
import type { BudgetHit } from '../scheduler/budget.js';
import { hasUnfinished } from '../scheduler/states.js';
import type { JournalEntry } from './journal.js';
import { transcriptRef } from './paths.js';
import { attemptOfRow, recordOfRow } from './rows.js';
import type { TaskRowDb } from './rows.js';

/** A task's record as the writer holds it between commits. */
interface HeldTask {
  record: TaskRecord;
  /** In the table already (UPDATE at commit) or not yet (INSERT with its dependencies and writes). */
  inserted: boolean;
}

/**
 * Turns journal entries into rows for one run: what a catch-up of a journal
 * applies (recover.ts), in one transaction. How an event changes a task or an
 * attempt is not decided here but by the store's own fold (applyEvent,
 * applyAttemptEvent): the rows are the records the live run held. Events
 * change records held in memory; commit() writes each changed row once (a
 * task that started and finished since the last catch-up costs one row
 * write, not one per event) and the events as one event-log row. Call
 * apply() and commit() inside one transaction.
 */
export class RunWriter {
  private readonly s: Record<string, Statement>;
  private readonly tasks = new Map<string, HeldTask>();
  private readonly attempts = new Map<string, AttemptRecord>();
  /** By attempt key: the start time that tells an attempt's process group from a reused pid (a journal extra, not an event's). */
  private readonly pgidStarts = new Map<string, string | null>();
  private readonly dirtyTasks = new Set<HeldTask>();
  /** By attempt key: an attempt's record is replaced on every change, and written once per commit. */
  private readonly dirtyAttempts = new Map<string, AttemptRecord>();
  private log: { session: number; first: number; last: number; lines: string[] } | undefined;
  private nextOrd: number | undefined;
  private lastSeq: number | undefined;

  constructor(
    private readonly db: Db,
    private readonly runId: string,
  ) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      insertRun: p(`INSERT INTO runs (id, plan_name, plan_file, plan_hash, workspace, concurrency, started_at, state, git_repo, git_base, git_start_branch)
        VALUES (@id, @planName, @planFile, @planHash, @workspace, @concurrency, @startedAt, 'running', @gitRepo, @gitBase, @gitStartBranch)`),
      insertTask: p(`INSERT INTO tasks (run_id, id, ord, agent, spec, spawned_by, kind, state, attempts, started_at, ended_at,
        session_id, usage, session_usage, last_failure, limit_hits, transcript) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      updateTask: p(`UPDATE tasks SET kind = ?, state = ?, attempts = ?, started_at = ?, ended_at = ?, session_id = ?, usage = ?,
        session_usage = ?, last_failure = ?, limit_hits = ? WHERE run_id = ? AND id = ?`),
      selectTask: p('SELECT * FROM tasks WHERE run_id = ? AND id = ?'),
      insertDep: p('INSERT OR IGNORE INTO dependencies (run_id, task_id, depends_on) VALUES (?, ?, ?)'),
      insertWrite: p('INSERT OR IGNORE INTO writes (run_id, task_id, path) VALUES (?, ?, ?)'),
      insertFollowUp: p('INSERT OR REPLACE INTO follow_ups (run_id, parent_id, follow_up_id, outcome, reason) VALUES (?, ?, ?, ?, ?)'),
      putAttempt: p(`INSERT OR REPLACE INTO attempts (run_id, task_id, n, session, started_at, ended_at, state, reason, exit_code, session_id,
        input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd, cost_reported, pgid, pgid_start)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      selectAttempt: p('SELECT * FROM attempts WHERE run_id = ? AND task_id = ? AND n = ?'),
      maxOrd: p('SELECT COALESCE(MAX(ord), -1) AS n FROM tasks WHERE run_id = ?'),
      paused: p('UPDATE runs SET paused = ? WHERE id = ?'),
      finished: p('UPDATE runs SET state = ?, ended_at = ?, exit_code = ?, over_budget = ? WHERE id = ?'),
      budget: p('UPDATE runs SET budget = ? WHERE id = ?'),
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
        this.s.budget!.run(e.budget ? JSON.stringify(e.budget) : null, this.runId);
        break;
      case 'task-output':
        return; // Output goes to the transcript files.
      case 'task-added': {
        this.nextOrd ??= this.maxOrd() + 1;
        this.put(newRecord(e.task, this.nextOrd++));
        this.s.insertFollowUp!.run(this.runId, e.spawnedBy, e.task.id, 'spawned', null);
        break;
      }
      case 'task-state':
      case 'task-session':
      case 'task-usage':
      case 'task-process':
        this.fold(entry, e);
        break;
      case 'task-needs-you':
        break; // Only the event log keeps when an agent waited for the person.
      case 'follow-up-refused':
        this.s.insertFollowUp!.run(this.runId, e.taskId, e.followUpId, 'refused', e.reason);
        break;
      case 'provider-held':
      case 'provider-released':
        break; // In the event log; the tasks' recorded states keep the hold for resume.
      case 'run-paused':
      case 'run-resumed':
        this.s.paused!.run(e.type === 'run-paused' ? 1 : 0, this.runId);
        break;
      case 'run-finished':
        this.s.finished!.run(runFinalState(e.counts, e.exitCode, e.interrupted, e.overBudget), e.time, e.exitCode, e.overBudget ? JSON.stringify(e.overBudget) : null, this.runId);
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
    for (const held of this.dirtyTasks) {
      const r = held.record;
      const { spec } = r;
      const state = JSON.stringify(r.state);
      const usage = r.usage ? JSON.stringify(r.usage) : null;
      const sessionUsage = r.sessionUsage ? JSON.stringify(r.sessionUsage) : null;
      if (held.inserted) {
        this.s.updateTask!.run(r.state.kind, state, r.attempts, r.startedAt ?? null, r.endedAt ?? null, r.sessionId ?? null, usage, sessionUsage,
          r.lastFailure ?? null, r.limitHits ?? 0, this.runId, spec.id);
        continue;
      }
      this.s.insertTask!.run(this.runId, spec.id, r.order, spec.agent, JSON.stringify(spec), spec.spawnedBy ?? null, r.state.kind, state,
        r.attempts, r.startedAt ?? null, r.endedAt ?? null, r.sessionId ?? null, usage, sessionUsage, r.lastFailure ?? null, r.limitHits ?? 0,
        transcriptRef(this.runId, spec.id));
      for (const dep of spec.dependsOn) this.s.insertDep!.run(this.runId, spec.id, dep);
      for (const file of spec.writes) this.s.insertWrite!.run(this.runId, spec.id, file);
      held.inserted = true;
    }
    for (const [key, a] of this.dirtyAttempts) {
      const u = a.usage;
      this.s.putAttempt!.run(this.runId, a.taskId, a.n, a.session, a.startedAt, a.endedAt, a.state, a.reason, a.exitCode, a.sessionId,
        u.inputTokens, u.outputTokens, u.cacheReadTokens, u.cacheWriteTokens, u.costUsd ?? 0, u.costUsd === undefined ? 0 : 1, a.pgid, this.pgidStarts.get(key) ?? null);
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
      const { git, ...run } = begin.run;
      this.s.insertRun!.run({ ...run, planHash: run.planHash ?? null, gitRepo: git?.repo ?? null, gitBase: git?.base ?? null, gitStartBranch: git?.startBranch ?? null });
    } else {
      for (const table of ['tasks', 'dependencies', 'writes']) this.db.prepare(`DELETE FROM ${table} WHERE run_id = ?`).run(this.runId);
      this.db
        .prepare("UPDATE runs SET state = 'running', session = ?, journal_seq = 0, ended_at = NULL, exit_code = NULL, paused = 0, over_budget = NULL WHERE id = ?")
        .run(session, this.runId);
    }
    for (const t of this.tasks.values()) this.dirtyTasks.delete(t);
    this.tasks.clear();
    this.nextOrd = undefined;
    for (const record of begin.records) this.put(record);
  }

  private put(record: TaskRecord): void {
    const held: HeldTask = { record, inserted: false };
    this.tasks.set(record.spec.id, held);
    this.dirtyTasks.add(held);
  }

  /** A task's event, folded into its record and its attempt by the store's own rules. */
  private fold(entry: JournalEntry, event: RunEventOf<'task-state' | 'task-session' | 'task-usage' | 'task-process'>): void {
    const held = this.task(event.taskId);
    if (!held) return;
    const before = held.record;
    const e = event.type === 'task-usage' && event.delta === undefined ? withDelta(event, before) : event;
    held.record = applyEvent(before, e);
    if (held.record !== before) this.dirtyTasks.add(held);
    const attempt = applyAttemptEvent(before, e, entry.s, (n) => this.attempt(event.taskId, n));
    if (!attempt) return;
    const key = attemptKey(attempt.taskId, attempt.n);
    if (e.type === 'task-process') this.pgidStarts.set(key, entry.start ?? null);
    this.attempts.set(key, attempt);
    this.dirtyAttempts.set(key, attempt);
  }

  /** The highest order among the run's tasks, in the table or not yet written. */
  private maxOrd(): number {
    let max = (this.s.maxOrd!.get(this.runId) as { n: number }).n;
    for (const t of this.tasks.values()) if (t.record.order > max) max = t.record.order;
    return max;
  }

  /** The task's record: held since this writer saw it, else read from the table (a replay that starts mid-session). */
  private task(id: string): HeldTask | undefined {
    const held = this.tasks.get(id);
    if (held) return held;
    const r = this.s.selectTask!.get(this.runId, id) as TaskRowDb | undefined;
    if (!r) return undefined;
    const read: HeldTask = { record: recordOfRow(r), inserted: true };
    this.tasks.set(id, read);
    return read;
  }

  private attempt(taskId: string, n: number): AttemptRecord | undefined {
    const key = attemptKey(taskId, n);
    const held = this.attempts.get(key);
    if (held) return held;
    const r = this.s.selectAttempt!.get(this.runId, taskId, n) as Record<string, unknown> | undefined;
    if (!r) return undefined;
    const { pgidStart, ...attempt } = attemptOfRow(r);
    this.attempts.set(key, attempt);
    this.pgidStarts.set(key, pgidStart);
    return attempt;
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

/**
 * The run's state word once it has finished or been stopped: a shutdown that
 * stopped it is `interrupted` even when every task it stopped ended (as
 * interrupted, cancelled): resume continues it.
 */
export function runFinalState(counts: Record<string, number>, exitCode: number, interrupted?: string, overBudget?: BudgetHit): string {
  if (interrupted) return 'interrupted';
  // Over budget: tasks not started stay pending (or were stopped as interrupted); resume continues them.
  if (overBudget) return 'over-budget';
  return hasUnfinished(counts) ? 'interrupted' : exitCode === 0 ? 'completed' : 'failed';
}

function attemptKey(taskId: string, n: number): string {
  return `${taskId}\n${n}`;
}

/** A task-usage event journaled by an older build, without its delta: the delta is what its total adds to the record's. */
function withDelta(e: RunEventOf<'task-usage'>, record: TaskRecord): RunEventOf<'task-usage'> {
  const u = record.usage ?? emptyUsage();
  const minus: Usage = { inputTokens: -u.inputTokens, outputTokens: -u.outputTokens, cacheReadTokens: -u.cacheReadTokens, cacheWriteTokens: -u.cacheWriteTokens, ...(u.costUsd !== undefined ? { costUsd: -u.costUsd } : {}) };
  return { ...e, delta: addUsage(e.usage, minus) };
}
