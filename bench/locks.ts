import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ResourceLockManager } from '../src/scheduler/locks.js';
import type { RealFile } from '../src/workspace.js';
import type { Bench, BenchRow } from './types.js';
import { collectGarbage, median, progress, row, timeMs } from './util.js';

const CYCLES = 100_000;
const CONTENDERS = 100;
const ROUNDS = 3;

interface Case {
  name: string;
  run: (m: ResourceLockManager) => Promise<void>;
  /** Resolve keys on the real file system (the default in a run); otherwise lexically, timing the lock structure alone. */
  real?: boolean;
}

/** Keys as the paths are written: no file system, so the numbers are the lock structure's. */
const lexical = (abs: string): RealFile => ({ path: abs });

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
  {
    name: `a directory against files in it, ${CONTENDERS} contenders`,
    run: (m) => contend(m, (c, i) => [(c + i) % 10 === 0 ? 'src/lib' : `src/lib/m${c % 16}/f${i % 4}.ts`]),
  },
  {
    name: `distinct keys, sequential, real files resolved`,
    real: true,
    run: async (m) => {
      for (let i = 0; i < CYCLES; i++) (await m.acquire(`src/f${i}.ts`))();
    },
  },
  {
    name: `acquireAll 3 of 8 keys, ${CONTENDERS} contenders, real files resolved`,
    real: true,
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
 * per-task locking overhead a plan pays — as total ms and µs per cycle: the
 * lock structure alone (keys taken as written), and with each key resolved
 * to its real file as a run does (a realpath and an lstat per path).
 */
export const locksBench: Bench = async () => {
  const rows: BenchRow[] = [];
  // Keys are real files: a real workspace, with src/ there and the files not yet, as at a plan's start.
  const workspace = mkdtempSync(path.join(os.tmpdir(), 'orch-bench-locks-'));
  mkdirSync(path.join(workspace, 'src'));
  try {
    await runCases(workspace, rows);
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
  return rows;
};

async function runCases(workspace: string, rows: BenchRow[]): Promise<void> {
  for (const c of CASES) {
    const make = (): ResourceLockManager => new ResourceLockManager({ workspace, ...(c.real ? {} : { resolve: lexical }) });
    await c.run(make()); // warm-up
    const times: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const m = make();
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
}
