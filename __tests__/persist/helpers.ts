import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { runCli } from '../helpers/cli.js';
import type { CliResult } from '../helpers/cli.js';

export { BIN, ROOT, requireBuild } from '../helpers/cli.js';
export type { CliResult } from '../helpers/cli.js';

/** The real binary in `cwd`, its home there too; `killAfterMs` SIGKILLs it that long after it started (a crash). */
export function cli(cwd: string, args: string[], opts: { killAfterMs?: number; env?: Record<string, string> } = {}): Promise<CliResult> & { child: ChildProcess } {
  return runCli(args, { cwd, ...opts });
}

/** mulberry32, the benchmarks' seeded PRNG: a failing trial can be replayed from its seed. */
export { prng } from '../../bench/dag.js';

/** Resolves once `cond` holds, polling; rejects naming `what` when `ms` pass first. */
export async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** How many live processes are in process group `pgid` (from /proc; 0 where there is none). */
export function groupSize(pgid: number): number {
  let n = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Fields after the command's closing parenthesis: state, ppid, pgrp.
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z') n++;
    } catch {
      // It exited while we looked.
    }
  }
  return n;
}
