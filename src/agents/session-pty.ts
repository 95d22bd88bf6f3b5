import pty from 'node-pty';
import type { IPty } from 'node-pty';
import { readSync } from 'node:fs';
import type { Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { errnoCode } from '../os/errno.js';
import { forgetGroupIfGone, isGroupAlive, signalGroup, stopEscaped, stopGroupOf, trackGroup } from '../os/process-group.js';
import type { Session, SessionExit, SessionOptions } from './session-base.js';
import { failedSession, signalName, spawnErrorReason } from './session-base.js';

/**
 * After the leader exited and its group is gone, how long the terminal may
 * stay silent before it is closed: only a process that left the session
 * (setsid) can still hold it open, and it must not keep the session open.
 */
const DRAIN_IDLE_MS = 1000;

/**
 * The longest the drain waits for that quiet after the group was stopped: an
 * escaped process that keeps writing would otherwise keep the session open forever.
 */
const DRAIN_DEADLINE_MS = 2 * DRAIN_IDLE_MS;

/**
 * A session in a pseudo-terminal. node-pty's child calls setsid(), so it leads
 * its own session and process group (pid = pgid) and the pty is its controlling
 * terminal: resize() delivers SIGWINCH, and the group can be stopped as one.
 */
export function startPtySession(opts: SessionOptions, env: Record<string, string>, marker?: string): Session {
  const command = opts.argv[0]!;
  let term: IPty;
  try {
    term = pty.spawn(command, opts.argv.slice(1), {
      name: 'xterm-256color',
      cols: opts.cols,
      rows: opts.rows,
      cwd: opts.cwd,
      env,
      // Bytes, decoded here: the drain below reads the terminal past node-pty's stream,
      // and one decoder for both keeps a character split between them whole.
      encoding: null,
    });
  } catch (err) {
    return failedSession(spawnErrorReason(command, err));
  }
  const pid = term.pid;
  trackGroup(pid, marker);
  opts.onStart?.(pid);
  const decoder = new StringDecoder('utf8');
  let leaderDone = false;
  let ended = false;
  let paused = false;
  let stopping: Promise<void> | undefined;
  let lastData = Date.now();
  let resolveLeader!: () => void;
  const whenLeaderExited = new Promise<void>((r) => (resolveLeader = r));
  const leaderExited = (): void => {
    if (leaderDone) return;
    leaderDone = true;
    resolveLeader();
  };
  const stop = (): Promise<void> =>
    (stopping ??= stopGroupOf({ pid, exited: () => leaderDone, whenExited: whenLeaderExited }, opts.killGraceMs));
  let stoppingEscaped: Promise<void> | undefined;
  const stopEscapedOnce = (): Promise<void> => (stoppingEscaped ??= stopEscaped(pid, opts.killGraceMs));
  const onAbort = (): void => void stop();
  const deliver = (bytes: Buffer | string): void => {
    lastData = Date.now();
    const text = typeof bytes === 'string' ? bytes : decoder.write(bytes);
    if (text !== '') opts.onData(text);
  };

  term.onData(deliver);
  guardTheTail(term, deliver, () => {
    // node-pty learnt that the leader exited, but the terminal is still open: members of
    // the group (or an escaped process) hold it. Stop the group, then wait for the
    // terminal to go quiet (or the deadline) before it is closed.
    leaderExited();
    return stop().then(() => waitIdle(() => lastData, () => ended, Date.now() + DRAIN_DEADLINE_MS));
  });

  const exited = new Promise<SessionExit>((resolve) => {
    // node-pty emits exit once its socket closed, which guardTheTail delays until drained.
    term.onExit(({ exitCode, signal }) => {
      leaderExited();
      const sig = signalName(signal);
      const exit: SessionExit = sig !== null ? { code: null, signal: sig } : { code: exitCode, signal: null };
      const rest = decoder.end();
      if (rest !== '') opts.onData(rest);
      // Whatever the leader left behind in its group is an orphan of a finished process.
      void stop()
        .then(() => {
          ended = true;
          forgetGroupIfGone(pid);
          opts.signal?.removeEventListener('abort', onAbort);
          // What left the group (setsid, double forks) ends with the task too.
          return stopEscapedOnce();
        })
        .then(() => resolve(exit));
    });
  });

  if (opts.signal?.aborted) void stop();
  else opts.signal?.addEventListener('abort', onAbort, { once: true });

  return {
    pid,
    write(data) {
      if (!ended && !leaderDone) term.write(data);
    },
    resize(cols, rows) {
      if (ended || leaderDone || !(cols > 0 && rows > 0)) return;
      try {
        term.resize(Math.floor(cols), Math.floor(rows));
      } catch {
        // The terminal closed between the check and the call: nothing to resize.
      }
    },
    pause() {
      if (paused || ended || leaderDone || !isGroupAlive(pid)) return;
      paused = true;
      signalGroup(pid, 'SIGSTOP');
    },
    resume() {
      if (!paused) return;
      paused = false;
      if (!ended) signalGroup(pid, 'SIGCONT');
    },
    stop: () => stop().then(stopEscapedOnce),
    exited,
  };
}

type DrainResult = 'hangup' | 'open' | 'closed';

/**
 * Makes sure the terminal is read to its end before node-pty closes it. Two
 * things drop the tail of fast output at exit (upstream issue #72), both seen
 * here: libuv reports end-of-file as soon as the terminal hangs up after a
 * short read, while the kernel still holds output (measured: ~12 KB of
 * `seq 1 200000`, every run); and node-pty destroys the socket 200 ms after the
 * leader exits if it has not closed by then. On either, this reads the master
 * directly until the kernel says EIO (hung up and empty). If a process still
 * holds the terminal open, `whenOpen` runs first (stop the group, wait for
 * quiet). If node-pty's internals change (no `_socket`), its own behaviour stays.
 */
function guardTheTail(term: IPty, deliver: (bytes: Buffer) => void, whenOpen: () => Promise<void>): void {
  const socket = (term as unknown as { _socket?: Socket })._socket;
  const fd = (term as unknown as { _fd?: number })._fd;
  if (socket === undefined || typeof socket.destroy !== 'function' || typeof fd !== 'number') return;
  const buffer = Buffer.allocUnsafe(64 * 1024);
  const drain = (): DrainResult => {
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buffer, 0, buffer.length, null);
      } catch (err) {
        const code = errnoCode(err);
        return code === 'EAGAIN' ? 'open' : code === 'EBADF' ? 'closed' : 'hangup';
      }
      if (n === 0) return 'hangup';
      deliver(Buffer.from(buffer.subarray(0, n)));
    }
  };
  let hungUp = false;
  // Listeners run in order: node-pty's data listener has delivered everything libuv read.
  socket.on('end', () => {
    if (!socket.destroyed) hungUp = drain() !== 'open';
  });
  const destroy = socket.destroy.bind(socket);
  let deferred = false;
  socket.destroy = ((err?: Error) => {
    if (socket.destroyed || hungUp || deferred) return destroy(err);
    const state = drain();
    if (state !== 'open') {
      hungUp = true;
      return destroy(err);
    }
    deferred = true;
    void whenOpen().then(() => {
      drain();
      if (!socket.destroyed) destroy(err);
    });
    return socket;
  }) as Socket['destroy'];
}

/** Resolves once no data arrived for DRAIN_IDLE_MS, the session ended, or `deadline` (epoch ms) passed. */
async function waitIdle(lastData: () => number, ended: () => boolean, deadline: number): Promise<void> {
  for (;;) {
    if (ended()) return;
    const now = Date.now();
    const idle = now - lastData();
    if (idle >= DRAIN_IDLE_MS || now >= deadline) return;
    await new Promise((r) => setTimeout(r, Math.min(DRAIN_IDLE_MS - idle, deadline - now)));
  }
}
