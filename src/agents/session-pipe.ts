import type { ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { stopMarked } from '../os/marked.js';
import { signalGroup, spawnGroup, stopEscaped, stopGroup } from '../os/process-group.js';
import type { RemoteChild } from '../os/spawner.js';
import type { Session, SessionExit, SessionOptions } from './session-base.js';
import { failedSession, spawnErrorReason } from './session-base.js';

/**
 * After the leader has exited and its group is gone, how long to wait for the
 * pipes to close. Only a process that left the group (setsid, `set -m` jobs)
 * can still hold them open; it must not keep the session open forever.
 */
const DRAIN_MS = 1000;

/**
 * A session on pipes: stdout and stderr read to the last byte, stdin /dev/null.
 * Started by `opts.spawner` while it runs (its pid then comes a moment later:
 * `onStart`), else by this process.
 */
export function startPipeSession(opts: SessionOptions, env: Record<string, string>, marker?: string): Session {
  const command = opts.argv[0]!;
  const options = { cwd: opts.cwd, env, ...(marker !== undefined ? { marker } : {}) };
  let child: ChildProcess | RemoteChild;
  try {
    child = opts.spawner !== undefined && opts.spawner.dead === undefined ? opts.spawner.spawn(opts.argv, options) : spawnGroup(opts.argv, options);
  } catch (err) {
    return failedSession(spawnErrorReason(command, err));
  }
  let pid = child.pid;
  // Settles once the pid is known or it is known there will be none: a stop asked before then waits for it.
  const started = new Promise<void>((resolve) => {
    if (pid !== undefined) return resolve();
    child.once('spawn', () => {
      pid = child.pid;
      opts.onStart?.(pid!);
      if (paused) signalGroup(pid!, 'SIGSTOP');
      resolve();
    });
    child.once('error', () => resolve());
  });
  if (pid !== undefined) opts.onStart?.(pid);
  let stopping: Promise<void> | undefined;
  let paused = false;
  let ended = false;
  const stop = (): Promise<void> => (stopping ??= started.then(() => stopGroup(child as ChildProcess, opts.killGraceMs)));
  let stoppingEscaped: Promise<void> | undefined;
  const stopEscapedOnce = (): Promise<void> =>
    (stoppingEscaped ??=
      pid !== undefined ? stopEscaped(pid, opts.killGraceMs)
      // The spawner died before it said whether it started one: the marker finds it if it did.
      : (child as Partial<RemoteChild>).lost !== undefined && marker !== undefined ? stopMarked({ entries: [marker] }, opts.killGraceMs).then(() => undefined)
      : Promise.resolve());
  const onAbort = (): void => void stop();

  const exited = new Promise<SessionExit>((resolve) => {
    let leader: SessionExit | undefined;
    let drainTimer: NodeJS.Timeout | undefined;
    const finish = (exit: SessionExit): void => {
      if (ended) return;
      ended = true;
      clearTimeout(drainTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      // What left the group (setsid, double forks) ends with the task too.
      void stopEscapedOnce().then(() => resolve(exit));
    };
    readText(child.stdout, opts.onData);
    readText(child.stderr, (chunk) => opts.onData(chunk, 'stderr'));
    child.once('error', (err: Error) => {
      // Without a pid the process never started; 'close' follows, but the reason is known now.
      if (pid === undefined) finish({ code: null, signal: null, error: spawnErrorReason(command, err) });
    });
    child.once('exit', (code: number | null, signal: NodeJS.Signals | null) => {
      leader = { code, signal };
      // Whatever the leader left behind in its group is an orphan of a finished process.
      void stop().then(() => {
        if (ended) return;
        drainTimer = setTimeout(() => {
          child.stdout?.destroy();
          child.stderr?.destroy();
          finish(leader!);
        }, DRAIN_MS);
      });
    });
    // 'close', not 'exit': only then has every byte of stdout and stderr been read.
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
      const lost = (child as Partial<RemoteChild>).lost;
      void (stopping ?? Promise.resolve()).then(() => finish(lost !== undefined ? { code: null, signal: null, error: lost } : (leader ?? { code, signal })));
    });
  });

  if (opts.signal?.aborted) void stop();
  else opts.signal?.addEventListener('abort', onAbort, { once: true });

  return {
    get pid() {
      return pid;
    },
    write() {},
    resize() {},
    pause() {
      if (paused || ended || child.exitCode !== null || child.signalCode !== null) return;
      paused = true;
      // Not started yet (the spawner has not answered): it is stopped as soon as its pid is known.
      if (pid !== undefined) signalGroup(pid, 'SIGSTOP');
    },
    resume() {
      if (!paused) return;
      paused = false;
      if (pid !== undefined && !ended && child.exitCode === null && child.signalCode === null) signalGroup(pid, 'SIGCONT');
    },
    stop: () => stop().then(stopEscapedOnce).then(() => (pid === undefined ? exited.then(() => undefined) : undefined)),
    exited,
  };
}

/** Decodes a pipe as UTF-8; setEncoding keeps multibyte characters whole across chunks. */
function readText(stream: Readable | null, onData: (chunk: string) => void): void {
  if (stream === null) return;
  stream.setEncoding('utf8');
  stream.on('data', onData);
}
