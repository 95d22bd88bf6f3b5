import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BenchRow } from './types.js';
import { quit, start } from './dashboard.js';
import { goalRow, median, progress, row } from './util.js';

const WAVES = 5;
const PER_WAVE = 100;
const GATE_SECONDS = 1.5;
const KEY_EVERY_MS = 150;

/**
 * Issue 15's dashboard goal: a key still shows within 100 ms while 100 short
 * tasks start at once. WAVES gates (`sleep 1.5`, each after the one before)
 * each release PER_WAVE `true` tasks together (concurrency PER_WAVE + 1), and
 * `j` is pressed every KEY_EVERY_MS ms from the first release to the last
 * task's end: how long each press takes to move the selection on the screen.
 */
export async function dashboardBurstBench(): Promise<BenchRow[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'orchestrator-burst-'));
  try {
    const lines = ['name: burst', 'tasks:'];
    for (let w = 1; w <= WAVES; w++) {
      lines.push(`  - { id: gate-${w}, agent: shell, prompt: 'sleep ${GATE_SECONDS}'${w > 1 ? `, dependsOn: [gate-${w - 1}]` : ''} }`);
      for (let i = 0; i < PER_WAVE; i++) lines.push(`  - { id: w${w}-${i}, agent: shell, prompt: 'true', dependsOn: [gate-${w}] }`);
    }
    await writeFile(path.join(dir, 'burst.yaml'), `${lines.join('\n')}\n`);
    const total = WAVES * (PER_WAVE + 1);
    await writeFile(path.join(dir, 'in-process.yaml'), 'spawner: false\n');
    const rows: BenchRow[] = [];
    // The default (tasks started by the spawner), then every task forked from the dashboard's own process, for comparison.
    for (const [label, extra] of [['spawner (default)', []], ['in-process (spawner: false)', ['--config', path.join(dir, 'in-process.yaml')]]] as const) {
      progress(`dashboard-burst: ${WAVES} waves of ${PER_WAVE} tasks starting at once, ${label}`);
      const run = start(['run', 'burst.yaml', '--workspace', dir, '--concurrency', String(PER_WAVE + 1), '--tui', ...extra], dir, { cols: 160, rows: 45 });
      await run.until((s) => s.includes(`tasks 1/${total}`));
      const latencies: number[] = [];
      for (let n = 2; !run.screen().includes('FINISHED') && n <= total; n++) {
        const t = performance.now();
        run.proc.write('j');
        latencies.push((await run.until((s) => s.includes(`tasks ${n}/${total}`), 10_000)) - t);
        await new Promise((r) => setTimeout(r, KEY_EVERY_MS));
      }
      await quit(run);
      latencies.sort((a, b) => a - b);
      const measure = `key press → screen while ${PER_WAVE} tasks start at once, ${label}`;
      rows.push(
        label.startsWith('spawner') ? goalRow('dashboard-burst', `${measure} (median of ${latencies.length})`, median(latencies), 'ms', 100, '< 100 ms') : row('dashboard-burst', `${measure} (median of ${latencies.length})`, median(latencies), 'ms'),
        row('dashboard-burst', `${measure}: 90th percentile`, latencies[Math.floor(latencies.length * 0.9)]!, 'ms'),
        row('dashboard-burst', `${measure}: worst`, latencies.at(-1)!, 'ms'),
      );
    }
    return rows;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
