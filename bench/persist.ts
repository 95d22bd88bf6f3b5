import { closeSync, cpSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import type { Backend } from '../src/agents/backend.js';
import { defaultConfig } from '../src/config/defaults.js';
import { openRunDatabase } from '../src/persist/database.js';
import { decodeJournal } from '../src/persist/journal.js';
import { openJournal, readJournalText } from '../src/persist/journal-file.js';
import type { JournalEntry } from '../src/persist/journal.js';
import { journalPath } from '../src/persist/paths.js';
import { recoverJournals } from '../src/persist/recover.js';
import { beginRun } from '../src/persist/persistence.js';
import { RunWriter } from '../src/persist/writer.js';
import type { Plan, TaskSpec } from '../src/plan/schema.js';
import type { RunEvent } from '../src/scheduler/events.js';
import { Engine } from '../src/scheduler/engine.js';
import { randomDag, shellTasks } from './dag.js';
import type { BenchRow } from './types.js';
import { collectGarbage, cpuNow, goalRow, median, progress, row, timeMs } from './util.js';

const TASKS = 10_000;
const CONCURRENCY = 8;
const ROUNDS = 5;
const GOAL_RATIO = 1.3;

const instantBackend: Backend = {
  start() {
    return { done: Promise.resolve({ ok: true, result: '' }), pause() {}, resume() {} };
  },
};

type Mode = 'off' | 'on' | 'commit-each-normal' | 'commit-each-full';

/**
 * One run of `tasks` through the engine, with persistence as `mode` says:
 * off; on (what `orchestrator run` does: beginRun, the recorder appending
 * each event to the journal, close);
 * or, for comparison, a SQLite transaction per event (synchronous NORMAL or FULL).
 */
async function runOnce(tasks: TaskSpec[], mode: Mode): Promise<void> {
  const workspace = mkdtempSync(path.join(os.tmpdir(), 'orch-bench-persist-'));
  try {
    const plan: Plan = { name: 'bench', file: path.join(workspace, 'bench.json'), workspace, tasks };
    const engine = new Engine({ plan, config: defaultConfig(), backends: { shell: instantBackend }, concurrency: CONCURRENCY });
    let close: () => unknown = () => {};
    if (mode === 'on') {
      const persisted = beginRun(plan);
      persisted.attach(engine.store);
      close = () => persisted.close();
    } else if (mode !== 'off') {
      close = commitEach(engine, plan, mode === 'commit-each-full' ? 'FULL' : 'NORMAL');
    }
    const summary = await engine.run();
    await close();
    if (summary.tasks.some((t) => t.state.kind !== 'completed')) throw new Error('persist bench: a task did not complete');
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
}

/** One run's wall time and the CPU it took: on the engine's thread, and on every thread (GC helpers, libuv). */
interface Measured {
  ms: number;
  engineThreadMs: number | undefined;
  allThreadsMs: number;
}

async function measured(fn: () => Promise<void>): Promise<Measured> {
  const before = cpuNow();
  const ms = await timeMs(fn);
  const after = cpuNow();
  const engineThreadMs = after.thread !== undefined && before.thread !== undefined ? after.thread - before.thread : undefined;
  return { ms, engineThreadMs, allThreadsMs: after.process - before.process };
}

/**
 * Where on / off goes, in CPU time, which other load on the machine moves
 * less than wall time: the engine's thread (journal writes, JSON, opening and
 * closing) and the rest (garbage collection helpers).
 */
function cpuRows(label: string, runs: { off: Measured[]; on: Measured[] }): BenchRow[] {
  const cpu = (mode: 'off' | 'on', key: 'engineThreadMs' | 'allThreadsMs') => median(runs[mode].map((r) => r[key] ?? NaN));
  const rows: BenchRow[] = [];
  if (runs.off.every((r) => r.engineThreadMs !== undefined)) {
    rows.push(
      row('persist', `${label}: CPU of the engine's thread, off (median)`, cpu('off', 'engineThreadMs'), 'ms'),
      row('persist', `${label}: CPU of the engine's thread, on (median)`, cpu('on', 'engineThreadMs'), 'ms'),
    );
  }
  rows.push(
    row('persist', `${label}: CPU of all threads, off (median)`, cpu('off', 'allThreadsMs'), 'ms'),
    row('persist', `${label}: CPU of all threads, on (median)`, cpu('on', 'allThreadsMs'), 'ms'),
  );
  return rows;
}

/** The design not taken: every event committed in its own transaction before the engine goes on. */
function commitEach(engine: Engine, plan: Plan, synchronous: 'NORMAL' | 'FULL'): () => void {
  // Same tables and writer as the real recorder.
  const conn = openRunDatabase(plan.workspace, { synchronous });
  const runId = 'naive';
  const writer = new RunWriter(conn, runId);
  const run = { id: runId, planName: 'bench', planFile: plan.file, planHash: undefined, workspace: plan.workspace, concurrency: CONCURRENCY, startedAt: Date.now() };
  const listener = (e: RunEvent) => {
    if (e.type === 'task-output') return;
    const entry: JournalEntry = e.type === 'run-started' ? { s: 1, e: { ...e, tasks: [] }, begin: { run, records: [...engine.store.getSnapshot().tasks] } } : { s: 1, e };
    conn.transaction(() => {
      writer.apply(entry);
      writer.commit();
    })();
  };
  engine.store.events.on('event', listener);
  return () => {
    engine.store.events.off('event', listener);
    conn.close();
  };
}

/**
 * 10,000 no-op tasks through the engine (the engine bench's instant backend)
 * with persistence off and on, alternating within each round so load on the
 * shared machine hits both alike; the goal is on the ratio of the medians.
 */
export async function persistBench(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const variants: Array<[string, TaskSpec[]]> = [
    [`${TASKS} independent`, shellTasks(Array.from({ length: TASKS }, () => []), 'true')],
    [`${TASKS} random DAG`, shellTasks(randomDag({ tasks: TASKS, edges: 15_000, maxDeps: 3, seed: 0xda6 }), 'true')],
  ];
  for (const [label, tasks] of variants) {
    const runs = { off: [] as Measured[], on: [] as Measured[] };
    progress(`persist: ${label}, ${ROUNDS} rounds of off/on`);
    await runOnce(tasks, 'on'); // warm-up: JIT, SQLite's first open
    for (let i = 0; i < ROUNDS; i++) {
      for (const mode of i % 2 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
        collectGarbage();
        runs[mode].push(await measured(() => runOnce(tasks, mode)));
      }
    }
    const [off, on] = [runs.off.map((r) => r.ms), runs.on.map((r) => r.ms)];
    const ratio = median(on) / median(off);
    rows.push(
      row('persist', `${label}: persistence off, median of ${ROUNDS}`, median(off), 'ms'),
      row('persist', `${label}: persistence on, median of ${ROUNDS}`, median(on), 'ms'),
      row('persist', `${label}: added per task`, ((median(on) - median(off)) * 1000) / TASKS, 'µs'),
      goalRow('persist', `${label}: on / off`, ratio, '×', GOAL_RATIO, `≤ ${GOAL_RATIO}×`),
      ...cpuRows(label, runs),
    );
  }
  const independent = variants[0]![1];
  progress('persist: the floor on the engine\'s thread (journal write per event, JSON of each event)');
  const floor = await journalFloor(independent);
  const offIndependent = rows[0]!.value;
  rows.push(
    row('persist', `${TASKS} independent: floor: ${floor.lines} journal write(2)s, one per event, alone`, floor.writeMs, 'ms'),
    row('persist', `${TASKS} independent: floor: the same ${floor.lines} lines through a JournalAppender, write(2) kind`, floor.appenderMs.write, 'ms'),
    row('persist', `${TASKS} independent: floor: the same ${floor.lines} lines through a JournalAppender, ${floor.mappedKind} kind`, floor.appenderMs.mapped, 'ms'),
    row('persist', `${TASKS} independent: floor: JSON of those ${floor.lines} events, alone`, floor.jsonMs, 'ms'),
    row('persist', `${TASKS} independent: floor: (off + writes + JSON) / off, nothing else counted`, (offIndependent + floor.writeMs + floor.jsonMs) / offIndependent, '×'),
  );
  progress('persist: the first read after a run (its journal folded into the tables)');
  rows.push(...(await catchUpBench(independent)));
  progress('persist: opening a database of 200 runs x 1,000 tasks');
  rows.push(...openBench());
  for (const [mode, label] of [['commit-each-normal', 'a transaction per event, synchronous=NORMAL'], ['commit-each-full', 'a transaction per event, synchronous=FULL']] as const) {
    progress(`persist: ${label} (the design not taken)`);
    collectGarbage();
    const ms = await timeMs(() => runOnce(independent, mode));
    rows.push(row('persist', `${TASKS} independent: ${label}, one run`, ms, 'ms'));
  }
  return rows;
}

/**
 * What the durability promise costs the engine's thread at the least: the
 * journal lines of one real run written again one write(2) each (as the
 * recorder does, before the engine acts on each event), the same lines
 * through a JournalAppender of each kind (a store into a shared mapping
 * gives the same promise against a kill for no system call), and its events
 * serialized again, each timed alone.
 */
async function journalFloor(tasks: TaskSpec[]): Promise<{ lines: number; writeMs: number; jsonMs: number; appenderMs: { write: number; mapped: number }; mappedKind: string }> {
  const workspace = mkdtempSync(path.join(os.tmpdir(), 'orch-bench-floor-'));
  try {
    const text = readJournalText(journalPath(workspace, await recordedRun(workspace, tasks)));
    const lines = text.split('\n').filter(Boolean).map((l) => `${l}\n`);
    const events = decodeJournal(text).map((d) => d.entry.e);
    const fd = openSync(path.join(workspace, 'floor.ndjson'), 'a');
    collectGarbage();
    const writeMs = await timeMs(() => {
      for (const line of lines) writeSync(fd, line);
    });
    closeSync(fd);
    // The same lines through src/persist/journal-file.ts: a store into a shared mapping each instead of a write(2)
    // (kind 'write' there when the addon was not built). Each into a fresh file; the growth steps are counted.
    const appenderMs = { write: 0, mapped: 0 };
    let mappedKind = '';
    for (const kind of ['write', 'mapped'] as const) {
      const journal = openJournal(path.join(workspace, `floor-${kind}.ndjson`), { mapped: kind === 'mapped' });
      if (kind === 'mapped') mappedKind = journal.kind;
      collectGarbage();
      appenderMs[kind] = await timeMs(() => {
        for (const line of lines) journal.append(line);
      });
      journal.close();
    }
    collectGarbage();
    const jsonMs = await timeMs(() => {
      for (const e of events) JSON.stringify(e);
    });
    return { lines: lines.length, writeMs, jsonMs, appenderMs, mappedKind };
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
}

/** One recorded run of `tasks` in `workspace`, as `orchestrator run` records it; its id (its journal stays after close). */
async function recordedRun(workspace: string, tasks: TaskSpec[]): Promise<string> {
  const plan: Plan = { name: 'bench', file: path.join(workspace, 'bench.json'), workspace, tasks };
  const engine = new Engine({ plan, config: defaultConfig(), backends: { shell: instantBackend }, concurrency: CONCURRENCY });
  const persisted = beginRun(plan);
  persisted.attach(engine.store);
  await engine.run();
  await persisted.close();
  return persisted.runId;
}

/**
 * What a run no longer pays and its next reader does: a finished run's
 * journal folded into the tables (recoverJournals, as `orchestrator runs`
 * calls it first), each time on a copy of the same files.
 */
async function catchUpBench(tasks: TaskSpec[]): Promise<BenchRow[]> {
  const workspace = mkdtempSync(path.join(os.tmpdir(), 'orch-bench-catchup-'));
  try {
    await recordedRun(workspace, tasks);
    const times: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const copy = path.join(workspace, `copy${i}`);
      cpSync(path.join(workspace, '.orchestrator'), path.join(copy, '.orchestrator'), { recursive: true });
      collectGarbage();
      times.push(
        await timeMs(async () => {
          const db = openRunDatabase(copy);
          try {
            if (recoverJournals(db, copy).length !== 1) throw new Error('persist bench: the catch-up found no journal');
          } finally {
            db.close();
          }
        }),
      );
    }
    return [row('persist', `${TASKS} independent: the first read after the run (its journal into the tables), median of ${ROUNDS}`, median(times), 'ms')];
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
}

/**
 * Opening the run database as every command does, on one holding 200 runs
 * of 1,000 finished tasks, beside `PRAGMA quick_check` on the same file (what
 * each open ran before: it reads every page, so it grows with the file).
 */
function openBench(): BenchRow[] {
  const workspace = mkdtempSync(path.join(os.tmpdir(), 'orch-bench-open-'));
  try {
    const db = openRunDatabase(workspace);
    for (let r = 0; r < 200; r++) {
      const runId = `run-${r}`;
      const writer = new RunWriter(db, runId);
      const records = Array.from({ length: 1000 }, (_, i) => ({
        spec: { id: `t${i}`, agent: 'shell', prompt: `echo task ${i} of run ${r}`, dependsOn: i ? [`t${i - 1}`] : [], writes: [], failureMode: 'hard' as const, retries: 0, followUps: true },
        order: i,
        state: { kind: 'pending' as const },
        attempts: 0,
      }));
      let seq = 0;
      db.transaction(() => {
        const run = { id: runId, planName: 'p', planFile: 'p.yaml', planHash: undefined, workspace, concurrency: 4, startedAt: r };
        writer.apply({ s: 1, e: { type: 'run-started', seq: ++seq, time: r, plan: 'p', file: 'p.yaml', workspace, concurrency: 4, tasks: [] }, begin: { run, records } });
        for (let i = 0; i < 1000; i++) {
          writer.apply({ s: 1, e: { type: 'task-state', seq: ++seq, time: r, taskId: `t${i}`, from: { kind: 'eligible' }, to: { kind: 'running' }, attempt: 1 } });
          writer.apply({ s: 1, e: { type: 'task-state', seq: ++seq, time: r, taskId: `t${i}`, from: { kind: 'running' }, to: { kind: 'completed', result: `t${i} done` }, attempt: 1 } });
        }
        writer.apply({ s: 1, e: { type: 'run-finished', seq: ++seq, time: r, exitCode: 0, counts: { completed: 1000 } } });
        writer.commit();
      })();
    }
    db.close();
    const mb = statSync(path.join(workspace, '.orchestrator', 'runs.db')).size / 2 ** 20;
    const opens: number[] = [];
    const checks: number[] = [];
    for (let i = 0; i < 5; i++) {
      let start = performance.now();
      const conn = openRunDatabase(workspace);
      opens.push(performance.now() - start);
      start = performance.now();
      conn.pragma('quick_check');
      checks.push(performance.now() - start);
      conn.close();
    }
    const label = `database of 200 runs x 1,000 tasks (${mb.toFixed(0)} MB)`;
    return [
      row('persist', `${label}: open, median of 5`, median(opens), 'ms'),
      row('persist', `${label}: PRAGMA quick_check (what each open ran before), median of 5`, median(checks), 'ms'),
    ];
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
}
