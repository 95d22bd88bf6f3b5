import stripAnsi from 'strip-ansi';
import { REASON_CHARS, REASON_LINES, RESULT_CHARS, RESULT_LINES, abortReason, failureReason, settled, tellingLine } from './attempt.js';
import type { Backend, BackendContext, BackendOptions, BackendOutcome, Execution } from './backend.js';
import { OutputTail } from './output-tail.js';
import { ScreenText, rawOutput, textControls } from './screen-text.js';
import { classifyFailure } from './providers/classify.js';
import type { Invocation, LineUpdate, ProviderAdapter } from './providers/types.js';
import type { UsageLimit } from './providers/usage-limit.js';
import type { SessionExit } from './session.js';
import { attemptLabel, startSession } from './session.js';

/** Longest progress line shown in the pane; an agent's line can be megabytes. */
const PROGRESS_CHARS = 2000;
/** Longest unfinished line kept while waiting for its newline; beyond it the line is dropped. */
const MAX_LINE_CHARS = 16 * 1024 * 1024;

/** What the parsed output said so far. */
interface Parsed {
  result?: string;
  message?: string;
  completed: boolean;
  error?: string;
  /** The last recoverable error the agent reported: the reason if it then fails without saying why. */
  notice?: string;
  /** What the agent was refused (its permissions, its sandbox). */
  denials: string[];
  /** The provider's usage limit, as the agent reported it in a structured event. */
  usageLimit?: UsageLimit;
}

/**
 * Turns a provider adapter into a Backend on the session machinery: starts
 * the adapter's argv in a pty or on pipes, shows readable progress (or the
 * raw terminal) in the task's pane, reports the session id and usage deltas
 * as soon as they are known, and decides the outcome from the agent's own
 * final event, never from exit code 0 alone.
 */
export function createAgentBackend(adapter: ProviderAdapter, opts: BackendOptions = {}): Backend {
  return { start: (ctx) => startAgent(adapter, ctx, opts) };
}

function startAgent(adapter: ProviderAdapter, ctx: BackendContext, opts: BackendOptions): Execution {
  if (ctx.signal.aborted) return settled({ ok: false, reason: abortReason(ctx.signal) });
  let inv: Invocation;
  try {
    inv = adapter.invocation(ctx);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return settled({ ok: false, reason: `cannot prepare '${ctx.provider.command}': ${message}`, failure: 'permanent' });
  }
  const tail = new OutputTail(REASON_LINES, RESULT_CHARS);
  const stderr = new OutputTail(REASON_LINES, REASON_CHARS);
  const parsed: Parsed = { completed: false, denials: [] };
  let sessionId = inv.sessionId;
  if (sessionId !== undefined) ctx.report({ sessionId });

  const apply = (update: LineUpdate): void => {
    if (update.sessionId !== undefined && update.sessionId !== sessionId) {
      sessionId = update.sessionId;
      ctx.report({ sessionId });
    }
    if (update.usage !== undefined) ctx.report({ usage: update.usage });
    if (update.message !== undefined) parsed.message = update.message;
    if (update.result !== undefined) parsed.result = update.result;
    if (update.error !== undefined) parsed.error = update.error;
    if (update.notice !== undefined) parsed.notice = update.notice;
    if (update.denials !== undefined) parsed.denials.push(...update.denials);
    if (update.usageLimit !== undefined) parsed.usageLimit = { ...parsed.usageLimit, ...update.usageLimit };
    if (update.completed) parsed.completed = true;
    if (update.progress.length === 0) return;
    const lines = update.progress.map((l) => (l.length > PROGRESS_CHARS ? `${l.slice(0, PROGRESS_CHARS - 1)}…` : l));
    for (const l of lines) tail.push(`${l}\n`);
    ctx.output(lines.map((l) => `${l}\r\n`).join(''));
  };
  const parseLine = inv.parseLine;
  const splitter = parseLine && new LineSplitter((line) => apply(safeParse(parseLine, line)));
  // stderr is not the structured stream: its own lines, kept apart for the failure reason.
  const errSplitter = parseLine && new LineSplitter((line) => {
    stderr.push(`${line}\n`);
    apply(safeParse(parseLine, line));
  });
  // An interactive agent's terminal: the pane gets its bytes, the transcript and the result its screen's text.
  const text = !splitter && inv.mode === 'pty' ? new ScreenText(ctx.cols, ctx.rows, (lines) => {
    const block = `${lines.join('\n')}\n`;
    tail.push(block);
    ctx.output(block, 'transcript');
  }, { onChange: (question) => ctx.report({ asking: question ?? null }) }) : undefined;
  const raw = rawOutput(text, { tail, stderr }, (chunk, only) => ctx.output(chunk, only));
  const onData = (chunk: string, stream?: 'stderr'): void => {
    if (splitter) return (stream === 'stderr' ? errSplitter! : splitter).push(chunk);
    raw(chunk, stream);
  };

  const session = startSession({
    argv: inv.argv,
    cwd: ctx.workspace.cwd,
    env: { ...ctx.provider.env, ...opts.env },
    label: attemptLabel(ctx.task.id, ctx.attempt, opts.env),
    mode: inv.mode,
    cols: ctx.cols,
    rows: ctx.rows,
    killGraceMs: ctx.killGraceMs,
    ...(opts.spawner !== undefined ? { spawner: opts.spawner } : {}),
    // Recorded by the run database, so a killed orchestrator's leftover agents can be killed later.
    onStart: (pid) => ctx.report({ pid }),
    signal: ctx.signal,
    onData,
  });
  let markedDone = false;
  const done = session.exited.then(async (exit) => {
    splitter?.flush();
    errSplitter?.flush();
    await text?.finish();
    try {
      inv.cleanup?.();
    } catch {
      // A temp file we could not remove must not turn the attempt into a failure.
    }
    if (exit.error !== undefined) return { ok: false, reason: exit.error, failure: 'permanent' } satisfies BackendOutcome;
    if (ctx.signal.aborted) return { ok: false, reason: abortReason(ctx.signal) } satisfies BackendOutcome;
    if (markedDone) return { ok: true, result: transcriptResult(tail) || 'marked done' } satisfies BackendOutcome;
    try {
      parsed.denials.push(...(inv.denialsAfterExit?.(sessionId) ?? []));
    } catch {
      // A session log we cannot read leaves the outcome to what the output said.
    }
    return outcome(exit, parsed, { tail, stderr }, splitter !== undefined, ctx.role.denials === 'allow');
  });

  const pty = inv.mode === 'pty';
  const controls = textControls(session, text);
  return {
    done,
    pause: controls.pause,
    resume: controls.resume,
    ...(pty
      ? {
          write: controls.write,
          resize: controls.resize,
          markDone: () => {
            markedDone = true;
            void session.stop();
          },
        }
      : {}),
  };
}

/** The end of an attempt's output: all of it (text, never a terminal's bytes), and what came on stderr. */
export interface Tails {
  tail: OutputTail;
  stderr: OutputTail;
}

/**
 * How an attempt that ran to its end went: the agent's final event decides,
 * with the exit code; an agent that was refused what it tried to do did not
 * do what it was asked, whatever it says (unless its role allows denials).
 * A failure's reason is its cause and the output's most telling line, then its last lines.
 */
export function outcome(exit: SessionExit, parsed: Parsed, { tail, stderr }: Tails, structured: boolean, denialsAllowed = false): BackendOutcome {
  if (exit.code === 0 && parsed.error === undefined && (!structured || parsed.completed)) {
    if (parsed.denials.length > 0 && !denialsAllowed) return deniedOutcome(parsed.denials);
    return { ok: true, result: structured ? (parsed.result ?? parsed.message ?? '') : transcriptResult(tail) };
  }
  const head =
    parsed.error !== undefined ? parsed.error
    : parsed.notice !== undefined ? parsed.notice
    : exit.code === 0 ? 'exited with code 0 without a final result'
    : exit.code !== null ? `exit code ${exit.code}`
    : `killed by ${exit.signal ?? 'an unknown signal'}`;
  const last = stripAnsi(tail.text(REASON_LINES, REASON_CHARS));
  const telling = tellingLine(last.split('\n'), stripAnsi(stderr.text()).split('\n'));
  // The agent's own error decides the class when it gave one: its earlier warnings in the tail
  // (Codex's "Model metadata for `m` not found") must not make a 500 or a 429 permanent.
  const classification = classifyFailure(parsed.error ?? parsed.notice ?? `${head}\n${last}`);
  // A structured usage-limit report decides over the words, and its reset time is the exact one.
  if (parsed.usageLimit) {
    const resetsAt = parsed.usageLimit.resetsAt ?? classification.resetsAt;
    return { ok: false, reason: failureReason(head, last, telling), failure: 'usage-limit', ...(resetsAt !== undefined ? { resetsAt } : {}) };
  }
  return {
    ok: false,
    reason: failureReason(head, last, telling),
    ...(exit.code !== null && exit.code !== 0 ? { exitCode: exit.code } : {}),
    ...classification,
  };
}

/** Denied tools fail the attempt: permanent, as the same permissions would deny them again. */
function deniedOutcome(denials: readonly string[]): BackendOutcome {
  const unique = [...new Set(denials)];
  const shown = unique.slice(0, 5).join('; ');
  const more = unique.length > 5 ? `; and ${unique.length - 5} more` : '';
  return {
    ok: false,
    reason: `the agent was denied ${unique.length === 1 ? 'what it tried' : `${unique.length} things it tried`}: ${shown}${more} (give the role more permissions, or denials: allow)`,
    failure: 'permanent',
  };
}

function transcriptResult(tail: OutputTail): string {
  return stripAnsi(tail.text(RESULT_LINES, RESULT_CHARS)).trim();
}

function safeParse(parse: (line: string) => LineUpdate, line: string): LineUpdate {
  try {
    return parse(line);
  } catch (err) {
    return { progress: [`[unreadable output line: ${err instanceof Error ? err.message : String(err)}]`] };
  }
}

/** Splits decoded text into lines, in bounded memory; a line without its newline is kept for the next chunk. */
export class LineSplitter {
  private partial = '';
  private dropping = false;

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: string): void {
    const parts = chunk.split('\n');
    for (let i = 0; i < parts.length - 1; i++) {
      const line = this.partial + parts[i]!;
      this.partial = '';
      if (this.dropping) this.dropping = false;
      else this.emit(line);
    }
    if (this.dropping) return;
    this.partial += parts[parts.length - 1]!;
    if (this.partial.length > MAX_LINE_CHARS) {
      this.onLine(`[an output line longer than ${MAX_LINE_CHARS} characters was dropped]`);
      this.partial = '';
      this.dropping = true;
    }
  }

  /** Ends the stream: an unfinished last line (a crash mid-line) is parsed as it is. */
  flush(): void {
    if (this.partial !== '' && !this.dropping) this.emit(this.partial);
    this.partial = '';
    this.dropping = false;
  }

  private emit(line: string): void {
    const clean = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (clean.trim() !== '') this.onLine(clean);
  }
}
