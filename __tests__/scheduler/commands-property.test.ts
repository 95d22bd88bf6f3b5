import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { TaskSpec } from '../../src/plan/schema.js';
import { dependencyVerdict } from '../../src/scheduler/states.js';
import { ScriptedBackend, engineWith, flush, task } from './harness.js';

type Step =
  | { op: 'finish'; pick: number; ok: boolean }
  | { op: 'pause' | 'resume' | 'retry' | 'skip' | 'cancel'; pick: number }
  | { op: 'pauseAll' | 'resumeAll' };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('finish' as const), pick: fc.nat(), ok: fc.boolean() }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constantFrom('pause', 'resume', 'retry', 'skip', 'cancel') as fc.Arbitrary<'pause'>, pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constantFrom('pauseAll', 'resumeAll') as fc.Arbitrary<'pauseAll'> }) },
);

const planArb = fc.integer({ min: 1, max: 12 }).chain((n) =>
  fc.tuple(
    ...Array.from({ length: n }, (_, i) =>
      fc.record({
        deps: fc.uniqueArray(fc.integer({ min: 0, max: Math.max(0, i - 1) }), { maxLength: i === 0 ? 0 : 2 }),
        mode: fc.constantFrom('hard', 'soft', 'skip') as fc.Arbitrary<TaskSpec['failureMode']>,
      }),
    ),
  ),
);

describe('engine commands under random interleavings', () => {
  it('never breaks the state machine, the dependency rule or the concurrency limit, and always drains', async () => {
    await fc.assert(
      fc.asyncProperty(planArb, fc.array(stepArb, { maxLength: 40 }), fc.integer({ min: 1, max: 3 }), async (spec, steps, concurrency) => {
        const tasks = spec.map((s, i) => task(`t${i}`, { dependsOn: s.deps.map((d) => `t${d}`), failureMode: s.mode }));
        const backend = new ScriptedBackend();
        const engine = engineWith(tasks, backend, { concurrency });
        const ids = tasks.map((t) => t.id);
        // Every start must find its dependencies satisfied at that moment.
        engine.store.events.on('task-state', (e) => {
          if (e.to.kind !== 'running' || e.from.kind === 'paused') return;
          for (const dep of engine.store.require(e.taskId).spec.dependsOn) {
            const d = engine.store.require(dep);
            expect(dependencyVerdict(d.state, d.spec.failureMode)).toBe('satisfied');
          }
        });
        void engine.run();
        await flush();
        for (const step of steps) {
          if (step.op === 'finish') {
            const live = [...backend.live.keys()];
            if (live.length) backend.finish(live[step.pick % live.length]!, step.ok ? { ok: true, result: 'ok' } : { ok: false, reason: 'no' });
          } else if ('pick' in step) {
            const result = engine[step.op](ids[step.pick % ids.length]!);
            // Every result is a fact the dashboard can phrase: a `did` when it acted, a `reason` when not.
            expect(result.ok ? result.did : result.reason).toEqual(expect.any(String));
          } else {
            engine[step.op]();
          }
          await flush();
          expect(backend.live.size).toBeLessThanOrEqual(concurrency);
        }
        // Let everything go: resume all, then finish whatever runs until the run is idle.
        engine.resumeAll();
        for (const id of ids) if (engine.store.require(id).state.kind === 'paused') engine.resume(id);
        for (let guard = 0; guard < 200 && !engine.store.isFinished; guard++) {
          await flush();
          const live = [...backend.live.keys()];
          if (live.length) backend.finish(live[0]!);
        }
        expect(engine.store.isFinished).toBe(true);
        const counts = engine.store.getSnapshot().counts;
        expect(counts.pending + counts.eligible + counts.running + counts['waiting-lock'] + counts.paused).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});
