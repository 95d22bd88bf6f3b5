import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { errnoCode } from './errno.js';
import { killMarked, stopMarked } from './marked.js';
import type { Marks } from './marked.js';
import { hasLiveMember, pidCursor, readStat } from './proc.js';
import { waitUntil } from './wait-until.js';

/** Where and with what environment a group's leader starts. */
export interface GroupSpawnOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** The `NAME=value` entry of `env` that marks this task's processes (TASK_ENV): see trackGroup. */
  marker?: string;
}

/** How long stopGroup waits, after the final SIGKILL, for the group to vanish. */
const AFTER_KILL_WAIT_MS = 1000;
/** How long stopGroupOf waits for a just-started leader to make its group (setsid). */
const GROUP_FORM_WAIT_MS = 2000;

/**
 * Process groups started by this Node process and not yet known to be gone.
 *
 * This is the module's one piece of shared state, on purpose: the
 * `process.on('exit')` hook that kills every live group when Node exits must
 * see groups started by any backend, and an exit hook cannot be handed an
 * instance from the composition root. Entries are removed when a group ends.
 */
const liveGroups = new Set<number>();

/**
 * What marks each session's processes beyond its group, by leader pid, until
 * the session was stopped: the same exit hook kills what left the group.
 */
const liveMarks = new Map<number, Marks>();

/**
 * Spawns `argv` (never a shell string) as the leader of a new process group,
 * so the whole tree it starts can be paused and killed with one signal.
 * stdin is /dev/null; stdout and stderr are pipes. May throw synchronously on
 * invalid arguments (a NUL byte); spawn failures such as ENOENT arrive as the
 * child's `'error'` event.
 */
export function spawnGroup(argv: readonly string[], options: GroupSpawnOptions): ChildProcess {
  const [command, ...args] = argv;
  if (command === undefined) throw new TypeError('spawnGroup: argv is empty');
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid !== undefined) {
    trackGroup(pid, options.marker);
    child.once('exit', () => forgetGroupIfGone(pid));
  }
  return child;
}

/**
 * Registers a group started elsewhere (a pty's session leader is the leader of
 * its own group), so the exit hook kills it if Node exits while it runs. With
 * `marker` (`TASK_ENV=value`, in the leader's environment) the processes that
 * left the group are remembered too: they are found by it, and by the
 * leader's session (its pid: the leader called setsid), when the group is
 * stopped and by the exit hook.
 */
export function trackGroup(pgid: number, marker?: string): void {
  liveGroups.add(pgid);
  if (marker !== undefined) {
    const leaderStart = readStat(pgid)?.startTime;
    const forks = pidCursor()?.forks;
    liveMarks.set(pgid, { entries: [marker], sessions: [{ pid: pgid, startTime: leaderStart, ...(forks !== undefined ? { forks } : {}) }] });
  }
  installExitHook();
}

/** Drops a group from the registry once no live member is left; call when its leader exited. */
export function forgetGroupIfGone(pgid: number): void {
  if (!isGroupAlive(pgid)) liveGroups.delete(pgid);
}

/** A group leader as stopGroupOf sees it: any process, child_process or pty. */
export interface GroupLeader {
  pid: number;
  /** True once the leader has exited (and been reaped). */
  exited(): boolean;
  /** Resolves when the leader has exited. */
  whenExited: Promise<unknown>;
}

/**
 * Sends `signal` to every process of the group led by `pid`. Returns false when
 * the group no longer exists (ESRCH), which is not an error when stopping.
 */
export function signalGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch (err) {
    if (errnoCode(err) === 'ESRCH') {
      if (signal !== 0) liveGroups.delete(pid);
      return false;
    }
    throw err;
  }
}

/**
 * True while the group still has a process that is not a zombie. Zombies are
 * skipped on Linux because orphans reparented to an init that does not reap
 * (Node as PID 1 in a container) would otherwise look alive forever.
 */
export function isGroupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ESRCH') return false;
    if (code !== 'EPERM') throw err;
  }
  return process.platform === 'linux' ? hasLiveMember(pid) : true;
}

/**
 * Stops a group the polite way, then the sure way: SIGTERM, up to `graceMs`
 * for the group to be gone, then SIGKILL (with SIGCONT so a paused group can
 * act on them). Resolves once the leader has exited and no live member is
 * left, so nothing the task started outlives it.
 */
export async function stopGroup(child: ChildProcess, graceMs: number): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  const exited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  await stopGroupOf({ pid, exited, whenExited: leaderExited(child) }, graceMs);
}

/**
 * Stops, as a group is stopped, every process that left the group led by
 * `pid` but carries its marker or stayed in its session (see trackGroup).
 * Sessions call it once the group was stopped, just before they report the
 * end: kept out of stopGroupOf, whose timing the pty's drain of the last
 * output depends on (measured: inside it, 5 MB bursts lost 13–50 KB under load).
 */
export async function stopEscaped(pid: number, graceMs: number): Promise<void> {
  const marks = liveMarks.get(pid);
  if (marks === undefined) return;
  await stopMarked(marks, graceMs);
  liveMarks.delete(pid);
}

/** stopGroup for any leader: SIGTERM (+SIGCONT), grace, SIGKILL (+SIGCONT), orphans killed, group gone. */
export async function stopGroupOf(leader: GroupLeader, graceMs: number): Promise<void> {
  const { pid } = leader;
  // The common case: the leader exited and took the group with it (spawnGroup's exit
  // listener, registered first, has already checked). Nothing to signal or poll.
  if (leader.exited() && !liveGroups.has(pid)) return;
  // node-pty forks and returns before its child has called setsid(): stopped at once, there is
  // no group to signal yet, and the leader would run on. Measured: 9 of 40 pty sessions stopped
  // right after starting hung until their command ended. Wait for the group to form.
  if (!leader.exited() && !groupExists(pid)) await waitUntil(() => leader.exited() || groupExists(pid), GROUP_FORM_WAIT_MS);
  if (isGroupAlive(pid)) {
    signalGroup(pid, 'SIGTERM');
    signalGroup(pid, 'SIGCONT');
    await waitUntil(() => !isGroupAlive(pid), graceMs);
    if (isGroupAlive(pid)) {
      signalGroup(pid, 'SIGKILL');
      signalGroup(pid, 'SIGCONT');
    }
  }
  await leader.whenExited;
  // Members that survived the leader (or were started while it died) are orphans now.
  if (isGroupAlive(pid)) signalGroup(pid, 'SIGKILL');
  await waitUntil(() => !isGroupAlive(pid), AFTER_KILL_WAIT_MS);
  liveGroups.delete(pid);
}

/**
 * SIGKILLs every group still registered, and what left those groups (one
 * /proc scan for all of them). Runs from `process.on('exit')`, and is
 * exported for fatal-signal handlers, so agents never outlive the engine.
 */
export function killLiveGroups(): void {
  for (const pid of liveGroups) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Already gone, or not ours to kill any more: nothing left to do.
    }
  }
  liveGroups.clear();
  if (liveMarks.size === 0) return;
  const all = [...liveMarks.values()];
  killMarked({ entries: all.flatMap((m) => m.entries), sessions: all.flatMap((m) => m.sessions ?? []) });
  liveMarks.clear();
}

/** The groups currently registered as live, for diagnostics and tests. */
export function liveGroupPids(): number[] {
  return [...liveGroups];
}

function installExitHook(): void {
  if (!process.listeners('exit').includes(killLiveGroups)) process.on('exit', killLiveGroups);
}

function leaderExited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** True when a process group `pgid` exists (zombies included). */
function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return errnoCode(err) === 'EPERM';
  }
}
