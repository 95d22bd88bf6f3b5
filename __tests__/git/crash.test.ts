import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TRAILER } from '../../src/git/commit.js';
import { resultBranch } from '../../src/git/layout.js';
import { g, isolateGitConfig, makeRepo, tempRoot, treeFiles } from './helpers.js';
import { prng } from '../../bench/dag.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CHILD = path.join(ROOT, '__tests__/git/steps-child.mjs');
const SEED = Number(process.env.CRASH_SEED ?? 0x6172);
const TRIALS = 8;
const TASKS = 6;
const RUN = 'crash';

let root: string;
let config: ReturnType<typeof isolateGitConfig>;
beforeAll(() => {
  if (!existsSync(path.join(ROOT, 'dist/src/git/index.js'))) throw new Error('build first: npm run build (npm test does)');
  config = isolateGitConfig();
  root = tempRoot('orch-git-crash-');
});
afterAll(() => {
  config.restore();
  rmSync(root, { recursive: true, force: true, maxRetries: 3 });
});


interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  ms: number;
}

/**
 * Runs the steps in a child that leads its own process group; `killAfterMs`
 * SIGKILLs the whole group — node and any git it is running — that long after
 * the start, as a crash or a power cut would.
 */
function steps(repo: string, killAfterMs?: number): Promise<Outcome> {
  const started = Date.now();
  const child = spawn(process.execPath, [CHILD, repo, RUN, String(TASKS)], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdout.resume();
  const timer = killAfterMs === undefined ? undefined : setTimeout(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // Already finished.
    }
  }, killAfterMs);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr, ms: Date.now() - started });
    });
  });
}

/** Every task's file in the result, each task's commit and merge exactly once, nothing left over. */
function expectEachTaskOnce(repo: string): void {
  const ids = Array.from({ length: TASKS }, (_, i) => `t${i}`);
  expect(treeFiles(repo, resultBranch(RUN))).toEqual(['README.md', ...ids.map((id) => `${id}.txt`)].sort());
  const log = (merges: boolean) =>
    g(repo, 'log', merges ? '--merges' : '--no-merges', `--format=%(trailers:key=${TRAILER.task},valueonly)`, `refs/orchestrator/${RUN}/base..${resultBranch(RUN)}`)
      .split('\n')
      .filter(Boolean)
      .sort();
  expect(log(false)).toEqual([...ids].sort());
  expect(log(true)).toEqual([...ids].sort());
  expect(g(repo, 'branch', '--list', `orchestrator/${RUN}/task/*`)).toBe('');
  const worktrees = path.join(repo, '.orchestrator/worktrees', RUN);
  expect(existsSync(worktrees) ? readdirSync(worktrees) : []).toEqual([]);
  expect(g(repo, 'status', '--porcelain')).toBe('');
}

describe('kill -9 at any moment, then the same steps again', () => {
  it(`puts every task's work in the result exactly once (seed ${SEED})`, async () => {
    // An uncrashed run first: it checks the steps, and its duration spreads the kill times over a whole run.
    const reference = makeRepo(root, 'reference');
    const whole = await steps(reference);
    expect(whole.stderr).toBe('');
    expect(whole.code).toBe(0);
    expectEachTaskOnce(reference);

    const rand = prng(SEED);
    let killedMidRun = 0;
    // Kill times spread over the longest whole run seen: a loaded machine makes runs longer.
    let span = whole.ms;
    for (let trial = 0; trial < TRIALS; trial++) {
      const repo = makeRepo(root, `trial-${trial}`);
      // One or two crashes, then a run to the end.
      const crashes = 1 + Math.floor(rand() * 2);
      for (let c = 0; c < crashes; c++) {
        const crashed = await steps(repo, Math.floor(rand() * span));
        if (crashed.signal === 'SIGKILL') killedMidRun++;
        else expect(crashed.stderr).toBe('');
      }
      const finish = await steps(repo);
      span = Math.max(span, finish.ms);
      expect({ trial, stderr: finish.stderr, code: finish.code }).toEqual({ trial, stderr: '', code: 0 });
      expectEachTaskOnce(repo);
    }
    // A test that cannot fail is a defect: kills must have landed mid-run, not only after the end.
    expect(killedMidRun).toBeGreaterThanOrEqual(TRIALS / 2);
  }, 120_000);
});
