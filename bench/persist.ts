import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Backend } from '../src/agents/backend.js';
import { defaultConfig } from '../src/config/defaults.js';
import { openRunDatabase } from '../src/persist/database.js';
import { beginRun } from '../src/persist/persistence.js';
import { RunWriter } from '../src/persist/writer.js';
import type { Plan, TaskSpec } from '../src/plan/schema.js';
import type { RunEvent } from '../src/scheduler/events.js';
import { Engine } from '../src/scheduler/engine.js';
import { randomDag, shellTasks } from './dag.js';
import type { BenchRow } from './types.js';
import { collectGarbage, goalRow, median, progress, row, timeMs } from './util.js';

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
 * off; on (the recorder: journal write per event, batched transactions);
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

/** The design not taken: every event committed in its own transaction before the engine goes on. */
function commitEach(engine: Engine, plan: Plan, synchronous: 'NORMAL' | 'FULL'): () => void {
  // Same tables and writer as the real recorder.
  const conn = openRunDatabase(plan.workspace, { synchronous });
  const writer = new RunWriter(conn);
  const runId = 'naive';
  const listener = (e: RunEvent) => {
    if (e.type === 'task-output') return;
    if (e.type === 'run-started') {
      conn.transaction(() => {
        writer.createRun({ id: runId, planName: 'bench', planFile: plan.file, planHash: undefined, workspace: plan.workspace, concurrency: CONCURRENCY, startedAt: e.time });
        for (const r of engine.store.getSnapshot().tasks) writer.insertTask(runId, r, `${r.spec.id}.log`);
      })();
      return;
    }
    conn.transaction(() => writer.apply(runId, { s: 1, e }, (id) => `${id}.log`))();
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
    const off: number[] = [];
    const on: number[] = [];
    progress(`persist: ${label}, ${ROUNDS} rounds of off/on`);
    await runOnce(tasks, 'on'); // warm-up: JIT, SQLite's first open
    for (let i = 0; i < ROUNDS; i++) {
      for (const mode of i % 2 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
        collectGarbage();
        (mode === 'on' ? on : off).push(await timeMs(() => runOnce(tasks, mode)));
      }
    }
    const ratio = median(on) / median(off);
    rows.push(
      row('persist', `${label}: persistence off, median of ${ROUNDS}`, median(off), 'ms'),
      row('persist', `${label}: persistence on, median of ${ROUNDS}`, median(on), 'ms'),
      row('persist', `${label}: added per task`, ((median(on) - median(off)) * 1000) / TASKS, 'µs'),
      goalRow('persist', `${label}: on / off`, ratio, '×', GOAL_RATIO, `≤ ${GOAL_RATIO}×`),
    );
  }
  const independent = variants[0]![1];
  for (const [mode, label] of [['commit-each-normal', 'a transaction per event, synchronous=NORMAL'], ['commit-each-full', 'a transaction per event, synchronous=FULL']] as const) {
    progress(`persist: ${label} (the design not taken)`);
    collectGarbage();
    const ms = await timeMs(() => runOnce(independent, mode));
    rows.push(row('persist', `${TASKS} independent: ${label}, one run`, ms, 'ms'));
  }
  return rows;
}
