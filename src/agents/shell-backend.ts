import { REASON_CHARS, REASON_LINES, RESULT_CHARS, RESULT_LINES, abortReason, failureReason, settled, tellingLine } from './attempt.js';
import type { Backend, BackendContext, BackendOptions, BackendOutcome, Execution } from './backend.js';
import { OutputTail } from './output-tail.js';
import { ScreenText, rawOutput, textControls } from './screen-text.js';
import { attemptLabel, startSession } from './session.js';
import type { SessionExit } from './session.js';

/**
 * The `shell` provider: the task's prompt is a shell script, run as
 * `[command, ...args, '-c', prompt]` in its own process group, so it can be
 * paused and killed as a whole and its output is read to the last byte.
 *
 * A script runs on pipes, as in CI: measured 4× faster for bulk output than a
 * pty (BENCHMARKS.md, session), and a pipe keeps pagers and prompts from
 * waiting for a person who is not there. A role with `interactive: true` gets
 * a pty instead, so the person can type into it and mark it done.
 */
export function createShellBackend(opts: BackendOptions = {}): Backend {
  return { start: (ctx) => startShell(ctx, opts) };
}

function startShell(ctx: BackendContext, opts: BackendOptions): Execution {
  if (ctx.signal.aborted) return settled({ ok: false, reason: abortReason(ctx.signal) });
  const { command } = ctx.provider;
  const interactive = ctx.role.interactive === true;
  const tail = new OutputTail(REASON_LINES, RESULT_CHARS);
  const stderr = new OutputTail(REASON_LINES, REASON_CHARS);
  // In a terminal, the pane gets the bytes; the transcript and the result get the screen's text.
  const text = interactive ? new ScreenText(ctx.cols, ctx.rows, (lines) => {
    const block = `${lines.join('\n')}\n`;
    tail.push(block);
    ctx.output(block, 'transcript');
  }, { onChange: (question) => ctx.report({ asking: question ?? null }) }) : undefined;
  let abortedWith: string | undefined;
  let markedDone = false;
  const session = startSession({
    argv: [command, ...ctx.provider.args, '-c', ctx.task.prompt],
    cwd: ctx.workspace.cwd,
    env: { ...ctx.provider.env, ...opts.env },
    label: attemptLabel(ctx.task.id, ctx.attempt, opts.env),
    mode: interactive ? 'pty' : 'pipe',
    cols: ctx.cols,
    rows: ctx.rows,
    killGraceMs: ctx.killGraceMs,
    ...(opts.spawner !== undefined ? { spawner: opts.spawner } : {}),
    // Recorded by the run database, so a killed orchestrator's leftover agents can be killed later.
    onStart: (pid) => ctx.report({ pid }),
    onData: rawOutput(text, { tail, stderr }, (chunk, only) => ctx.output(chunk, only)),
  });
  const onAbort = (): void => {
    abortedWith = abortReason(ctx.signal);
    void session.stop();
  };
  ctx.signal.addEventListener('abort', onAbort, { once: true });

  const done = session.exited.then(async (exit): Promise<BackendOutcome> => {
    ctx.signal.removeEventListener('abort', onAbort);
    await text?.finish();
    // It could not start (a missing binary, a bad workdir): no retry can fix that, and it says nothing about the provider's health.
    if (exit.error !== undefined) return { ok: false, reason: exit.error, failure: 'permanent' };
    if (markedDone) return { ok: true, result: tail.text(RESULT_LINES, RESULT_CHARS) };
    // An abort that arrived after the script had already ended changes nothing.
    if (abortedWith !== undefined && !(exit.code === 0 && exit.signal === null)) return { ok: false, reason: abortedWith };
    return outcome(exit, tail, stderr);
  });

  let ended = false;
  void done.then(() => (ended = true));
  const controls = textControls(session, text);
  const execution: Execution = { done, pause: controls.pause, resume: controls.resume };
  if (interactive) {
    execution.write = controls.write;
    execution.resize = controls.resize;
    execution.markDone = () => {
      if (ended) return;
      markedDone = true;
      void session.stop();
    };
  }
  return execution;
}

/** A script's exit code decides; a failure's reason is the code, the most telling line and the output's last lines. */
function outcome(exit: SessionExit, tail: OutputTail, stderr: OutputTail): BackendOutcome {
  if (exit.code === 0) return { ok: true, result: tail.text(RESULT_LINES, RESULT_CHARS) };
  const last = tail.text(REASON_LINES, REASON_CHARS);
  const head =
    exit.code !== null ? `exit code ${exit.code}`
    : exit.signal !== null ? `killed by ${exit.signal}`
    : 'ended without an exit status';
  const reason = failureReason(head, last, tellingLine(last.split('\n'), stderr.lines()));
  return exit.code !== null ? { ok: false, reason, exitCode: exit.code } : { ok: false, reason };
}
