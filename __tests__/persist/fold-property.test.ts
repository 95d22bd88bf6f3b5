import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Usage } from '../../src/agents/backend.js';
import { openRunDatabase } from '../../src/persist/database.js';
import { journalPath } from '../../src/persist/paths.js';
import { beginRun } from '../../src/persist/persistence.js';
import { loadAttempts, loadTaskRecords } from '../../src/persist/read.js';
import { recoverJournal } from '../../src/persist/recover.js';
import type { TaskSpec } from '../../src/plan/schema.js';
import { addUsage, emptyUsage } from '../../src/scheduler/apply-event.js';
import type { TaskRecord } from '../../src/scheduler/apply-event.js';
import { Engine } from '../../src/scheduler/engine.js';
import type { RunEvent } from '../../src/scheduler/events.js';
import { FakeClock } from '../scheduler/fake-clock.js';
import { ScriptedBackend, config, flush, task } from '../scheduler/harness.js';

/**
 * The live store, the database after the run, and the database rebuilt from
 * a crash at a random event (files copied as a kill -9 leaves them, the
 * journal replayed) must hold the same records; and the records must agree
 * with a model the test keeps of what it made the agents report, so a rule
 * broken in the one fold all three share is caught too.
 */

type Step =
  | { op: 'finish'; pick: number; outcome: 'ok' | 'transient' | 'permanent' }
  | { op: 'report'; pick: number; session: number | undefined; input: number; cost: number }
  | { op: 'pause' | 'resume' | 'retry' | 'skip' | 'cancel'; pick: number }
  | { op: 'pauseAll' | 'resumeAll' | 'tick' };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('finish' as const), pick: fc.nat(), outcome: fc.constantFrom('ok', 'transient', 'permanent') as fc.Arbitrary<'ok'> }) },
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant('report' as const), pick: fc.nat(), session: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }),
      input: fc.integer({ min: 0, max: 50 }), cost: fc.constantFrom(0, 0.1, 0.25, 1 / 3),
    }),
  },
  { weight: 4, arbitrary: fc.record({ op: fc.constantFrom('pause', 'resume', 'retry', 'skip', 'cancel') as fc.Arbitrary<'pause'>, pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constantFrom('pauseAll', 'resumeAll', 'tick') as fc.Arbitrary<'tick'> }) },
);

const planArb = fc.integer({ min: 1, max: 7 }).chain((n) =>
  fc.tuple(
    ...Array.from({ length: n }, (_, i) =>
      fc.record({
        deps: fc.uniqueArray(fc.integer({ min: 0, max: Math.max(0, i - 1) }), { maxLength: i === 0 ? 0 : 2 }),
        mode: fc.constantFrom('hard', 'soft', 'skip') as fc.Arbitrary<TaskSpec['failureMode']>,
        retries: fc.integer({ min: 0, max: 2 }),
        review: fc.boolean(),
      }),
    ),
  ),
);

/** Crash points: the events at which the files are copied as a kill -9 would leave them. */
const crashArb = fc.record({ first: fc.integer({ min: 1, max: 20 }), every: fc.integer({ min: 3, max: 15 }), cutLine: fc.boolean() });

/** Moves between pending and eligible are not journaled (recorder.ts isChurn): the database may lag by one of them. */
function normalized(records: readonly TaskRecord[]): TaskRecord[] {
  return records.map((r) => (r.state.kind === 'eligible' || r.state.kind === 'pending' ? { ...r, state: { kind: 'pending' } } : r));
}

/** The test's own account of what each task's agent reported: the rule for usage in a conversation, written independently. */
interface Model {
  sessionId?: string;
  usage?: Usage;
  sessionUsage?: Usage;
}

let root: string;
let runs = 0;
beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'orch-fold-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true, maxRetries: 3 }));

describe('one fold of events into records', () => {
  it('the live store, the database after the run and the database rebuilt after a crash hold the same records', async () => {
    await fc.assert(
      fc.asyncProperty(planArb, fc.array(stepArb, { maxLength: 50 }), crashArb, fc.integer({ min: 0, max: 40 }), async (spec, steps, crash, readAt) => {
        const ws = path.join(root, `ws${runs++}`);
        mkdirSync(ws);
        const tasks = spec.map((s, i) =>
          task(`t${i}`, { dependsOn: s.deps.map((d) => `t${d}`), failureMode: s.mode, retries: s.retries, followUps: s.review }),
        );
        const plan = { name: 'fold', file: path.join(ws, 'plan.yaml'), workspace: ws, tasks };
        const cfg = config({
          retryBaseMs: 10,
          agents: { shell: { provider: 'shell' }, reviewer: { provider: 'shell' } },
          workflows: { review: { steps: [{ agent: 'shell' }, { agent: 'reviewer' }] } },
        });
        const clock = new FakeClock();
        const backend = new ScriptedBackend();
        const engine = new Engine({ plan, config: cfg, backends: { shell: backend }, publishIntervalMs: 0, concurrency: 2, clock, random: () => 0.5 });
        const persisted = beginRun(plan);
        persisted.attach(engine.store);

        // After the recorder's listener (attached first): each event is in the journal when this one sees it.
        const crashes: { dir: string; expected: TaskRecord[] }[] = [];
        let before: readonly TaskRecord[] = [];
        let count = 0;
        engine.store.events.on('event', (e: RunEvent) => {
          const now = engine.store.getSnapshot().tasks;
          count++;
          if (count >= crash.first && (count - crash.first) % crash.every === 0 && crashes.length < 4) {
            const dir = path.join(ws, `crash${count}`);
            cpSync(path.join(ws, '.orchestrator'), path.join(dir, '.orchestrator'), { recursive: true });
            // Killed half-way through writing this event's line: the event was never acted on, nor read.
            const journal = journalPath(dir, persisted.runId);
            const cut = crash.cutLine && e.type !== 'run-finished' && e.type !== 'task-output' && readFileSync(journal, 'utf8').endsWith(`${JSON.stringify(e)}\n`);
            if (cut) truncateSync(journal, readFileSync(journal).length - 3);
            crashes.push({ dir, expected: normalized(cut ? before : now) });
          }
          // A reader (orchestrator show) catching the tables up mid-run, after this event's copy (a copy with its line cut
          // stands for a kill during its write, which no reader could have seen): later copies replay only what came after.
          if (count === readAt) {
            const reader = openRunDatabase(ws);
            try {
              recoverJournal(reader, ws, persisted.runId);
            } finally {
              reader.close();
            }
          }
          before = now;
        });

        const model = new Map<string, Model>();
        const ids = () => engine.store.getSnapshot().tasks.map((t) => t.spec.id);
        const done = engine.run();
        await flush();
        for (const step of steps) {
          const live = [...backend.live.keys()];
          if (step.op === 'finish' || step.op === 'report') {
            if (!live.length) continue;
            const id = live[step.pick % live.length]!;
            if (step.op === 'finish') {
              backend.finish(id, step.outcome === 'ok' ? { ok: true, result: `${id} done` }
                : step.outcome === 'transient' ? { ok: false, reason: 'overloaded', failure: 'transient' }
                : { ok: false, reason: 'broken', exitCode: 3, failure: 'permanent' });
            } else {
              const sessionId = step.session === undefined ? undefined : `s${step.session}`;
              const delta = { inputTokens: step.input, costUsd: step.cost };
              backend.live.get(id)!.ctx.report({ ...(sessionId ? { sessionId } : {}), usage: delta });
              const m = model.get(id) ?? {};
              if (sessionId !== undefined && sessionId !== m.sessionId) {
                m.sessionId = sessionId;
                delete m.sessionUsage;
              }
              if (step.input !== 0 || step.cost !== 0) {
                m.usage = addUsage(m.usage ?? emptyUsage(), delta);
                m.sessionUsage = addUsage(m.sessionUsage ?? emptyUsage(), delta);
              }
              model.set(id, m);
            }
          } else if (step.op === 'tick') {
            clock.advance(1_000);
          } else if ('pick' in step) {
            const all = ids();
            engine[step.op](all[step.pick % all.length]!);
          } else {
            engine[step.op]();
          }
          await flush();
        }
        // Let everything go, then stop what is left.
        engine.resumeAll();
        for (let guard = 0; guard < 100 && !engine.store.isFinished; guard++) {
          for (const t of engine.store.getSnapshot().tasks) if (t.state.kind === 'paused') engine.resume(t.spec.id);
          clock.advance(60_000);
          const live = [...backend.live.keys()];
          if (live.length) backend.finish(live[0]!);
          await flush();
        }
        if (!engine.store.isFinished) await engine.shutdown('SIGTERM');
        await done;
        await persisted.close();

        const final = engine.store.getSnapshot().tasks;
        for (const r of final) {
          const m = model.get(r.spec.id) ?? {};
          expect([r.spec.id, r.sessionId, r.usage, r.sessionUsage]).toEqual([r.spec.id, m.sessionId, m.usage, m.sessionUsage]);
          expect([r.spec.id, r.attempts]).toEqual([r.spec.id, backend.calls.filter((c) => c.id === r.spec.id).length]);
        }
        const db = openRunDatabase(ws);
        try {
          recoverJournal(db, ws, persisted.runId);
          expect(normalized(loadTaskRecords(db, persisted.runId))).toEqual(normalized(final));
          // Each attempt's row holds its share of the same deltas.
          for (const r of final) {
            const rows = loadAttempts(db, persisted.runId).filter((a) => a.taskId === r.spec.id);
            expect([r.spec.id, rows.length]).toEqual([r.spec.id, r.attempts]);
            const sum = rows.reduce((u, a) => addUsage(u, a.usage), emptyUsage());
            expect(sum.inputTokens).toBe(r.usage?.inputTokens ?? 0);
            // A cost nobody reported stays unreported in the attempt rows too (never $0).
            expect([r.spec.id, sum.costUsd === undefined]).toEqual([r.spec.id, r.usage?.costUsd === undefined]);
            expect(sum.costUsd ?? 0).toBeCloseTo(r.usage?.costUsd ?? 0, 9);
          }
        } finally {
          db.close();
        }
        for (const { dir, expected } of crashes) {
          const copy = openRunDatabase(dir);
          try {
            recoverJournal(copy, dir, persisted.runId);
            expect(normalized(loadTaskRecords(copy, persisted.runId))).toEqual(expected);
          } finally {
            copy.close();
          }
        }
        rmSync(ws, { recursive: true, force: true });
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});
