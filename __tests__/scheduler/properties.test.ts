import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { Backend, BackendOutcome } from '../../src/agents/backend.js';
import type { TaskSpec } from '../../src/plan/schema.js';
import { dependencyVerdict, endedOk } from '../../src/scheduler/states.js';
import { ScriptedBackend, WORKSPACE, engineWith, task } from './harness.js';

/** A random DAG: each task may depend on any earlier one, with a random failure mode and outcome. */
const dagArb = fc
  .integer({ min: 1, max: 40 })
  .chain((n) =>
    fc.tuple(
      ...Array.from({ length: n }, (_, i) =>
        fc.record({
          deps: fc.uniqueArray(fc.integer({ min: 0, max: Math.max(0, i - 1) }), { maxLength: i === 0 ? 0 : 3 }),
          mode: fc.constantFrom('hard', 'soft', 'skip'),
          fails: fc.boolean(),
        }),
      ),
    ),
  );

describe('engine properties', () => {
  it('random runs with random failures end in states that obey the failure-mode rules', async () => {
    await fc.assert(
      fc.asyncProperty(dagArb, fc.integer({ min: 1, max: 8 }), async (spec, concurrency) => {
        const tasks: TaskSpec[] = spec.map((s, i) =>
          task(`t${i}`, { dependsOn: s.deps.map((d) => `t${d}`), failureMode: s.mode as TaskSpec['failureMode'] }),
        );
        const fails = new Set(spec.flatMap((s, i) => (s.fails ? [`t${i}`] : [])));
        const backend = new ScriptedBackend({
          outcome: (ctx) => (fails.has(ctx.task.id) ? { ok: false, reason: 'scripted failure' } : { ok: true, result: 'ok' }),
        });
        const engine = engineWith(tasks, backend, { concurrency });
        const summary = await engine.run();
        const byId = new Map(summary.tasks.map((t) => [t.spec.id, t]));
        expect(backend.maxConcurrent).toBeLessThanOrEqual(concurrency);
        for (const t of summary.tasks) {
          const deps = t.spec.dependsOn.map((d) => byId.get(d)!);
          const anyDead = deps.some((d) => dependencyVerdict(d.state, d.spec.failureMode) === 'dead');
          const ran = t.attempts > 0;
          expect(['completed', 'failed', 'blocked']).toContain(t.state.kind);
          expect(t.state.kind === 'blocked').toBe(anyDead);
          expect(ran).toBe(!anyDead);
          if (ran) expect(t.state.kind).toBe(fails.has(t.spec.id) ? 'failed' : 'completed');
          if (t.state.kind === 'blocked') {
            const root = byId.get(t.state.by)!;
            expect(root.state.kind).toBe('failed');
            expect(root.spec.failureMode).toBe('hard');
          }
        }
        expect(summary.exitCode).toBe(summary.tasks.every((t) => endedOk(t.state, t.spec.failureMode)) ? 0 : 1);
      }),
      { numRuns: 150 },
    );
  });

  it('under random workloads at concurrency 16 no file ever has two holders', async () => {
    const files = ['a.ts', 'b.ts', 'c.ts', 'd.ts', 'e.ts', 'f.ts'];
    let maxLive = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ writes: fc.subarray(files), ms: fc.integer({ min: 0, max: 3 }) }), { minLength: 1, maxLength: 40 }),
        async (work) => {
          const holders = new Map<string, number>();
          let worst = 0;
          let live = 0;
          const backend: Backend = {
            start(ctx) {
              for (const w of ctx.task.writes) {
                const n = (holders.get(w) ?? 0) + 1;
                holders.set(w, n);
                worst = Math.max(worst, n);
              }
              maxLive = Math.max(maxLive, ++live);
              const done = new Promise<BackendOutcome>((resolve) =>
                setTimeout(() => {
                  for (const w of ctx.task.writes) holders.set(w, holders.get(w)! - 1);
                  live--;
                  resolve({ ok: true, result: '' });
                }, work[Number(ctx.task.id.slice(1))]!.ms),
              );
              return { done, pause() {}, resume() {} };
            },
          };
          const tasks = work.map((w, i) => task(`t${i}`, { writes: w.writes.map((f) => `${WORKSPACE}/${f}`) }));
          const summary = await engineWith(tasks, backend, { concurrency: 16 }).run();
          expect(worst).toBeLessThanOrEqual(1);
          expect(summary.tasks.every((t) => t.state.kind === 'completed')).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
    // Tasks on different files did run side by side: the locks serialise only what they must.
    expect(maxLive).toBeGreaterThan(1);
  });
});
