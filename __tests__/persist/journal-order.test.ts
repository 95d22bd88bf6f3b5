import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BackendOutcome, Backend, BackendContext } from '../../src/agents/backend.js';
import { defaultConfig } from '../../src/config/defaults.js';
import { decodeJournal } from '../../src/persist/journal.js';
import { journalPath } from '../../src/persist/paths.js';
import { beginRun } from '../../src/persist/persistence.js';
import type { Plan } from '../../src/plan/schema.js';
import { Engine } from '../../src/scheduler/engine.js';
import type { RunEvent } from '../../src/scheduler/events.js';
import { prng, randomDag, shellTasks } from '../../bench/dag.js';

/**
 * The journal's promise (recorder.ts, README "A change is on disk before
 * anything acts on it"): an agent starts only once the journal file holds its
 * task's move into running and the completion of every task it depends on,
 * and an event nothing acts on is in the file by the end of its turn too.
 * Checked from the file, as a kill -9 would leave it, at the moment it matters.
 */

let root: string;
beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'orch-journal-order-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true, maxRetries: 3 }));

/** The events in the run's journal file as it stands (what a kill -9 now would leave). */
function journaled(ws: string, runId: string): RunEvent[] {
  return decodeJournal(readFileSync(journalPath(ws, runId), 'utf8')).map((d) => d.entry.e);
}

describe('what the journal file holds while a run goes on', () => {
  it('holds a task running and its dependencies completed before its agent starts', async () => {
    const ws = mkdtempSync(path.join(root, 'ws-'));
    const tasks = shellTasks(randomDag({ tasks: 60, edges: 80, maxDeps: 3, seed: 7 }), 'true');
    const plan: Plan = { name: 'order', file: path.join(ws, 'plan.yaml'), workspace: ws, tasks };
    const persisted = beginRun(plan);
    const random = prng(11);
    const unwritten: string[] = [];
    const backend: Backend = {
      start(ctx: BackendContext) {
        const events = journaled(ws, persisted.runId);
        const running = events.some((e) => e.type === 'task-state' && e.taskId === ctx.task.id && e.to.kind === 'running' && e.attempt === ctx.attempt);
        if (!running) unwritten.push(`${ctx.task.id} running`);
        for (const dep of ctx.task.dependsOn) {
          if (!events.some((e) => e.type === 'task-state' && e.taskId === dep && e.to.kind === 'completed')) unwritten.push(`${dep} completed, before ${ctx.task.id}`);
        }
        // Some finish at once (in the same turn as others start), some a few turns later.
        const outcome: BackendOutcome = { ok: true, result: ctx.task.id };
        const turns = Math.floor(random() * 3);
        const done = turns === 0 ? Promise.resolve(outcome) : new Promise<BackendOutcome>((resolve) => laterTurns(turns, () => resolve(outcome)));
        return { done, pause() {}, resume() {} };
      },
    };
    const engine = new Engine({ plan, config: defaultConfig(), backends: { shell: backend }, concurrency: 4 });
    persisted.attach(engine.store);
    const summary = await engine.run();
    await persisted.close();
    expect(summary.tasks.filter((t) => t.state.kind !== 'completed')).toEqual([]);
    expect(unwritten).toEqual([]);
  });

  it('writes an event nothing acts on by the end of its turn', async () => {
    const ws = mkdtempSync(path.join(root, 'ws-'));
    const plan: Plan = { name: 'turn', file: path.join(ws, 'plan.yaml'), workspace: ws, tasks: shellTasks([[], []], 'true') };
    const persisted = beginRun(plan);
    let release: (() => void) | undefined;
    const backend: Backend = {
      start(ctx: BackendContext) {
        const outcome: BackendOutcome = { ok: true, result: ctx.task.id };
        // The second task holds the run open; the first one's completion starts nothing.
        const done = ctx.task.id === plan.tasks[0]!.id ? Promise.resolve(outcome) : new Promise<BackendOutcome>((resolve) => (release = () => resolve(outcome)));
        return { done, pause() {}, resume() {} };
      },
    };
    const engine = new Engine({ plan, config: defaultConfig(), backends: { shell: backend }, concurrency: 2 });
    persisted.attach(engine.store);
    const running = engine.run();
    const first = plan.tasks[0]!.id;
    const completed = (events: readonly RunEvent[]) => events.some((e) => e.type === 'task-state' && e.taskId === first && e.to.kind === 'completed');
    let seenInStore = false;
    engine.store.events.on('event', (e) => {
      if (e.type === 'task-state' && e.taskId === first && e.to.kind === 'completed') seenInStore = true;
    });
    while (!seenInStore) await new Promise((r) => setImmediate(r));
    // The turn the completion happened in has ended (this callback runs in a later one).
    await new Promise((r) => setImmediate(r));
    expect(completed(journaled(ws, persisted.runId))).toBe(true);
    release!();
    await running;
    await persisted.close();
  });
});

/** Calls `fn` after `n` more turns of the event loop. */
function laterTurns(n: number, fn: () => void): void {
  if (n === 0) fn();
  else setImmediate(() => laterTurns(n - 1, fn));
}
