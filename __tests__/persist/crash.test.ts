import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openRunDatabase } from '../../src/persist/database.js';
import { listRuns, loadTaskRecords } from '../../src/persist/read.js';
import { recoverJournals } from '../../src/persist/recover.js';
import { cli, prng, requireBuild } from './helpers.js';

const SEED = Number(process.env.CRASH_SEED ?? 20251121);
const TRIALS = 20;
const LANES = 2;
const TASKS = 10;

let root: string;

beforeAll(() => {
  requireBuild();
  root = mkdtempSync(path.join(os.tmpdir(), 'orch-crash-'));
});

afterAll(() => rmSync(root, { recursive: true, force: true, maxRetries: 3 }));

/**
 * A plan of shell tasks, each appending its id to counter.txt once and
 * printing a result line; a few depend on others so dependents wait on
 * recorded completions. Sleeps vary so kills land in every phase.
 */
function writePlan(ws: string, rand: () => number): void {
  const lines = ['name: crash', 'tasks:'];
  for (let i = 0; i < TASKS; i++) {
    const deps = i >= 3 && rand() < 0.6 ? [`t${Math.floor(rand() * i)}`] : [];
    // Long enough that a run outlasts most kill times (150–1050 ms) even though the binary starts in ~0.2 s,
    // or too few kills land mid-run on a quiet machine.
    const sleep = (0.08 + rand() * 0.2).toFixed(3);
    lines.push(
      `  - id: t${i}`,
      '    agent: shell',
      `    prompt: "sleep ${sleep}; echo t${i} >> counter.txt; echo result-t${i}"`,
      `    dependsOn: [${deps.join(', ')}]`,
    );
  }
  writeFileSync(path.join(ws, 'plan.yaml'), `${lines.join('\n')}\n`);
}

function counts(ws: string): Map<string, number> {
  const file = path.join(ws, 'counter.txt');
  const map = new Map<string, number>();
  if (!existsSync(file)) return map;
  for (const id of readFileSync(file, 'utf8').split('\n').filter(Boolean)) map.set(id, (map.get(id) ?? 0) + 1);
  return map;
}

/**
 * What the database says is completed right after a kill, read from a copy
 * (journal replayed there) so the real files reach `resume` untouched.
 */
function recordedCompleted(ws: string, scratch: string): Map<string, string> {
  rmSync(scratch, { recursive: true, force: true });
  if (!existsSync(path.join(ws, '.orchestrator', 'runs.db'))) return new Map();
  cpSync(path.join(ws, '.orchestrator'), path.join(scratch, '.orchestrator'), { recursive: true });
  const db = openRunDatabase(scratch);
  try {
    recoverJournals(db, scratch); // the run writes only its journal: bring the tables up to date, as any reader does
    const run = listRuns(db)[0];
    if (!run) return new Map();
    const done = new Map<string, string>();
    for (const r of loadTaskRecords(db, run.id)) if (r.state.kind === 'completed') done.set(r.spec.id, r.state.result);
    return done;
  } finally {
    db.close();
  }
}

function hasRun(ws: string, scratch: string): boolean {
  rmSync(scratch, { recursive: true, force: true });
  cpSync(path.join(ws, '.orchestrator'), path.join(scratch, '.orchestrator'), { recursive: true });
  const db = openRunDatabase(scratch);
  try {
    recoverJournals(db, scratch);
    return listRuns(db).length > 0;
  } finally {
    db.close();
  }
}

async function trial(n: number): Promise<{ kills: number; resumes: number }> {
  const rand = prng(SEED + n);
  const ws = path.join(root, `t${n}`);
  const scratch = path.join(root, `t${n}-copy`);
  mkdirSync(ws, { recursive: true });
  writePlan(ws, rand);
  /** Per task, the count of its line when the database first said it was completed. */
  const whenCompleted = new Map<string, number>();
  const check = () => {
    const now = counts(ws);
    for (const [id, result] of recordedCompleted(ws, scratch)) {
      expect(result).toContain(`result-${id}`);
      expect(now.get(id) ?? 0).toBeGreaterThanOrEqual(1); // its effect happened before it was recorded done
      if (!whenCompleted.has(id)) whenCompleted.set(id, now.get(id)!);
    }
  };
  let kills = 0;
  let resumes = 0;
  let r = await cli(ws, ['run', 'plan.yaml', '--headless', '--concurrency', '3'], { killAfterMs: 150 + rand() * 900 });
  for (;;) {
    if (r.signal === 'SIGKILL') kills++;
    else expect(`exit ${r.code}: ${r.stderr}`).toMatch(/^exit 0: /);
    check();
    if (r.code === 0 || whenCompleted.size === TASKS) break; // done (a kill may land after the last result)
    expect(resumes).toBeLessThan(12);
    resumes++;
    // Half the resumes are killed too, at a random moment.
    const killAfterMs = rand() < 0.5 ? 150 + rand() * 700 : undefined;
    const again = existsSync(path.join(ws, '.orchestrator', 'runs.db')) && hasRun(ws, scratch);
    // Killed before it recorded anything: start it again.
    const args = again ? ['resume', '--headless'] : ['run', 'plan.yaml', '--headless', '--concurrency', '3'];
    r = await cli(ws, args, killAfterMs !== undefined ? { killAfterMs } : {});
  }
  const final = counts(ws);
  const done = recordedCompleted(ws, scratch);
  for (let i = 0; i < TASKS; i++) {
    const id = `t${i}`;
    expect([id, done.has(id)]).toEqual([id, true]); // no recorded result is missing
    expect([id, final.get(id) ?? 0]).not.toEqual([id, 0]); // every task's effect happened
    // No task ran again once it was recorded completed.
    if (whenCompleted.has(id)) expect([id, final.get(id)]).toEqual([id, whenCompleted.get(id)]);
  }
  return { kills, resumes };
}

describe('crash: the real binary killed with SIGKILL at random moments, then resumed until done', () => {
  it(`loses no finished work and runs no completed task again (${TRIALS} seeded trials, seed ${SEED})`, async () => {
    const results: { kills: number; resumes: number }[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: LANES }, async () => {
        while (next < TRIALS) results.push(await trial(next++));
      }),
    );
    const kills = results.reduce((s, r) => s + r.kills, 0);
    // The kills must really have landed mid-run, or the test proves nothing.
    expect(kills).toBeGreaterThanOrEqual(TRIALS);
  }, 120_000);
});
