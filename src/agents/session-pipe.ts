import type { ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { signalGroup, spawnGroup, stopEscaped, stopGroup } from '../os/process-group.js';
import type { Session, SessionExit, SessionOptions } from './session-base.js';
import { failedSession, spawnErrorReason } from './session-base.js';

/**
 * After the leader has exited and its group is gone, how long to wait for the
 * pipes to close. Only a process that left the group (setsid, `set -m` jobs)
 * can still hold them open; it must not keep the session open forever.
 */
const DRAIN_MS = 1000;

/** A session on pipes: stdout and stderr read to the last byte, stdin /dev/null. */
export function startPipeSession(opts: SessionOptions, env: Record<string, string>, marker?: string): Session {
  const command = opts.argv[0]!;
  let child: ChildProcess;
  try {
    child = spawnGroup(opts.argv, { cwd: opts.cwd, env, ...(marker !== undefined ? { marker } : {}) });
  } catch (err) {
    return failedSession(spawnErrorReason(command, err));
  }
  const pid = child.pid;
  let stopping: Promise<void> | undefined;
  let paused = false;
  let ended = false;
  const stop = (): Promise<void> => (stopping ??= stopGroup(child, opts.killGraceMs));
  let stoppingEscaped: Promise<void> | undefined;
  const stopEscapedOnce = (): Promise<void> => (stoppingEscaped ??= pid === undefined ? Promise.resolve() : stopEscaped(pid, opts.killGraceMs));
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
    child.once('error', (err) => {
      // Without a pid the process never started; 'close' follows, but the reason is known now.
      if (pid === undefined) finish({ code: null, signal: null, error: spawnErrorReason(command, err) });
    });
    child.once('exit', (code, signal) => {
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
    child.once('close', (code, signal) => {
      void (stopping ?? Promise.resolve()).then(() => finish(leader ?? { code, signal }));
    });
  });

  if (opts.signal?.aborted) void stop();
  else opts.signal?.addEventListener('abort', onAbort, { once: true });

  return {
    pid,
    write() {},
    resize() {},
    pause() {
      if (pid === undefined || paused || ended || child.exitCode !== null || child.signalCode !== null) return;
      paused = true;
      signalGroup(pid, 'SIGSTOP');
    },
    resume() {
      if (pid === undefined || !paused) return;
      paused = false;
      if (!ended && child.exitCode === null && child.signalCode === null) signalGroup(pid, 'SIGCONT');
    },
    stop: () => (pid === undefined ? exited.then(() => undefined) : stop().then(stopEscapedOnce)),
    exited,
  };
}

/** Decodes a pipe as UTF-8; setEncoding keeps multibyte characters whole across chunks. */
function readText(stream: Readable | null, onData: (chunk: string) => void): void {
  if (stream === null) return;
  stream.setEncoding('utf8');
  stream.on('data', onData);
}
