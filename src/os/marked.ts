import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { setImmediate } from 'node:timers/promises';
import { RUN_ENV, pidCursor, pidMax, readProcFile, readStat } from './proc.js';
import { waitUntil } from './wait-until.js';

/**
 * The variable that marks one attempt's processes: every session sets it for
 * its agent, and everything the agent starts inherits it, including what left
 * the agent's process group (setsid, double forks, Codex's
 * `app-server --managed-daemon`). See docs/architecture.md §5.
 *
 * A marker, not a child subreaper: prctl(PR_SET_CHILD_SUBREAPER) would need a
 * native addon in the orchestrator, would re-parent orphans to the
 * orchestrator rather than to their task (no help at a task's end), and would
 * leave their zombies to a hand-written waitpid racing libuv's and node-pty's
 * own. A PID namespace needs privileges many machines withhold.
 */
export const TASK_ENV = 'ORCHESTRATOR_TASK';

/**
 * A marker value for one session: `label` says whose it is to a person
 * reading `ps e` (`<run>/<task>/<attempt>`); the random part makes it unique,
 * so two tasks, runs or test workers with the same label never share one.
 */
export function taskMarker(label: string): string {
  return `${label}/${randomUUID()}`;
}

/** A session an agent's leader started (pty and pipe sessions both call setsid): its id is the leader's pid. */
export interface SessionMark {
  pid: number;
  /** The leader's start time (/proc stat field 22, clock ticks); unknown: the session is matched by the marker alone. */
  startTime: string | undefined;
  /** The kernel's fork count (PidCursor.forks) just after the leader started: lets a scan read only the pids handed out since. */
  forks?: number;
}

/** Which processes belong to a task (or a run): any that carries one of `entries` in its environment, or lives in one of `sessions`. */
export interface Marks {
  /** Whole environment entries, `NAME=value`. */
  entries: readonly string[];
  /**
   * The sessions of the leaders whose processes carry `entries`. Catches
   * what scrubbed its environment (`env -i`) but only changed its process
   * group, not its session; a process that did both is found by neither.
   * Every marked process starts after its leader, so older ones are skipped.
   */
  sessions?: readonly SessionMark[];
}

/** A marked process as found: enough to signal it and to tell it from a later process with the same pid. */
export interface MarkedProcess {
  pid: number;
  pgrp: number;
  startTime: string;
}

/**
 * Every live process (zombies skipped) that `marks` say belongs to the task,
 * never this process. One pass over /proc: a stat read per process, and an
 * environ read per process young enough to be the task's (see
 * docs/architecture.md §5 for the measured cost). Empty where there is no /proc.
 */
export function findMarked(marks: Marks): MarkedProcess[] {
  const names = procEntries();
  const match = matcher(marks);
  const found: MarkedProcess[] = [];
  for (const name of names) {
    const p = match(name);
    if (p) found.push(p);
  }
  return found;
}

/** findMarked that lets the event loop run every SLICE processes: among thousands, a scan takes tens of milliseconds. */
export async function findMarkedSliced(marks: Marks): Promise<MarkedProcess[]> {
  const names = procEntries();
  const match = matcher(marks);
  const found: MarkedProcess[] = [];
  for (let i = 0; i < names.length; i++) {
    if (i > 0 && i % SLICE === 0) await setImmediate();
    const p = match(names[i]!);
    if (p) found.push(p);
  }
  return found;
}

/**
 * Stops every process `marks` find as a process group is stopped: SIGTERM
 * (with SIGCONT, so a stopped one can act on it), up to `graceMs` for them to
 * go, then SIGKILL, and again for any started meanwhile. A marked process
 * leading its own group (a daemon after setsid) is signalled with its group.
 * Resolves with how many it found; nothing of another task or run is touched,
 * as no other carries the same marker.
 */
export async function stopMarked(marks: Marks, graceMs: number): Promise<number> {
  let found = await findMarkedSliced(marks);
  if (found.length === 0) return 0;
  const seen = new Set(found.map((p) => p.pid));
  signalAll(found, 'SIGTERM');
  signalAll(found, 'SIGCONT');
  await waitUntil(() => found.every(gone), graceMs);
  for (let round = 0; round < KILL_ROUNDS; round++) {
    // Looked for again, not only the survivors: one may have forked while it handled SIGTERM.
    found = await findMarkedSliced(marks);
    if (found.length === 0) break;
    for (const p of found) seen.add(p.pid);
    signalAll(found, 'SIGKILL');
    await waitUntil(() => found.every(gone), AFTER_KILL_WAIT_MS);
  }
  return seen.size;
}

/** SIGKILLs every process `marks` find, at once; for exit hooks and a dead run's leftovers. Returns how many it found. */
export function killMarked(marks: Marks): number {
  const seen = new Set<number>();
  for (let round = 0; round < KILL_ROUNDS; round++) {
    const found = findMarked(marks);
    if (found.length === 0) break;
    for (const p of found) seen.add(p.pid);
    signalAll(found, 'SIGKILL');
  }
  return seen.size;
}

/**
 * SIGKILLs every process (and its group) whose environment says it belongs
 * to `runId`, except this process: what a killed orchestrator left behind,
 * found at the next run or resume. Returns how many it found.
 */
export function killRunProcesses(runId: string): number {
  return killMarked({ entries: [`${RUN_ENV}=${runId}`] });
}

/** Processes read between two turns of the event loop in findMarkedSliced. */
const SLICE = 256;
/** Rounds of find-and-kill: a marked process may fork between a scan and its SIGKILL. */
const KILL_ROUNDS = 3;
/** How long to wait for SIGKILLed processes to be gone before looking again. */
const AFTER_KILL_WAIT_MS = 1000;

function procEntries(): string[] {
  try {
    return readdirSync('/proc');
  } catch {
    return [];
  }
}

/**
 * Decides for one /proc entry whether it is a marked process. Every marked
 * process descends from one of the sessions' leaders, so one that started
 * before the earliest of them is skipped before its environ is read, and,
 * when each session knows the fork count at its start, one whose pid was
 * handed out before its leader's is skipped before even its stat is read
 * (see newPids: at a task's end most of the machine's processes are older).
 */
function matcher(marks: Marks): (name: string) => MarkedProcess | undefined {
  const young = newPids(marks.sessions ?? []);
  // An entry ends with NUL; the one before it (or the start of environ) is checked at each hit.
  const needles = marks.entries.map((e) => Buffer.from(`${e}\0`, 'utf8'));
  const sessions = new Set((marks.sessions ?? []).filter(stillOurs).map((s) => s.pid));
  const starts = (marks.sessions ?? []).map((s) => (s.startTime === undefined ? NaN : Number(s.startTime)));
  const earliest = starts.length > 0 && starts.every(Number.isFinite) ? Math.min(...starts) : 0;
  return (name) => {
    const first = name.charCodeAt(0);
    if (first < 48 || first > 57) return undefined;
    const pid = Number(name);
    if (pid === process.pid || (young !== undefined && !young(pid))) return undefined;
    const stat = readStat(pid);
    if (!stat || stat.state === 'Z' || stat.state === 'X') return undefined;
    const ours = sessions.has(stat.session) || (needles.length > 0 && Number(stat.startTime) >= earliest && carries(pid, needles));
    return ours ? { pid, pgrp: stat.pgrp, startTime: stat.startTime } : undefined;
  };
}

/**
 * Which pids were handed out since the sessions' leaders started, or
 * undefined when that cannot be told (then every pid is read). The kernel
 * hands pids out in turn, wrapping at pid_max, so those given since leader L
 * are the ones after L up to the last one given, P (read after /proc was
 * listed, so everything listed is covered), unless the turn came round past
 * L again. It cannot have while fewer than pid_max / 2 forks happened since:
 * that would take over half of all pids in use at once, a machine out of
 * pids. Reading only the /proc/<pid>/stat of new pids is what makes a
 * task's end cheap (docs/architecture.md §5).
 */
function newPids(sessions: readonly SessionMark[]): ((pid: number) => boolean) | undefined {
  if (sessions.length === 0 || sessions.some((s) => s.forks === undefined)) return undefined;
  const now = pidCursor();
  if (now === undefined) return undefined;
  const windows: [number, number][] = [];
  for (const s of sessions) {
    if (now.forks - s.forks! >= pidMax() / 2) return undefined;
    windows.push([s.pid, now.lastPid]);
  }
  return (pid) => windows.some(([after, last]) => (after <= last ? pid > after && pid <= last : pid > after || pid <= last));
}

function carries(pid: number, needles: readonly Buffer[]): boolean {
  // Undefined: gone, or not ours to read (another user's process is not ours to stop either).
  const environ = readProcFile(pid, 'environ');
  if (environ === undefined) return false;
  for (const needle of needles) {
    for (let at = environ.indexOf(needle); at !== -1; at = environ.indexOf(needle, at + 1)) {
      if (at === 0 || environ[at - 1] === 0) return true;
    }
  }
  return false;
}

/**
 * A session id is a pid, which the kernel does not hand out again while the
 * session has a member. So the session is still the agent's unless its
 * leader's pid now belongs to a process that started at another time.
 */
function stillOurs(session: SessionMark): boolean {
  if (session.startTime === undefined) return false;
  const leader = readStat(session.pid);
  return leader === undefined || leader.startTime === session.startTime;
}

/** True once `p` exited (a zombie counts) or its pid belongs to a process that started later. */
function gone(p: MarkedProcess): boolean {
  const now = readStat(p.pid);
  return now === undefined || now.state === 'Z' || now.state === 'X' || now.startTime !== p.startTime;
}

function signalAll(found: readonly MarkedProcess[], signal: NodeJS.Signals): void {
  for (const p of found) {
    // Checked just before: a pid reused since the scan is another process (no pidfd in Node to rule out the last microseconds).
    if (gone(p)) continue;
    for (const target of p.pgrp === p.pid ? [-p.pid, p.pid] : [p.pid]) {
      try {
        process.kill(target, signal);
      } catch {
        // Already gone.
      }
    }
  }
}
