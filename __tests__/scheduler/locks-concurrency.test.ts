import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { ResourceLockManager } from '../../src/scheduler/locks.js';
import { flush, pool, within } from './lock-helpers.js';

const WS = path.resolve('/work/ws');
const make = (): ResourceLockManager => new ResourceLockManager({ workspace: WS });

/** Holds every key in `paths` exclusively for a turn, counting concurrent holders per key. */
function exclusiveWorker(m: ResourceLockManager, holders: Map<string, number>, violations: string[]) {
  return async (paths: readonly string[], hold: () => Promise<void>): Promise<void> => {
    const release = await m.acquireAll(paths);
    const keys = [...new Set(paths.map((p) => m.key(p)))];
    try {
      for (const k of keys) {
        const n = (holders.get(k) ?? 0) + 1;
        holders.set(k, n);
        if (n > 1) violations.push(k);
      }
      await hold();
    } finally {
      for (const k of keys) holders.set(k, (holders.get(k) ?? 1) - 1);
      release();
    }
  };
}

describe('ResourceLockManager multi-key acquisition', () => {
  it('[a,b] and [b,a] at the same time both finish (keys are sorted)', async () => {
    const m = make();
    const log: string[] = [];
    const job = async (name: string, keys: string[]): Promise<void> => {
      const r = await m.acquireAll(keys, { holder: name });
      log.push(`${name} in`);
      await flush(1);
      log.push(`${name} out`);
      r();
    };
    await within(Promise.all([job('ab', ['a', 'b']), job('ba', ['b', 'a'])]), 2000, '[a,b] vs [b,a]');
    // Exclusive: one holds both keys from entering to leaving.
    expect(log).toEqual(['ab in', 'ab out', 'ba in', 'ba out']);
    expect(m.heldKeys()).toEqual([]);
  });

  it('many concurrent acquirers in random orders all finish without deadlock', async () => {
    const m = make();
    const files = ['a', 'b', 'c', 'd', 'e', 'f'].map((f) => `src/${f}.ts`);
    const holders = new Map<string, number>();
    const violations: string[] = [];
    const work = exclusiveWorker(m, holders, violations);
    let finished = 0;
    const jobs = Array.from({ length: 300 }, (_, i) => {
      // A deterministic shuffle of a subset, different per job.
      const subset = files.filter((_, j) => (i >> j) & 1 || j === i % files.length);
      const shuffled = subset.map((f, j) => ({ f, r: (i * 7919 + j * 104729) % 97 })).sort((x, y) => x.r - y.r);
      return work(
        shuffled.map((s) => s.f),
        () => flush(1),
      ).then(() => {
        finished++;
      });
    });
    await within(Promise.all(jobs), 10_000, '300 random-order acquirers');
    expect(finished).toBe(300);
    expect(violations).toEqual([]);
    expect(m.heldKeys()).toEqual([]);
  });

  it('property: random workloads never let two tasks hold one file and always finish', async () => {
    const files = ['a.ts', 'b.ts', 'src/c.ts', 'src/d.ts', 'lib/e.ts', 'f.ts'];
    // Each file under three spellings, so canonicalisation is part of what is tested.
    const spell = (f: string, s: number): string => [f, `./${f}`, `x/../${f}`][s] as string;
    const task = fc.record({
      files: fc.uniqueArray(fc.integer({ min: 0, max: files.length - 1 }), { maxLength: files.length }),
      spelling: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: files.length, maxLength: files.length }),
      // How long it holds its files, in event-loop turns: others queue up meanwhile, no wall clock involved.
      holdTurns: fc.integer({ min: 0, max: 3 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(task, { minLength: 1, maxLength: 40 }), async (tasks) => {
        const m = make();
        const holders = new Map<string, number>();
        const violations: string[] = [];
        const work = exclusiveWorker(m, holders, violations);
        let finished = 0;
        await within(
          pool(tasks, 16, async (t) => {
            await work(
              t.files.map((f) => spell(files[f] as string, t.spelling[f] ?? 0)),
              () => flush(t.holdTurns),
            );
            finished++;
          }),
          10_000,
          `workload of ${tasks.length} tasks`,
        );
        expect(violations).toEqual([]);
        expect(finished).toBe(tasks.length);
        expect([...holders.values()].every((n) => n === 0)).toBe(true);
        expect(m.heldKeys()).toEqual([]);
      }),
      { numRuns: 40 },
    );
  });
});
