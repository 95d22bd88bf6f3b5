import { ResourceLockManager } from '../src/scheduler/locks.js';
import type { Bench, BenchRow } from './types.js';
import { collectGarbage, median, progress, row, timeMs } from './util.js';

const CYCLES = 100_000;
const CONTENDERS = 100;
const ROUNDS = 3;
const WORKSPACE = '/bench/ws';

interface Case {
  name: string;
  run: (m: ResourceLockManager) => Promise<void>;
}

const CASES: Case[] = [
  {
    name: `distinct keys, sequential`,
    run: async (m) => {
      for (let i = 0; i < CYCLES; i++) (await m.acquire(`src/f${i}.ts`))();
    },
  },
  {
    name: `one hot key, sequential`,
    run: async (m) => {
      for (let i = 0; i < CYCLES; i++) (await m.acquire('src/hot.ts'))();
    },
  },
  {
    name: `one hot key, ${CONTENDERS} contenders`,
    run: (m) => contend(m, () => ['src/hot.ts']),
  },
  {
    name: `acquireAll 3 of 8 keys, ${CONTENDERS} contenders`,
    run: (m) => contend(m, (c, i) => [0, 3, 5].map((d) => `src/f${(c + i + d) % 8}.ts`)),
  },
];

/** CYCLES acquire/release cycles split over CONTENDERS loops that all run at once. */
async function contend(m: ResourceLockManager, keysFor: (contender: number, cycle: number) => string[]): Promise<void> {
  const per = CYCLES / CONTENDERS;
  await Promise.all(
    Array.from({ length: CONTENDERS }, async (_, c) => {
      for (let i = 0; i < per; i++) {
        const release = await m.acquireAll(keysFor(c, i), { holder: `t${c}` });
        // Hold across a microtask so contenders really queue behind each other.
        await Promise.resolve();
        release();
      }
    }),
  );
}

/**
 * 100,000 acquire/release cycles of the ResourceLockManager per case — the
 * per-task locking overhead a plan pays — as total ms and µs per cycle.
 */
export const locksBench: Bench = async () => {
  const rows: BenchRow[] = [];
  for (const c of CASES) {
    await c.run(new ResourceLockManager({ workspace: WORKSPACE })); // warm-up
    const times: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const m = new ResourceLockManager({ workspace: WORKSPACE });
      collectGarbage();
      times.push(await timeMs(() => c.run(m)));
      if (m.heldKeys().length) throw new Error(`locks: ${c.name}: keys left held: ${m.heldKeys().join(', ')}`);
    }
    const ms = median(times);
    progress(`locks: ${c.name}: ${ms.toFixed(1)} ms`);
    rows.push(
      row('locks', `${c.name}: ${CYCLES.toLocaleString('en')} cycles (median of ${ROUNDS})`, ms, 'ms'),
      row('locks', `${c.name}: per cycle`, (ms * 1000) / CYCLES, 'µs'),
    );
  }
  return rows;
};
