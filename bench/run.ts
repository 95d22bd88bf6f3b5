import os from 'node:os';
import { dashboardBench } from './dashboard.js';
import { dashboardMemoryBench } from './dashboard-memory.js';
import { dashboardBurstBench } from './dashboard-burst.js';
import { engineBench } from './engine.js';
import { gitBench } from './git.js';
import { graphBench } from './graph.js';
import { locksBench } from './locks.js';
import { persistBench } from './persist.js';
import { procBench } from './proc.js';
import { formatTable } from './table.js';
import { sessionBench } from './session.js';
import { shellBench } from './shell.js';
import type { Bench, BenchRow } from './types.js';
import { progress } from './util.js';
import { validateBench } from './validate.js';

/**
 * Every benchmark by name, in the order they run (also when named in another
 * order). `shell` goes first: every spawn forks this process, and forking
 * gets slower as its memory grows, which `validate`'s 100,000-task plans do.
 */
const BENCHES: Record<string, Bench> = {
  shell: shellBench,
  session: sessionBench,
  proc: procBench,
  engine: engineBench,
  locks: locksBench,
  persist: persistBench,
  validate: validateBench,
  dashboard: dashboardBench,
  graph: graphBench,
  'dashboard-memory': dashboardMemoryBench,
  'dashboard-burst': dashboardBurstBench,
  git: gitBench,
};

/** Run only when named: they take minutes. */
const OPT_IN = new Set(['dashboard-memory']);

const USAGE = `usage: node dist/bench/run.js [--json] [${Object.keys(BENCHES).join('|')} ...]

Runs the named benchmarks (all but ${[...OPT_IN].join(', ')} when none is named) and prints one
table: bench, measure, value, unit, goal, met. Progress goes to stderr.
  --json   print {date, node, cpus, rows, errors} as JSON instead of the table
`;

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const json = argv.includes('--json');
  const names = argv.filter((a) => a !== '--json');
  const unknown = names.filter((n) => !(n in BENCHES));
  if (unknown.length) {
    process.stderr.write(`unknown benchmark ${unknown.map((n) => `'${n}'`).join(', ')}\n${USAGE}`);
    return 2;
  }
  const selected = Object.keys(BENCHES).filter((n) => (names.length === 0 ? !OPT_IN.has(n) : names.includes(n)));

  const machine = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    platform: `${os.platform()} ${os.release()}`,
    /** The machine is shared: a load above the CPU count means the numbers are noisy. */
    loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))),
  };
  const rows: BenchRow[] = [];
  const errors: { bench: string; error: string }[] = [];
  for (const name of selected) {
    progress(`${name}: starting`);
    const start = Date.now();
    try {
      rows.push(...(await BENCHES[name]!()));
      progress(`${name}: done in ${((Date.now() - start) / 1000).toFixed(1)} s`);
    } catch (err) {
      const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
      errors.push({ bench: name, error });
      progress(`${name}: FAILED: ${error}`);
    }
  }

  if (json) {
    process.stdout.write(`${JSON.stringify({ ...machine, rows, errors }, null, 2)}\n`);
  } else {
    process.stdout.write(`${machine.date} · Node ${machine.node} · ${machine.cpus} CPUs (${machine.cpuModel}) · ${machine.platform} · load ${machine.loadAverage.join(' ')}\n\n`);
    process.stdout.write(`${formatTable(rows)}\n`);
    const missed = rows.filter((r) => r.met === false).length;
    const goals = rows.filter((r) => r.met !== undefined).length;
    process.stdout.write(`\n${goals - missed}/${goals} goals met${errors.length ? `; ${errors.length} benchmark(s) failed: ${errors.map((e) => e.bench).join(', ')}` : ''}\n`);
  }
  // A missed goal is a finding, not a failure; a benchmark that crashed is.
  return errors.length ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
