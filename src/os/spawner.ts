import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { forgetGroupIfGone, trackGroup } from './process-group.js';
import { CLOSE, DESTROY, EXIT, FAILED, FrameReader, SPAWN, STARTED, STDERR, STDOUT, encodeSpawn, frame } from './spawner-protocol.js';

/**
 * The helper, next to this module (dist/src/os/, or dist/bundle/): the C one
 * when the build could compile it (scripts/build-spawner.js), else the Node
 * script. Neither exists beside the TypeScript sources (tests pass `file`).
 */
function defaultFile(): string {
  const native = fileURLToPath(new URL('./orchestrator-spawner', import.meta.url));
  return existsSync(native) ? native : fileURLToPath(new URL('./spawner-child.js', import.meta.url));
}

/** What the orchestrator knows of a process the spawner started: the ChildProcess fields a pipe session uses. */
export class RemoteChild extends EventEmitter {
  /** The group leader's pid; undefined until the spawner said it started ('spawn'). */
  pid: number | undefined;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  /** Set when the spawner died under this process: why, for the task's reason. */
  lost: string | undefined;
  readonly stdout: Readable;
  readonly stderr: Readable;

  constructor(destroy: () => void) {
    super();
    // Destroying either (a session's drain giving up) makes the spawner let go of both pipes.
    const stream = (): Readable => new Readable({ read() {}, destroy: (err, cb) => (destroy(), cb(err)) });
    this.stdout = stream();
    this.stderr = stream();
  }
}

/**
 * A small long-lived process that starts the run's task processes, so the
 * orchestrator never forks itself.
 *
 * Why: Node's spawn forks the whole calling process on its main thread and
 * waits for the exec, and a fork costs more the bigger the process
 * (BENCHMARKS.md, shell: 1.3 ms at 63 MB, 4.0 ms at 818 MB; 81% of a
 * 1,000-task run). The dashboard, xterm screens and SQLite make the
 * orchestrator big; the helper stays small, and starts run on the other core
 * while the orchestrator schedules.
 *
 * Two helpers speak the same frames. spawner.c, used when the build could
 * compile it, calls posix_spawn: glibc starts the child with
 * clone(CLONE_VM | CLONE_VFORK), copying no page table at all (90 µs of its
 * CPU a start, 1.5 MB). spawner-child.ts, a bare Node, is the fallback: its
 * own spawn still forks ~70 MB (0.8 ms a start), which takes the cost off the
 * orchestrator's thread but left a 1,000-task run at 3.7–5.3× make, against
 * 2.6× with the C one (BENCHMARKS.md, spawner).
 *
 * Process groups, signals and the /proc marker scans stay the orchestrator's:
 * each leader calls setsid, so process.kill(-pgid) reaches its group from
 * here as it does for an in-process spawn. Ptys stay in-process: relaying a
 * terminal costs a copy of every byte and a round trip per key, and moves
 * the lost-tail guard (session-pty.ts); their start did not grow with RSS here.
 */
export class Spawner {
  private readonly children = new Map<number, RemoteChild>();
  private nextId = 1;
  private deathReason: string | undefined;
  private stderrTail = '';
  private corked = false;

  private constructor(
    private readonly proc: ChildProcess,
    private readonly channel: Socket,
  ) {
    const reader = new FrameReader((kind, id, payload) => this.onFrame(kind, id, payload));
    channel.on('data', (chunk: Buffer) => reader.push(chunk));
    channel.on('error', () => {
      // Reported through 'exit' below, with the reason.
    });
    proc.stderr?.setEncoding('utf8');
    proc.stderr?.on('data', (text: string) => (this.stderrTail = (this.stderrTail + text).slice(-500)));
    proc.once('exit', (code, signal) => this.died(signal !== null ? `killed by ${signal}` : `exit code ${code}`));
    proc.once('error', (err) => this.died(err.message));
    // Only a task in flight keeps this process alive (the channel, while it is ref'd), never the spawner itself.
    proc.unref();
    (proc.stderr as Socket | null)?.unref();
    this.idle();
  }

  /** Starts the spawner process: `file` is the helper, a `.js` script run by Node or an executable (default: defaultFile). */
  static start(file: string = defaultFile()): Spawner {
    if (!existsSync(file)) throw new Error(`the spawner ${file} does not exist: run npm run build`);
    // spawn, not fork: none of our Node flags (--cpu-prof, --experimental-vm-modules…), a bare Node.
    const [command, args] = file.endsWith('.js') ? [process.execPath, [file]] : [file, []];
    const proc = spawn(command, args, {
      // Its own session: Ctrl-C at the terminal reaches the orchestrator, which stops the tasks, not the spawner.
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    });
    return new Spawner(proc, proc.stdio[3] as Socket);
  }

  /** Why the spawner is gone (then spawn must not be called), or undefined while it runs. */
  get dead(): string | undefined {
    return this.deathReason;
  }

  /** The spawner's pid, for tests and diagnostics. */
  get pid(): number | undefined {
    return this.proc.pid;
  }

  /**
   * Asks for `argv` to start as a new group's leader, stdin /dev/null, stdout
   * and stderr relayed. The pid comes later ('spawn'); a failure to start is
   * an 'error' with the errno `code`, as child_process reports it.
   */
  spawn(argv: readonly string[], opts: { cwd: string; env: NodeJS.ProcessEnv; marker?: string }): RemoteChild {
    const id = this.nextId++;
    const child = new RemoteChild(() => {
      if (this.deathReason === undefined && this.children.has(id)) this.channel.write(frame(DESTROY, id));
    });
    child.on('spawn', () => trackGroup(child.pid!, opts.marker));
    child.on('exit', () => child.pid !== undefined && forgetGroupIfGone(child.pid));
    if (this.deathReason !== undefined) {
      queueMicrotask(() => this.lose(child, this.deathReason!));
      return child;
    }
    this.children.set(id, child);
    this.channel.ref();
    // Requests of one turn of the event loop (tasks freed by one batch of exits) go in one write(2).
    if (!this.corked) {
      this.corked = true;
      this.channel.cork();
      process.nextTick(() => {
        this.corked = false;
        this.channel.uncork();
      });
    }
    this.channel.write(frame(SPAWN, id, encodeSpawn({ argv, cwd: opts.cwd, env: opts.env })));
    return child;
  }

  /**
   * Ends the spawner (it exits when its channel closes, killing any group
   * still running) and resolves once it has exited, so nothing of the run
   * outlives it.
   */
  close(): Promise<void> {
    if (this.deathReason !== undefined) return Promise.resolve();
    const exited = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    // Waited for: without a ref, Node could exit first, leaving the promise unsettled.
    this.proc.ref();
    this.channel.end();
    return exited;
  }

  private onFrame(kind: number, id: number, payload: Buffer): void {
    const child = this.children.get(id);
    if (child === undefined) return;
    switch (kind) {
      case STDOUT:
        child.stdout.push(payload);
        return;
      case STDERR:
        child.stderr.push(payload);
        return;
      case STARTED:
        child.pid = (JSON.parse(payload.toString('utf8')) as { pid: number }).pid;
        child.emit('spawn');
        return;
      case FAILED: {
        const { code, message } = JSON.parse(payload.toString('utf8')) as { code?: string; message: string };
        child.emit('error', Object.assign(new Error(message), code !== undefined ? { code } : {}));
        return;
      }
      case EXIT:
      case CLOSE: {
        const { code, signal } = JSON.parse(payload.toString('utf8')) as { code: number | null; signal: NodeJS.Signals | null };
        if (kind === EXIT) {
          child.exitCode = code;
          child.signalCode = signal;
          child.emit('exit', code, signal);
        } else {
          this.children.delete(id);
          this.idle();
          endThen(child, () => child.emit('close', code, signal));
        }
      }
    }
  }

  /** While no child is in flight the channel must not keep the orchestrator's event loop alive. */
  private idle(): void {
    if (this.children.size === 0) this.channel.unref();
  }

  private died(how: string): void {
    if (this.deathReason !== undefined) return;
    const said = this.stderrTail.trim().split('\n').at(-1);
    this.deathReason = `the spawner process died (${how}${said ? `: ${said}` : ''})`;
    for (const child of this.children.values()) this.lose(child, this.deathReason);
    this.children.clear();
    this.channel.destroy();
  }

  /**
   * A child whose spawner died: its output can no longer arrive and its exit
   * cannot be learnt. Its group is killed here (the session then waits for it
   * to be gone, and stops what left it by its marker), and it ends as lost.
   */
  private lose(child: RemoteChild, reason: string): void {
    child.lost = reason;
    if (child.pid === undefined) {
      child.emit('error', Object.assign(new Error(reason), { code: 'ESPAWNER' }));
    } else if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
      child.signalCode = 'SIGKILL';
      child.emit('exit', null, 'SIGKILL');
    }
    endThen(child, () => child.emit('close', child.exitCode, child.signalCode));
  }
}

/** Ends both streams, then `then` once each has delivered its last byte (as a ChildProcess's 'close' follows its pipes'). */
function endThen(child: RemoteChild, then: () => void): void {
  let open = 2;
  for (const stream of [child.stdout, child.stderr]) {
    if (stream.readableEnded || stream.destroyed) open--;
    else {
      stream.once('end', () => --open === 0 && then());
      stream.once('close', () => stream.readableEnded || (--open === 0 && then()));
      stream.push(null);
    }
  }
  if (open === 0) then();
}
