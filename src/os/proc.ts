import { closeSync, openSync, readdirSync, readFileSync, readSync, readlinkSync } from 'node:fs';
import { errnoCode } from './errno.js';

/**
 * A process's identity beyond its pid: its start time since boot (clock
 * ticks, /proc/<pid>/stat field 22) and the boot it belongs to, so a pid the
 * kernel reused for another process is never mistaken for the one recorded.
 * Undefined where there is no /proc (the pid alone is then all we have).
 */
export function processStartTime(pid: number): string | undefined {
  const stat = readStat(pid);
  if (!stat) return undefined;
  return `${bootId()}:${stat.startTime}`;
}

/** True while `pid` runs and is the same process that had `startTime` (when one was recorded). */
export function isSameProcess(pid: number, startTime: string | null | undefined): boolean {
  if (!alive(pid)) return false;
  const state = readStat(pid)?.state;
  if (state === 'Z' || state === 'X') return false; // Dead, not yet reaped by its parent.
  if (!startTime) return true;
  const now = processStartTime(pid);
  return now === undefined || now === startTime;
}

let cachedBoot: string | undefined;
function bootId(): string {
  if (cachedBoot === undefined) {
    try {
      cachedBoot = readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim();
    } catch {
      cachedBoot = 'unknown-boot';
    }
  }
  return cachedBoot;
}

/** Whether a process with this pid exists (EPERM: it does, as another user's). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoCode(err) === 'EPERM';
  }
}

/**
 * SIGKILLs what is left of an agent's process group from a run that died
 * (kill -9 leaves its agents running). The group is killed only when it is
 * provably the one recorded: its leader still has the recorded start time,
 * or the leader is gone and every member started after it (a live group id
 * cannot be handed to a new process). Returns how many processes were killed.
 */
export function killLeftoverGroup(pgid: number, leaderStart: string | null | undefined): number {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return 0; // Without /proc nothing proves the group is ours: leave it.
  }
  const recorded = leaderStart ? Number(leaderStart.slice(leaderStart.lastIndexOf(':') + 1)) : undefined;
  if (!leaderStart?.startsWith(`${bootId()}:`)) return 0; // Recorded before a reboot: long gone.
  const leader = readStat(pgid);
  if (leader && leader.state !== 'Z' && Number(leader.startTime) !== recorded) return 0; // pid reused
  const members: number[] = [];
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (!stat || stat.pgrp !== pgid || stat.state === 'Z' || stat.state === 'X') continue;
    if (recorded !== undefined && Number(stat.startTime) < recorded) return 0; // older than our leader: not ours
    members.push(Number(name));
  }
  if (members.length === 0) return 0;
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    return 0;
  }
  return members.length;
}

/**
 * The variable every agent of a run gets (through createBackends({ env })): the run it
 * belongs to. It marks a killed run's leftovers even when their process
 * group id never reached the journal (killed between spawn and the write).
 */
export const RUN_ENV = 'ORCHESTRATOR_RUN';

/** The environment that marks an agent as `runId`'s: pass it to createBackends({ env }). */
export function runEnv(runId: string): Record<string, string> {
  return { [RUN_ENV]: runId };
}

/** A process's state, parent, process group, session and start time (clock ticks since boot), from /proc/<pid>/stat. */
export interface ProcStat {
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
  startTime: string;
}

/** Reads /proc/<pid>/stat; undefined when the process is gone or there is no /proc. */
export function readStat(pid: number): ProcStat | undefined {
  const bytes = readProcFile(pid, 'stat');
  if (bytes === undefined) return undefined;
  const text = bytes.toString('latin1');
  // After "pid (comm) ": state is field 3; comm may hold spaces and parentheses.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '', ppid: Number(fields[1]), pgrp: Number(fields[2]), session: Number(fields[3]), startTime: fields[19] ?? '' };
}

/** Grown when an environ is larger; one per process, as the scans are synchronous. */
let procBuffer = Buffer.allocUnsafe(64 * 1024);

/**
 * The contents of /proc/<pid>/<name> (stat, environ), read into one shared
 * buffer: the view is valid until the next call. undefined when the process
 * is gone or not ours to read. Scans read thousands of these per task end:
 * readFileSync measured 38 µs a stat file here, this 15 µs (it fstat()s, sizes
 * a fresh buffer and, as /proc reports size 0, reads twice).
 */
export function readProcFile(pid: number, name: string): Buffer | undefined {
  return readProc(`/proc/${pid}/${name}`);
}

function readProc(path: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    let length = 0;
    for (;;) {
      if (length === procBuffer.length) {
        const bigger = Buffer.allocUnsafe(procBuffer.length * 2);
        procBuffer.copy(bigger, 0, 0, length);
        procBuffer = bigger;
      }
      const n = readSync(fd, procBuffer, length, procBuffer.length - length, null);
      if (n === 0) return procBuffer.subarray(0, length);
      length += n;
    }
  } catch {
    return undefined; // Exited while we read.
  } finally {
    closeSync(fd);
  }
}

/**
 * Where the kernel's pid allocation stands: the pid it handed out last in
 * this pid namespace (/proc/loadavg), and how many processes and threads were
 * forked since boot (/proc/stat `processes`). Undefined without /proc.
 */
export interface PidCursor {
  lastPid: number;
  forks: number;
}

export function pidCursor(): PidCursor | undefined {
  const loadavg = readProc('/proc/loadavg')?.toString('latin1');
  const stat = readProc('/proc/stat')?.toString('latin1');
  const lastPid = Number(loadavg?.trim().split(' ')[4]);
  const forks = Number(/^processes (\d+)$/m.exec(stat ?? '')?.[1]);
  return Number.isInteger(lastPid) && Number.isInteger(forks) ? { lastPid, forks } : undefined;
}

let cachedPidMax: number | undefined;
/** /proc/sys/kernel/pid_max: pids are handed out in turn up to it, then from 300 again. */
export function pidMax(): number {
  cachedPidMax ??= Number(readProc('/proc/sys/kernel/pid_max')?.toString('latin1').trim()) || 4_194_304;
  return cachedPidMax;
}

/** Scans /proc for a non-zombie whose process group is `pgid`. */
export function hasLiveMember(pgid: number): boolean {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return true; // No /proc to look in: trust kill(-pgid, 0).
  }
  for (const name of entries) {
    const first = name.charCodeAt(0);
    if (first < 48 || first > 57) continue;
    const stat = readStat(Number(name)); // Undefined: exited while we looked.
    if (stat && stat.pgrp === pgid && stat.state !== 'Z' && stat.state !== 'X') return true;
  }
  return false;
}

/**
 * Pids of live `git` processes working in or below one of `dirs` (their
 * current directory, as git runs with `-C` or from a worktree), from /proc;
 * undefined when there is no /proc to look in. A lock file git left with no
 * such process alive is stale: git removes its own locks on every exit but
 * SIGKILL.
 */
export function gitProcessesIn(dirs: readonly string[]): number[] | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  const found: number[] = [];
  for (const name of entries) {
    const first = name.charCodeAt(0);
    if (first < 48 || first > 57) continue;
    try {
      if (readFileSync(`/proc/${name}/comm`, 'latin1').trim() !== 'git') continue;
      if (readStat(Number(name))?.state === 'Z') continue;
      const cwd = readlinkSync(`/proc/${name}/cwd`);
      if (dirs.some((d) => cwd === d || cwd.startsWith(`${d}/`))) found.push(Number(name));
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return found;
}
