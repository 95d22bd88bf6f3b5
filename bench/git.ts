import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { commitTask } from '../src/git/commit.js';
import { heads, resultBranch, startRef, taskBranch } from '../src/git/layout.js';
import type { RunRef } from '../src/git/layout.js';
import { MergeQueue, mergeTask } from '../src/git/merge.js';
import { startRun } from '../src/git/run.js';
import { removeTaskWorkspace, startTask } from '../src/git/task.js';
import type { Bench, BenchRow } from './types.js';
import { goalRow, median, progress, row, timeMs } from './util.js';

const FILES = 20_000;
const PER_DIR = 100;
const ROUNDS = 5;
const QUEUED = 100;
const GOAL_RATIO = 1.5;
const GOAL_QUEUE_MS = 10_000;
// gc.auto=0: the 20,000 new objects would start a background gc in the middle of the measurements; one explicit gc packs them.
const IDENTITY = ['-c', 'user.name=bench', '-c', 'user.email=bench@example.com', '-c', 'gc.auto=0'];

function sh(cwd: string, ...args: string[]): string {
  return execFileSync('git', [...IDENTITY, ...args], { cwd, encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** A repository of FILES small files in directories of PER_DIR, one commit, packed. */
function makeRepo(dir: string): void {
  mkdirSync(dir);
  sh(dir, 'init', '-q', '-b', 'main');
  for (let d = 0; d < FILES / PER_DIR; d++) {
    const sub = path.join(dir, 'src', `d${d}`);
    mkdirSync(sub, { recursive: true });
    for (let f = 0; f < PER_DIR; f++) writeFileSync(path.join(sub, `f${f}.ts`), `export const v${d}_${f} = ${d * PER_DIR + f};\n`);
  }
  sh(dir, 'add', '-A');
  sh(dir, 'commit', '-q', '-m', 'init');
  sh(dir, 'gc', '-q');
}

/**
 * (1) What isolation costs per task on a 20,000-file repository: a worktree
 * from the result, a one-file change committed with trailers, the merge into
 * the result — against bare `git worktree add` + `git add -A` + `git commit`.
 * (2) 100 task commits through the merge queue.
 */
export const gitBench: Bench = async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'orchestrator-bench-git-'));
  try {
    const repo = path.join(root, 'repo');
    const made = await timeMs(() => makeRepo(repo));
    progress(`git: ${FILES.toLocaleString('en')}-file repository made in ${made.toFixed(0)} ms`);
    const started = await startRun(repo, 'bench');
    if (!started.ok) throw new Error(`startRun: ${started.kind}`);
    const run = started.run;

    const ours: number[] = [];
    const bare: number[] = [];
    for (let r = 0; r < ROUNDS + 1; r++) {
      // Alternate which goes first; round 0 warms the caches and is not counted.
      const pair = r % 2 ? [() => isolated(run, r), () => bareGit(repo, r)] : [() => bareGit(repo, r), () => isolated(run, r)];
      const times: number[] = [];
      for (const step of pair) times.push(await timeMs(step));
      const [o, b] = r % 2 ? [times[0]!, times[1]!] : [times[1]!, times[0]!];
      if (r > 0) {
        ours.push(o);
        bare.push(b);
      }
      progress(`git: round ${r}: isolated task ${o.toFixed(0)} ms, bare worktree add + commit ${b.toFixed(0)} ms`);
      // Clean up outside the clock.
      await removeTaskWorkspace(run, `t${r}`);
      sh(repo, 'worktree', 'remove', '--force', path.join(root, `bare${r}`));
    }
    const ratios = ours.map((o, i) => o / bare[i]!);

    const queueMs = await mergeQueueBench(repo);
    progress(`git: ${QUEUED} merges through the queue in ${queueMs.toFixed(0)} ms`);
    const rows: BenchRow[] = [
      row('git', `isolated task: worktree from result + one-file commit + merge (median of ${ROUNDS})`, median(ours), 'ms'),
      row('git', `bare git worktree add + git add -A + git commit (median of ${ROUNDS})`, median(bare), 'ms'),
      goalRow('git', `isolated / bare, ${FILES.toLocaleString('en')} files (median of per-round ratios)`, median(ratios), '×', GOAL_RATIO, `≤ ${GOAL_RATIO}×`),
      goalRow('git', `${QUEUED} task commits through the merge queue`, queueMs, 'ms', GOAL_QUEUE_MS, `< ${GOAL_QUEUE_MS / 1000} s`),
      row('git', 'merge queue, per merge', queueMs / QUEUED, 'ms'),
    ];
    return rows;
  } finally {
    rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  }
};

async function isolated(run: RunRef, r: number): Promise<void> {
  const id = `t${r}`;
  const s = await startTask(run, id);
  if (s.kind !== 'started') throw new Error(`startTask: ${s.kind}`);
  writeFileSync(path.join(s.task.dir, `change-${r}.ts`), `export const r = ${r};\n`);
  const c = await commitTask(run, id, { prompt: `add change-${r}.ts`, agent: 'coder/bench', summary: 'bench' });
  if (c.kind !== 'committed') throw new Error(`commitTask: ${c.kind}`);
  const m = await mergeTask(run, id);
  if (m.kind !== 'merged') throw new Error(`mergeTask: ${m.kind}`);
}

function bareGit(repo: string, r: number): void {
  const dir = path.join(path.dirname(repo), `bare${r}`);
  sh(repo, 'worktree', 'add', '--quiet', '-b', `bare/${r}`, dir, 'main');
  writeFileSync(path.join(dir, `change-${r}.ts`), `export const r = ${r};\n`);
  sh(dir, 'add', '-A');
  sh(dir, 'commit', '-q', '-m', `add change-${r}.ts`);
}

/**
 * QUEUED task branches, each one new file on the base, made with plumbing
 * (no worktrees: only the merges are timed), then all merged through one
 * queue, enqueued at once as tasks finishing together would be.
 */
async function mergeQueueBench(repo: string): Promise<number> {
  const started = await startRun(repo, 'queue');
  if (!started.ok) throw new Error(`startRun: ${started.kind}`);
  const run = started.run;
  const baseTree = sh(repo, 'ls-tree', run.base);
  for (let i = 0; i < QUEUED; i++) {
    const blob = execFileSync('git', ['hash-object', '-w', '--stdin'], { cwd: repo, input: `task ${i}\n`, encoding: 'utf8' }).trim();
    const tree = execFileSync('git', ['mktree'], { cwd: repo, input: `${baseTree}\n100644 blob ${blob}\ttask-${i}.txt\n`, encoding: 'utf8' }).trim();
    const commit = sh(repo, 'commit-tree', tree, '-p', run.base, '-m', `q${i}: task ${i}`);
    sh(repo, 'update-ref', heads(taskBranch('queue', `q${i}`)), commit);
    sh(repo, 'update-ref', startRef('queue', `q${i}`), run.base);
  }
  const queue = new MergeQueue(run);
  const ms = await timeMs(async () => {
    const results = await Promise.all(Array.from({ length: QUEUED }, (_, i) => queue.enqueue(`q${i}`)));
    const bad = results.filter((m) => m.kind !== 'merged');
    if (bad.length) throw new Error(`merge queue: ${bad.length} not merged (${bad[0]!.kind})`);
  });
  const files = sh(repo, 'ls-tree', '--name-only', resultBranch('queue')).split('\n').filter((f) => f.startsWith('task-'));
  if (files.length !== QUEUED) throw new Error(`merge queue: ${files.length} task files in the result, expected ${QUEUED}`);
  return ms;
}
