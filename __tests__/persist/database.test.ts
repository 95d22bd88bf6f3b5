import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Backend, BackendContext, BackendOutcome } from '../../src/agents/backend.js';
import { headerDamage, openRunDatabase } from '../../src/persist/database.js';
import { acquireRunLock, liveHolder, settleCrashedRuns } from '../../src/persist/lock.js';
import { decodeJournal } from '../../src/persist/journal.js';
import type { JournalEntry } from '../../src/persist/journal.js';
import { journalPath } from '../../src/persist/paths.js';
import { beginRun } from '../../src/persist/persistence.js';
import { killLeftoverGroup, processStartTime } from '../../src/os/proc.js';
import { getRun, isResumable, listRuns, loadAttempts, loadTaskRecords } from '../../src/persist/read.js';
import { recoverJournal, recoverJournals } from '../../src/persist/recover.js';
import { Engine } from '../../src/scheduler/engine.js';
import { config, task } from '../scheduler/harness.js';
import { groupSize, until } from './helpers.js';

let ws: string;
beforeEach(() => {
  ws = mkdtempSync(path.join(os.tmpdir(), 'orch-db-'));
});
afterEach(() => rmSync(ws, { recursive: true, force: true }));

function planOf(tasks = [task('a'), task('b', { dependsOn: ['a'] }), task('c')]) {
  return { name: 'unit', file: path.join(ws, 'plan.yaml'), workspace: ws, tasks };
}

function journalLines(runId: string): JournalEntry[] {
  return decodeJournal(readFileSync(journalPath(ws, runId), 'utf8')).map((d) => d.entry);
}

function stateTo(l: JournalEntry, taskId: string, kind: string): boolean {
  return l.e.type === 'task-state' && l.e.taskId === taskId && l.e.to.kind === kind;
}

/** A backend at the edge: checks, at the moment an agent would start, what the journal already holds. */
function checkingBackend(runId: () => string, seen: string[], outcome: (ctx: BackendContext) => BackendOutcome): Backend {
  return {
    start(ctx) {
      const lines = journalLines(runId());
      const running = lines.some((l) => stateTo(l, ctx.task.id, 'running'));
      seen.push(`${ctx.task.id}:${running ? 'running-recorded' : 'NOT-recorded'}`);
      for (const dep of ctx.task.dependsOn) {
        const done = lines.some((l) => stateTo(l, dep, 'completed'));
        seen.push(`${ctx.task.id}<-${dep}:${done ? 'completed-recorded' : 'NOT-recorded'}`);
      }
      ctx.output(`\x1b[32mout of ${ctx.task.id}\x1b[0m\r\n`); // the transcript is plain text
      ctx.report({ sessionId: `sess-${ctx.task.id}`, usage: { inputTokens: 10, outputTokens: 5, costUsd: 0.01 } });
      return { done: Promise.resolve(outcome(ctx)), pause() {}, resume() {} };
    },
  };
}

describe('the run recorder', () => {
  it('journals running before the agent starts and completed before dependents start; the database gets every result from the journal', async () => {
    const plan = planOf();
    const persisted = beginRun(plan);
    const seen: string[] = [];
    const backend = checkingBackend(() => persisted.runId, seen, (ctx) => (ctx.task.id === 'c' ? { ok: false, reason: 'boom', exitCode: 3 } : { ok: true, result: `result ${ctx.task.id}` }));
    const engine = new Engine({ plan, config: config(), backends: { shell: backend } });
    persisted.attach(engine.store);
    await engine.run();
    await persisted.close();
    expect(seen.sort()).toEqual(['a:running-recorded', 'b:running-recorded', 'b<-a:completed-recorded', 'c:running-recorded']);

    const db = openRunDatabase(ws);
    try {
      // The run wrote only its journal; the first reader brings the tables up to date, once.
      expect(listRuns(db)).toEqual([]);
      expect(recoverJournals(db, ws)).toEqual([persisted.runId]);
      // Nothing new: no write lock is taken (with another process holding it, waiting would end in SQLITE_BUSY).
      const holder = openRunDatabase(ws);
      try {
        holder.exec('BEGIN IMMEDIATE');
        expect(recoverJournals(db, ws)).toEqual([]);
        holder.exec('ROLLBACK');
      } finally {
        holder.close();
      }
      const [run] = listRuns(db);
      expect(run).toMatchObject({ id: persisted.runId, plan: 'unit', state: 'failed', exitCode: 1, counts: { completed: 2, failed: 1 } });
      expect(run!.planHash).toBeNull(); // no plan file on disk
      const records = loadTaskRecords(db, persisted.runId);
      expect(records.map((r) => [r.spec.id, r.state])).toEqual([
        ['a', { kind: 'completed', result: 'result a' }],
        ['b', { kind: 'completed', result: 'result b' }],
        ['c', { kind: 'failed', reason: 'boom', exitCode: 3 }],
      ]);
      expect(records[1]!.spec.dependsOn).toEqual(['a']);
      const attempts = loadAttempts(db, persisted.runId);
      expect(attempts.find((a) => a.taskId === 'c')).toMatchObject({ n: 1, state: 'failed', reason: 'boom', exitCode: 3, sessionId: 'sess-c', usage: { inputTokens: 10, outputTokens: 5, costUsd: 0.01 } });
      expect(db.prepare('SELECT depends_on FROM dependencies WHERE run_id = ? AND task_id = ?').all(persisted.runId, 'b')).toEqual([{ depends_on: 'a' }]);
      // Every event but output and pending/eligible bookkeeping is in the event log, in order.
      const batches = db.prepare('SELECT first_seq, last_seq, events FROM event_log WHERE run_id = ? ORDER BY id').all(persisted.runId) as { first_seq: number; last_seq: number; events: string }[];
      const parsed = batches.map((b) => b.events.split('\n').map((l) => JSON.parse(l) as { type: string; seq: number }));
      expect(batches.map((b) => [b.first_seq, b.last_seq])).toEqual(parsed.map((events) => [events[0]!.seq, events.at(-1)!.seq]));
      const logged = parsed.flat();
      expect(logged.map((e) => e.seq)).toEqual([...logged.map((e) => e.seq)].sort((x, y) => x - y));
      const types = logged.map((e) => e.type);
      expect(types[0]).toBe('run-started');
      expect(types.at(-1)).toBe('run-finished');
      expect(types.filter((t) => t === 'task-state')).toHaveLength(6);
    } finally {
      db.close();
    }
    expect(readFileSync(path.join(ws, '.orchestrator', 'runs', persisted.runId, 'logs', 'a.log'), 'utf8')).toBe('out of a\n');
    expect(readFileSync(path.join(ws, '.orchestrator', '.gitignore'), 'utf8')).toBe('*\n');
    // Kept by a reader (the run's next session could be appending to it); emptied by one that holds the workspace's lock.
    expect(readFileSync(journalPath(ws, persisted.runId), 'utf8')).toMatch(/^1\t\{[^\n]*"type":"run-started"/);
    const locked = openRunDatabase(ws);
    try {
      expect(recoverJournal(locked, ws, persisted.runId, { empty: true })).toBe(0);
    } finally {
      locked.close();
    }
    expect(readFileSync(journalPath(ws, persisted.runId), 'utf8')).toBe('');
  });

  it('a journal left by a killed run is replayed into the database, once', async () => {
    const plan = planOf([task('a'), task('b', { dependsOn: ['a'] })]);
    const persisted = beginRun(plan);
    const copy = mkdtempSync(path.join(os.tmpdir(), 'orch-db-copy-'));
    // "Killed" as b starts: the files as they are then, nothing batched into the database yet.
    const backend: Backend = {
      start(ctx) {
        if (ctx.task.id === 'b') cpSync(path.join(ws, '.orchestrator'), path.join(copy, '.orchestrator'), { recursive: true });
        ctx.report({ sessionId: `sess-${ctx.task.id}` });
        return { done: Promise.resolve({ ok: true, result: `r-${ctx.task.id}` }), pause() {}, resume() {} };
      },
    };
    const engine = new Engine({ plan, config: config(), backends: { shell: backend } });
    persisted.attach(engine.store);
    await engine.run();
    await persisted.close();
    const db = openRunDatabase(copy);
    try {
      expect(listRuns(db)).toEqual([]); // the run's row is only in the journal
      expect(recoverJournal(db, copy, persisted.runId)).toBeGreaterThan(0);
      const records = loadTaskRecords(db, persisted.runId);
      expect(records.map((r) => [r.spec.id, r.state.kind, r.attempts, r.sessionId])).toEqual([
        ['a', 'completed', 1, 'sess-a'],
        ['b', 'running', 1, undefined],
      ]);
      expect(recoverJournal(db, copy, persisted.runId)).toBe(0);
      expect(settleCrashedRuns(db, copy)).toEqual([persisted.runId]);
      expect(loadAttempts(db, persisted.runId).map((a) => [a.taskId, a.state])).toEqual([['a', 'completed'], ['b', 'interrupted']]);
    } finally {
      db.close();
      rmSync(copy, { recursive: true, force: true });
    }
  });
});

describe('the workspace lock', () => {
  it('refuses while its holder lives and is taken over once the holder was killed', async () => {
    const db = openRunDatabase(ws);
    try {
      db.prepare("INSERT INTO runs (id, plan_name, plan_file, workspace, concurrency, started_at, state) VALUES ('old', 'p', 'f', ?, 1, 1, 'running')").run(ws);
      const holder = spawn('sleep', ['30']);
      await new Promise((r) => holder.once('spawn', r));
      db.prepare('INSERT INTO run_lock (id, run_id, pid, start_time, acquired_at) VALUES (1, ?, ?, ?, 1)').run('old', holder.pid, processStartTime(holder.pid!) ?? null);
      expect(liveHolder(db)).toMatchObject({ runId: 'old', pid: holder.pid });
      expect(() => acquireRunLock(db, 'new')).toThrow(/another orchestrator run is live in this workspace \(run old, pid \d+\)/);
      holder.kill('SIGKILL');
      await new Promise((r) => holder.once('exit', r));
      const release = acquireRunLock(db, 'new');
      expect(settleCrashedRuns(db, ws)).toEqual(['old']);
      expect(listRuns(db)[0]!.state).toBe('crashed');
      release();
      expect(liveHolder(db)).toBeUndefined();
    } finally {
      db.close();
    }
  });

  it('a recorded pid now used by another process does not hold the lock', () => {
    const db = openRunDatabase(ws);
    try {
      db.prepare('INSERT INTO run_lock (id, run_id, pid, start_time, acquired_at) VALUES (1, ?, ?, ?, 1)').run('old', process.ppid, 'another-boot:1');
      expect(liveHolder(db)).toBeUndefined();
    } finally {
      db.close();
    }
  });
});

describe('killLeftoverGroup', () => {
  it('kills the recorded group, and leaves alone a group whose leader started at another time', async () => {
    const child = spawn('sh', ['-c', 'sleep 30 & sleep 30'], { detached: true, stdio: 'ignore' });
    await new Promise((r) => child.once('spawn', r));
    const pid = child.pid!;
    const start = processStartTime(pid)!;
    const wrong = `${start.slice(0, start.lastIndexOf(':'))}:${Number(start.slice(start.lastIndexOf(':') + 1)) + 1}`;
    await until('the shell to start its background sleep', () => groupSize(pid) >= 2);
    expect(killLeftoverGroup(pid, wrong)).toBe(0);
    expect(existsSync(`/proc/${pid}`)).toBe(true);
    expect(killLeftoverGroup(pid, start)).toBeGreaterThanOrEqual(2);
    await new Promise((r) => child.once('exit', r));
  });
});

describe('openRunDatabase', () => {
  it('refuses a file that is not a database, naming it', () => {
    openRunDatabase(ws).close();
    writeFileSync(path.join(ws, '.orchestrator', 'runs.db'), 'x'.repeat(4096));
    expect(() => openRunDatabase(ws)).toThrow(/runs\.db: the run database is damaged \(not an SQLite database\)/);
  });

  it('finds a file cut short from its header, without reading the rest', () => {
    const db = openRunDatabase(ws);
    db.prepare("INSERT INTO runs (id, plan_name, plan_file, workspace, concurrency, started_at, state) VALUES ('r', 'p', 'f', ?, 1, 1, 'completed')").run(ws);
    db.prepare('INSERT INTO event_log (run_id, session, first_seq, last_seq, events) VALUES (?, 1, 1, 1, ?)').run('r', 'x'.repeat(200_000));
    db.close(); // the last connection: the log is checkpointed into the file and removed
    const file = path.join(ws, '.orchestrator', 'runs.db');
    const size = statSync(file).size;
    expect(headerDamage(file)).toBeUndefined();
    truncateSync(file, size - 4096);
    expect(headerDamage(file)).toBe(`the file is cut short: ${size - 4096} of ${size} bytes`);
    expect(() => openRunDatabase(ws)).toThrow(/runs\.db: the run database is damaged \(the file is cut short/);
    truncateSync(file, 0);
    expect(() => openRunDatabase(ws)).toThrow(/damaged \(the file is empty or cut short\)/);
  });

  it('brings a schema 2 database to 3: each task gets its usage in its current conversation, summed from its attempts once', () => {
    const db = openRunDatabase(ws);
    const attempt = db.prepare('INSERT INTO attempts (run_id, task_id, n, session, started_at, state, session_id, input_tokens, cost_usd) VALUES (?, ?, ?, 1, 1, ?, ?, ?, ?)');
    db.prepare("INSERT INTO runs (id, plan_name, plan_file, workspace, concurrency, started_at, state) VALUES ('r', 'p', 'f', ?, 1, 1, 'crashed')").run(ws);
    const insertTask = db.prepare("INSERT INTO tasks (run_id, id, ord, agent, spec, kind, state, attempts, session_id, transcript) VALUES ('r', ?, ?, 'shell', ?, 'failed', ?, 3, ?, 't')");
    insertTask.run('a', 0, JSON.stringify(task('a')), JSON.stringify({ kind: 'failed', reason: 'x' }), 's2');
    insertTask.run('b', 1, JSON.stringify(task('b')), JSON.stringify({ kind: 'failed', reason: 'x' }), null);
    attempt.run('r', 'a', 1, 'failed', 's1', 10, 0.5);
    attempt.run('r', 'a', 2, 'failed', 's2', 7, 0.25);
    attempt.run('r', 'a', 3, 'failed', 's2', 3, 0.25);
    attempt.run('r', 'b', 1, 'failed', null, 4, 0);
    db.exec('ALTER TABLE tasks DROP COLUMN session_usage');
    for (const c of ['git_repo', 'git_base', 'git_start_branch']) db.exec(`ALTER TABLE runs DROP COLUMN ${c}`);
    db.exec('ALTER TABLE attempts DROP COLUMN cost_reported');
    for (const c of ['budget', 'over_budget']) db.exec(`ALTER TABLE runs DROP COLUMN ${c}`);
    db.exec('ALTER TABLE tasks DROP COLUMN limit_hits');
    db.pragma('user_version = 2');
    db.close();
    const migrated = openRunDatabase(ws);
    try {
      expect(migrated.pragma('user_version', { simple: true })).toBe(7);
      const [a, b] = loadTaskRecords(migrated, 'r');
      expect(a!.sessionUsage).toEqual({ inputTokens: 10, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0.5 });
      expect(b!.sessionUsage).toBeUndefined();
    } finally {
      migrated.close();
    }
  });

  it('brings a schema 3 database to 4: runs get git columns, null for the runs recorded before', () => {
    const db = openRunDatabase(ws);
    db.prepare("INSERT INTO runs (id, plan_name, plan_file, workspace, concurrency, started_at, state) VALUES ('old', 'p', 'f', ?, 1, 1, 'completed')").run(ws);
    for (const c of ['git_repo', 'git_base', 'git_start_branch']) db.exec(`ALTER TABLE runs DROP COLUMN ${c}`);
    db.exec('ALTER TABLE attempts DROP COLUMN cost_reported');
    for (const c of ['budget', 'over_budget']) db.exec(`ALTER TABLE runs DROP COLUMN ${c}`);
    db.exec('ALTER TABLE tasks DROP COLUMN limit_hits');
    db.pragma('user_version = 3');
    db.close();
    const migrated = openRunDatabase(ws);
    try {
      expect(migrated.pragma('user_version', { simple: true })).toBe(7);
      expect(getRun(migrated, 'old')).not.toHaveProperty('git');
      migrated.prepare("UPDATE runs SET git_repo = '/r', git_base = 'abc', git_start_branch = 'main' WHERE id = 'old'").run();
      expect(getRun(migrated, 'old')!.git).toEqual({ repo: '/r', base: 'abc', startBranch: 'main' });
    } finally {
      migrated.close();
    }
  });

  it('brings a schema 6 database to 7: tasks count the attempts a usage limit stopped, none for the tasks recorded before', () => {
    const db = openRunDatabase(ws);
    db.prepare("INSERT INTO runs (id, plan_name, plan_file, workspace, concurrency, started_at, state) VALUES ('r6', 'p', 'f', ?, 1, 1, 'completed')").run(ws);
    db.exec('ALTER TABLE tasks DROP COLUMN limit_hits');
    db.prepare("INSERT INTO tasks (run_id, id, ord, agent, spec, kind, state, attempts, transcript) VALUES ('r6', 'a', 0, 'shell', ?, 'completed', ?, 2, 't')").run(JSON.stringify(task('a')), JSON.stringify({ kind: 'completed', result: 'ok' }));
    db.pragma('user_version = 6');
    db.close();
    const migrated = openRunDatabase(ws);
    try {
      expect(migrated.pragma('user_version', { simple: true })).toBe(7);
      const [a] = loadTaskRecords(migrated, 'r6');
      expect(a!.attempts).toBe(2);
      expect(a!.limitHits).toBeUndefined();
      migrated.prepare("UPDATE tasks SET limit_hits = 1 WHERE run_id = 'r6' AND id = 'a'").run();
      expect(loadTaskRecords(migrated, 'r6')[0]!.limitHits).toBe(1);
    } finally {
      migrated.close();
    }
  });

  it('brings a schema 5 database to 6: runs get budget columns, null (no budget) for the runs recorded before', () => {
    const db = openRunDatabase(ws);
    db.prepare("INSERT INTO runs (id, plan_name, plan_file, workspace, concurrency, started_at, state) VALUES ('r5', 'p', 'f', ?, 1, 1, 'completed')").run(ws);
    for (const c of ['budget', 'over_budget']) db.exec(`ALTER TABLE runs DROP COLUMN ${c}`);
    db.exec('ALTER TABLE tasks DROP COLUMN limit_hits');
    db.pragma('user_version = 5');
    db.close();
    const migrated = openRunDatabase(ws);
    try {
      expect(migrated.pragma('user_version', { simple: true })).toBe(7);
      const run = getRun(migrated, 'r5')!;
      expect(run.budget).toBeUndefined();
      expect(run.overBudget).toBeUndefined();
      migrated.prepare("UPDATE runs SET budget = ?, over_budget = ?, state = 'over-budget' WHERE id = 'r5'").run('{"usd":5}', '{"unit":"usd","limit":5,"spent":5.12}');
      expect(getRun(migrated, 'r5')).toMatchObject({ budget: { usd: 5 }, overBudget: { unit: 'usd', limit: 5, spent: 5.12 } });
      expect(isResumable(getRun(migrated, 'r5')!)).toBe(true);
    } finally {
      migrated.close();
    }
  });

  it('brings a schema 4 database to 5: a recorded cost of 0 becomes "not reported" (shown as -), a real cost stays', () => {
    const db = openRunDatabase(ws);
    db.prepare("INSERT INTO runs (id, plan_name, plan_file, workspace, concurrency, started_at, state) VALUES ('r', 'p', 'f', ?, 1, 1, 'completed')").run(ws);
    const insertTask = db.prepare("INSERT INTO tasks (run_id, id, ord, agent, spec, kind, state, attempts, usage, session_usage, transcript) VALUES ('r', ?, ?, 'shell', ?, 'completed', ?, 1, ?, ?, 't')");
    const usage = (costUsd: number) => JSON.stringify({ inputTokens: 5, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd });
    insertTask.run('codex', 0, JSON.stringify(task('codex')), JSON.stringify({ kind: 'completed', result: '' }), usage(0), usage(0));
    insertTask.run('claude', 1, JSON.stringify(task('claude')), JSON.stringify({ kind: 'completed', result: '' }), usage(0.25), usage(0.25));
    const attempt = db.prepare("INSERT INTO attempts (run_id, task_id, n, session, started_at, state, input_tokens, cost_usd) VALUES ('r', ?, 1, 1, 1, 'completed', 5, ?)");
    attempt.run('codex', 0);
    attempt.run('claude', 0.25);
    db.exec('ALTER TABLE attempts DROP COLUMN cost_reported');
    for (const c of ['budget', 'over_budget']) db.exec(`ALTER TABLE runs DROP COLUMN ${c}`);
    db.exec('ALTER TABLE tasks DROP COLUMN limit_hits');
    db.pragma('user_version = 4');
    db.close();
    const migrated = openRunDatabase(ws);
    try {
      expect(migrated.pragma('user_version', { simple: true })).toBe(7);
      const [codex, claude] = loadTaskRecords(migrated, 'r');
      expect(codex!.usage).toEqual({ inputTokens: 5, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0 });
      expect(codex!.sessionUsage).not.toHaveProperty('costUsd');
      expect(claude!.usage?.costUsd).toBe(0.25);
      const attempts = loadAttempts(migrated, 'r');
      expect(attempts.find((a) => a.taskId === 'codex')!.usage).not.toHaveProperty('costUsd');
      expect(attempts.find((a) => a.taskId === 'claude')!.usage.costUsd).toBe(0.25);
    } finally {
      migrated.close();
    }
  });

  it('is created beside its name and linked into place: a creation killed half-way leaves no empty runs.db', () => {
    mkdirSync(path.join(ws, '.orchestrator'), { recursive: true });
    writeFileSync(path.join(ws, '.orchestrator', 'runs.db.new-99999999'), ''); // what a killed creation leaves
    const db = openRunDatabase(ws);
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(7);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
    expect(readdirSync(path.join(ws, '.orchestrator')).filter((f) => f.startsWith('runs.db.new-') && !f.endsWith('99999999'))).toEqual([]);
  });
});
