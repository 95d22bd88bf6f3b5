import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Backend, BackendContext } from '../../src/agents/backend.js';
import { defaultConfig } from '../../src/config/defaults.js';
import type { Config } from '../../src/config/schema.js';
import { openRunDatabase } from '../../src/persist/database.js';
import { beginResume, beginRun } from '../../src/persist/persistence.js';
import { loadTaskRecords } from '../../src/persist/read.js';
import { recoverJournal } from '../../src/persist/recover.js';
import { loadPlan } from '../../src/plan/load.js';
import type { Plan } from '../../src/plan/schema.js';
import { Engine } from '../../src/scheduler/engine.js';
import { cli, ROOT, requireBuild } from './helpers.js';

let root: string;
let n = 0;

beforeAll(() => {
  requireBuild();
  root = mkdtempSync(path.join(os.tmpdir(), 'orch-recording-'));
});

afterAll(() => rmSync(root, { recursive: true, force: true, maxRetries: 3 }));

function workspace(plan: string): string {
  const ws = path.join(root, `ws${n++}`);
  mkdirSync(ws, { recursive: true });
  writeFileSync(path.join(ws, 'plan.yaml'), plan);
  return ws;
}

function lines(ws: string): string[] {
  return existsSync(path.join(ws, 'counter.txt')) ? readFileSync(path.join(ws, 'counter.txt'), 'utf8').split('\n').filter(Boolean) : [];
}

async function until(what: string, cond: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A backend at the edge: every attempt completes at once with `result <id>`; the ids it started, in order. */
function instant(started: string[]): Backend {
  return {
    start(ctx: BackendContext) {
      started.push(ctx.task.id);
      return { done: Promise.resolve({ ok: true, result: `result ${ctx.task.id}` }), pause() {}, resume() {} };
    },
  };
}

async function planIn(ws: string, config: Config): Promise<Plan> {
  return loadPlan(path.join(ws, 'plan.yaml'), { workspace: ws, knownRoles: Object.keys(config.agents) });
}

describe('a database another process keeps locked', () => {
  it('does not hold the run up (it writes only its journal); readers say so clearly, and bring the database up to date afterwards', async () => {
    const ws = workspace(`tasks:
  - { id: a, agent: shell, prompt: "sleep 1; echo a >> counter.txt" }
  - { id: b, agent: shell, prompt: "echo b >> counter.txt", dependsOn: [a] }
`);
    const run = cli(ws, ['run', 'plan.yaml', '--headless']);
    let out = '';
    run.child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await until('a running', () => /a\s+running/.test(out));
    // Another process takes SQLite's write lock and keeps it past the run's end and a reader's 2 s busy timeout.
    const db = path.join(ws, '.orchestrator', 'runs.db');
    const holder = spawn(
      process.execPath,
      ['-e', `const D = require(${JSON.stringify(path.join(ROOT, 'node_modules/better-sqlite3'))}); const d = new D(${JSON.stringify(db)}); d.exec('BEGIN IMMEDIATE'); console.log('locked'); setTimeout(() => process.exit(0), 8000);`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
      const r = await run;
      expect(`${r.code} ${r.stderr}`).toBe('0 ');
      const reader = await cli(ws, ['runs']);
      expect(reader.stderr).toMatch(/runs\.db: the run database is locked by another process/);
      expect(reader.stderr).not.toMatch(/\n\s+at /);
      expect(reader.code).toBe(2);
    } finally {
      holder.kill('SIGKILL');
    }
    expect(lines(ws)).toEqual(['a', 'b']);
    const runs = JSON.parse((await cli(ws, ['runs', '--json'])).stdout) as { runs: { id: string; state: string; counts: Record<string, number> }[] };
    expect(runs.runs).toEqual([expect.objectContaining({ state: 'completed', counts: { completed: 2 } })]);
  });
});

describe('a headless resume of a run with a task paused before it started', () => {
  it('releases the paused task, says so, and finishes', async () => {
    const ws = workspace(`tasks:
  - { id: a, agent: shell, prompt: "echo a >> counter.txt" }
  - { id: b, agent: shell, prompt: "echo b >> counter.txt", dependsOn: [a] }
  - { id: c, agent: shell, prompt: "echo c >> counter.txt" }
`);
    // The first session, in this process: b is paused (as in the dashboard) and the run is stopped.
    const config = defaultConfig();
    const plan = await planIn(ws, config);
    const persisted = beginRun(plan);
    const started: string[] = [];
    const engine = new Engine({ plan, config, backends: { shell: instant(started) } });
    persisted.attach(engine.store);
    const done = engine.run();
    expect(engine.pause('b').ok).toBe(true);
    await until('a and c completed', () => ['a', 'c'].every((id) => engine.store.require(id).state.kind === 'completed'));
    await engine.shutdown('SIGINT');
    await done;
    await persisted.close();
    expect(started.sort()).toEqual(['a', 'c']);

    const r = await cli(ws, ['resume', '--headless']);
    expect(`${r.code} ${r.stderr}`).toMatch(/^0 /);
    expect(r.stderr).toMatch(/released 1 paused task \(b\): nobody can un-pause them in a headless resume/);
    expect(lines(ws)).toEqual(['b']); // b ran; a and c were not run again
    const shown = JSON.parse((await cli(ws, ['show', persisted.runId, '--json'])).stdout) as { tasks: { id: string; state: { kind: string } }[] };
    expect(shown.tasks.map((t) => [t.id, t.state.kind])).toEqual([['a', 'completed'], ['b', 'completed'], ['c', 'completed']]);
  });
});

describe('follow-ups at resume', () => {
  it('spawns the follow-ups a task completed just before a crash had not spawned yet, and never twice', async () => {
    const ws = workspace(`tasks:
  - { id: a, agent: shell, prompt: "echo a" }
`);
    const config: Config = { ...defaultConfig(), agents: { shell: { provider: 'shell' }, reviewer: { provider: 'shell' } }, workflows: { review: { steps: [{ agent: 'shell' }, { agent: 'reviewer' }] } } };
    const plan = await planIn(ws, config);
    const crashed = path.join(root, `ws${n++}`);
    const persisted = beginRun(plan);
    const engine = new Engine({ plan, config, backends: { shell: instant([]) } });
    persisted.attach(engine.store);
    // "Killed" the moment a's completion is journaled (this listener runs after the recorder's): before the engine spawned its follow-up.
    engine.store.events.on('event', (e) => {
      if (e.type === 'task-state' && e.taskId === 'a' && e.to.kind === 'completed') cpSync(ws, crashed, { recursive: true });
    });
    await engine.run();
    await persisted.close();
    expect(engine.store.require('a-reviewer').state.kind).toBe('completed'); // the uninterrupted run did spawn it

    // The killed process's lock row would name a dead pid; here it names this live one, so drop it as its death would.
    const db = openRunDatabase(crashed);
    db.prepare('DELETE FROM run_lock').run();
    db.close();
    for (let session = 2; session <= 3; session++) {
      const resumed = await beginResume({ workspace: crashed, runId: persisted.runId, force: false, loadPlan: (file) => loadPlan(file, { workspace: crashed, knownRoles: Object.keys(config.agents) }) });
      const started: string[] = [];
      const again = new Engine({ plan: resumed.plan!, config, backends: { shell: instant(started) }, restore: resumed.restore! });
      resumed.attach(again.store);
      await again.run();
      await resumed.close();
      // Session 2 spawns and runs the missing follow-up; session 3 finds it recorded and runs nothing.
      expect(started).toEqual(session === 2 ? ['a-reviewer'] : []);
      const check = openRunDatabase(crashed);
      try {
        recoverJournal(check, crashed, resumed.runId);
        const records = loadTaskRecords(check, resumed.runId);
        expect(records.map((r) => [r.spec.id, r.spec.spawnedBy, r.state.kind])).toEqual([
          ['a', undefined, 'completed'],
          ['a-reviewer', 'a', 'completed'],
        ]);
        expect(check.prepare('SELECT parent_id, follow_up_id, outcome FROM follow_ups').all()).toEqual([{ parent_id: 'a', follow_up_id: 'a-reviewer', outcome: 'spawned' }]);
      } finally {
        check.close();
      }
    }
  });
});

describe('a resume killed before its first batch reached the database', () => {
  it('keeps what that resume completed: the journal is replayed though the database still says the run stopped', async () => {
    const ws = workspace(`tasks:
  - { id: a, agent: shell, prompt: "echo a" }
  - { id: b, agent: shell, prompt: "echo b" }
  - { id: c, agent: shell, prompt: "echo c", dependsOn: [b] }
`);
    const config = defaultConfig();
    // Session 1: a completes, b hangs until the run is stopped (then it is cancelled as interrupted: resumable).
    const plan = await planIn(ws, config);
    const first = beginRun(plan);
    const hanging: Backend = {
      start(ctx) {
        if (ctx.task.id === 'a') return { done: Promise.resolve({ ok: true, result: 'result a' }), pause() {}, resume() {} };
        const done = new Promise<{ ok: false; reason: string }>((resolve) => ctx.signal.addEventListener('abort', () => resolve({ ok: false, reason: 'stopped' })));
        return { done, pause() {}, resume() {} };
      },
    };
    const engine = new Engine({ plan, config, backends: { shell: hanging } });
    first.attach(engine.store);
    const done = engine.run();
    await until('b running', () => engine.store.require('b').state.kind === 'running');
    await engine.shutdown('SIGINT');
    await done;
    await first.close();

    // Session 2 (a resume): "killed" as soon as b's completion is journaled, before any batch is committed.
    const crashed = path.join(root, `ws${n++}`);
    const load = (dir: string) => (file: string) => loadPlan(file, { workspace: dir, knownRoles: Object.keys(config.agents) });
    const second = await beginResume({ workspace: ws, force: false, loadPlan: load(ws) });
    const again = new Engine({ plan: second.plan!, config, backends: { shell: instant([]) }, restore: second.restore! });
    second.attach(again.store);
    again.store.events.on('event', (e) => {
      if (e.type === 'task-state' && e.taskId === 'b' && e.to.kind === 'completed') cpSync(ws, crashed, { recursive: true });
    });
    await again.run();
    await second.close();

    const db = openRunDatabase(crashed);
    try {
      expect(db.prepare('SELECT state, session FROM runs').get()).toEqual({ state: 'interrupted', session: 1 }); // session 2 never reached it
      db.prepare('DELETE FROM run_lock').run(); // the killed holder's row, dead with it
    } finally {
      db.close();
    }
    const third = await beginResume({ workspace: crashed, force: false, loadPlan: load(crashed) });
    expect(third.restore!.map((r) => [r.spec.id, r.state.kind])).toEqual([['a', 'completed'], ['b', 'completed'], ['c', 'pending']]);
    const started: string[] = [];
    const last = new Engine({ plan: third.plan!, config, backends: { shell: instant(started) }, restore: third.restore! });
    third.attach(last.store);
    await last.run();
    await third.close();
    expect(started).toEqual(['c']);
  });
});
