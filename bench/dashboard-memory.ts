import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BenchRow } from './types.js';
import { quit, start, usage, writeFirehose } from './dashboard.js';
import { goalRow, progress, row } from './util.js';

const AGENTS = 8;
const SECONDS = Number(process.env.BENCH_MEMORY_SECONDS ?? 120);
const SAMPLE_MS = 5000;

/**
 * The dashboard's memory under 8 agents × 1 MB/s for two minutes: RSS from
 * /proc every 5 s, from 2 s into the load. Opt-in (it takes ~2.5 min):
 * `node dist/bench/run.js dashboard-memory`. `BENCH_NODE_FLAGS` (e.g.
 * `--max-semi-space-size=32`) go to the dashboard's node, for A/B runs.
 */
export async function dashboardMemoryBench(): Promise<BenchRow[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'orchestrator-mem-'));
  const node = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const label = node.length ? ` (${node.join(' ')})` : '';
  try {
    await writeFirehose(dir, AGENTS, SECONDS + 15);
    progress(`dashboard-memory: 8 agents at 1 MB/s each for ${SECONDS} s${label}`);
    const run = start(['run', 'firehose.yaml', '--workspace', dir, '--concurrency', String(AGENTS), '--tui'], dir, { node });
    await run.until((s) => s.includes(`running ${AGENTS}/${AGENTS}`));
    await new Promise((r) => setTimeout(r, 2000));
    const first = usage(run.proc.pid).rssMb;
    const samples = [first];
    for (let t = SAMPLE_MS; t <= SECONDS * 1000; t += SAMPLE_MS) {
      await new Promise((r) => setTimeout(r, SAMPLE_MS));
      samples.push(usage(run.proc.pid).rssMb);
      progress(`dashboard-memory: ${t / 1000} s: RSS ${samples.at(-1)!.toFixed(0)} MB`);
    }
    await quit(run);
    const last = samples.at(-1)!;
    const peak = Math.max(...samples);
    return [
      row('dashboard-memory', `RSS 2 s into the load${label}`, first, 'MB'),
      row('dashboard-memory', `RSS ${SECONDS + 2} s into the load${label}`, last, 'MB'),
      row('dashboard-memory', `RSS peak of ${samples.length} samples${label}`, peak, 'MB'),
      goalRow('dashboard-memory', `RSS growth, peak / at 2 s${label}`, peak / first, '×', 1.5, '≤ 1.5×'),
      row('dashboard-memory', `RSS growth, end / at 2 s${label}`, last / first, '×'),
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
