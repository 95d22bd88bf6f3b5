import { readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import type { BackendContext } from '../../src/agents/backend.js';
import type { ProviderConfig } from '../../src/config/schema.js';

/** A context for one shell task, with its output collected and an abort handle. */
export interface TestRun {
  ctx: BackendContext;
  controller: AbortController;
  chunks: string[];
  text(): string;
}

export function shellRun(prompt: string, overrides: Partial<BackendContext> = {}, provider: Partial<ProviderConfig> = {}): TestRun {
  const controller = new AbortController();
  const chunks: string[] = [];
  const ctx: BackendContext = {
    task: { id: 't1', agent: 'sh', prompt, dependsOn: [], writes: [], failureMode: 'hard', retries: 0, followUps: true },
    roleName: 'sh',
    role: { provider: 'shell' },
    providerName: 'shell',
    provider: { type: 'shell', command: '/bin/sh', args: [], env: {}, ...provider },
    workspace: { cwd: tmpdir() },
    attempt: 1,
    signal: controller.signal,
    killGraceMs: 300,
    cols: 80,
    rows: 24,
    output: (chunk) => chunks.push(chunk),
    report: () => {},
    ...overrides,
  };
  return { ctx, controller, chunks, text: () => chunks.join('') };
}

/** Resolves once `condition` holds; rejects after `timeoutMs` so a broken test fails instead of hanging. */
export async function waitFor(condition: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface PsRow {
  pid: number;
  ppid: number;
  pgid: number;
  stat: string;
}

/** Every process in the process group `pgid`, zombies included, as `ps` sees it. */
export function groupMembers(pgid: number): PsRow[] {
  const out = execFileSync('ps', ['-eo', 'pid=,ppid=,pgid=,stat='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length === 4)
    .map(([pid, ppid, pgid, stat]) => ({ pid: Number(pid), ppid: Number(ppid), pgid: Number(pgid), stat: stat! }))
    .filter((row) => row.pgid === pgid);
}

/** Members that still run (or are stopped): anything but a zombie. */
export function liveMembers(pgid: number): PsRow[] {
  return groupMembers(pgid).filter((row) => !row.stat.startsWith('Z'));
}

/** The status letters `ps` shows for one pid, or '' when no such process exists. */
export function psStat(pid: number): string {
  try {
    return execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).trim();
  } catch {
    return ''; // ps exits 1 when the pid does not exist.
  }
}

/** True when kill(-pgid, 0) finds no process at all (zombies count as processes here). */
export function groupGoneForKernel(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

export interface ProcRow { pid: number; state: string; ppid: number }

/** Every process whose process group is `pgid`, zombies included, read from /proc. */
export function groupProcs(pgid: number): ProcRow[] {
  const rows: ProcRow[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'latin1');
    } catch {
      continue;
    }
    const [state, ppid, pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid) rows.push({ pid: Number(name), state: state!, ppid: Number(ppid) });
  }
  return rows;
}
