import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { Backend, BackendContext, BackendOutcome, Execution } from './backend.js';
import { OutputTail } from './output-tail.js';
import { signalGroup, spawnGroup, stopGroup } from './process-group.js';

/** Lines and characters of output that make a successful task's result. */
const RESULT_LINES = 20;
const RESULT_CHARS = 4096;
/** Lines and characters of output quoted in a failure reason. */
const REASON_LINES = 5;
const REASON_CHARS = 1024;
/**
 * After the leader has exited and its group is gone, how long to wait for the
 * pipes to close. Only a process that left the group (setsid, `set -m` jobs)
 * can still hold them open; it must not keep the task running forever.
 */
const DRAIN_MS = 1000;

/**
 * The `shell` provider: the task's prompt is a shell script, run as
 * `[command, ...args, '-c', prompt]` in its own process group, so it can be
 * paused and killed as a whole and its output is read to the last byte.
 */
export function createShellBackend(): Backend {
  return { start: startShell };
}

function startShell(ctx: BackendContext): Execution {
  if (ctx.signal.aborted) return settled({ ok: false, reason: abortReason(ctx.signal) });
  const { command } = ctx.provider;
  let child: ChildProcess;
  try {
    child = spawnGroup([command, ...ctx.provider.args, '-c', ctx.task.prompt], {
      cwd: ctx.workdir,
      // Node copies the environment for the child anyway; merge only when there is something to add.
      env: Object.keys(ctx.provider.env).length ? { ...process.env, ...ctx.provider.env } : process.env,
    });
  } catch (err) {
    return settled({ ok: false, reason: cannotStart(command, err, ctx.workdir) });
  }
  const pid = child.pid;
  const tail = new OutputTail(RESULT_LINES, RESULT_CHARS);
  let leader: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let spawnError: unknown;
  let abortedWith: string | undefined;
  let stopping: Promise<void> | undefined;
  let paused = false;
  let finished = false;
  let drainTimer: NodeJS.Timeout | undefined;

  const outcome = (): BackendOutcome => {
    if (spawnError !== undefined) return { ok: false, reason: cannotStart(command, spawnError, ctx.workdir) };
    if (abortedWith !== undefined) return { ok: false, reason: abortedWith };
    if (leader?.code === 0) return { ok: true, result: tail.text(RESULT_LINES, RESULT_CHARS) };
    const last = tail.text(REASON_LINES, REASON_CHARS);
    const head =
      leader === undefined ? 'ended without an exit status'
      : leader.code !== null ? `exit code ${leader.code}`
      : `killed by ${leader.signal ?? 'an unknown signal'}`;
    const reason = last === '' ? head : `${head}: ${last}`;
    return leader !== undefined && leader.code !== null ? { ok: false, reason, exitCode: leader.code } : { ok: false, reason };
  };

  const stop = (): Promise<void> => (stopping ??= stopGroup(child, ctx.killGraceMs));

  const done = new Promise<BackendOutcome>((resolve) => {
    const finish = (): void => {
      if (finished) return;
      finished = true;
      ctx.signal.removeEventListener('abort', onAbort);
      clearTimeout(drainTimer);
      resolve(outcome());
    };
    const onAbort = (): void => {
      if (leader !== undefined || finished) return;
      abortedWith = abortReason(ctx.signal);
      void stop();
    };
    const onData = (chunk: string): void => {
      tail.push(chunk);
      ctx.output(chunk);
    };
    readText(child.stdout, onData);
    readText(child.stderr, onData);
    child.once('error', (err) => {
      // Without a pid the process never started; 'close' follows, but the reason is known now.
      if (pid === undefined) {
        spawnError = err;
        finish();
      }
    });
    child.once('exit', (code, signal) => {
      leader = { code, signal };
      // Whatever the leader left behind in its group is an orphan of a finished task.
      void stop().then(() => {
        if (finished) return;
        drainTimer = setTimeout(() => {
          child.stdout?.destroy();
          child.stderr?.destroy();
          finish();
        }, DRAIN_MS);
      });
    });
    // 'close', not 'exit': only then has every byte of stdout and stderr been read.
    // A group being stopped may have members that closed their pipes: wait for them too.
    child.once('close', () => void (stopping ?? Promise.resolve()).then(finish));
    ctx.signal.addEventListener('abort', onAbort, { once: true });
  });

  return {
    done,
    pause() {
      if (pid === undefined || paused || finished || leader !== undefined) return;
      paused = true;
      signalGroup(pid, 'SIGSTOP');
    },
    resume() {
      if (pid === undefined || !paused) return;
      paused = false;
      if (!finished && leader === undefined) signalGroup(pid, 'SIGCONT');
    },
  };
}

/** Decodes a pipe as UTF-8; setEncoding keeps multibyte characters whole across chunks. */
function readText(stream: Readable | null, onData: (chunk: string) => void): void {
  if (stream === null) return;
  stream.setEncoding('utf8');
  stream.on('data', onData);
}

function settled(outcome: BackendOutcome): Execution {
  return { done: Promise.resolve(outcome), pause() {}, resume() {} };
}

function abortReason(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  const message = typeof reason === 'object' && reason !== null && 'message' in reason ? reason.message : undefined;
  return String(message ?? reason ?? 'aborted');
}

function cannotStart(command: string, err: unknown, cwd: string): string {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
  const what =
    code === 'ENOENT' && !existsSync(cwd) ? `working directory '${cwd}' does not exist`
    : code === 'ENOENT' ? 'not found'
    : code === 'EACCES' ? 'permission denied'
    : err instanceof Error ? err.message
    : String(err);
  return `cannot start '${command}': ${what}`;
}
