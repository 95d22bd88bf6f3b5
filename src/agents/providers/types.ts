import { randomUUID } from 'node:crypto';
import type { BackendContext, Usage } from '../backend.js';
import type { UsageLimit } from './usage-limit.js';

/**
 * What one line of an agent's structured output said. Every field is
 * optional: most lines carry one thing (a progress line, a session id, a
 * usage delta), and a line the parser cannot read yields only progress text.
 */
export interface LineUpdate {
  /** Readable lines for the task's pane ("→ Edit src/a.ts", "$ npm test", assistant text). */
  progress: string[];
  /** The agent's session or thread id, as soon as it is known. */
  sessionId?: string;
  /** Tokens and cost since the last update (a delta). */
  usage?: Partial<Usage>;
  /** The latest assistant message: the result if the run completes without a better one. */
  message?: string;
  /** The agent's own final result text (Claude's `result`). */
  result?: string;
  /** The agent said its run completed (a final event); the result is `result` or the last message. */
  completed?: boolean;
  /** The agent reported that its run failed, in its words. */
  error?: string;
  /**
   * The agent reported an error it may recover from (Codex's `error` event:
   * "Reconnecting... 1/5"): shown, and the reason if the run then fails
   * without a better one, but it does not decide the outcome.
   */
  notice?: string;
  /** What the agent was refused (a tool its permissions do not allow, a write its sandbox blocked), one line each. */
  denials?: string[];
  /** The provider refused the account for its usage limit (Claude's `rate_limit_event` saying `rejected`). */
  usageLimit?: UsageLimit;
}

/** Parses one line of output (without its newline). Must never throw, whatever the line holds. */
export type LineParser = (line: string) => LineUpdate;

/** How an adapter wants one attempt started. */
export interface Invocation {
  /** [command, ...args]: each argument passed as is, never through a shell. */
  argv: string[];
  /** pty: the agent's interactive terminal; pipe: structured output on stdout, stdin at end-of-file. */
  mode: 'pty' | 'pipe';
  /** Set for structured output: the bytes are parsed line by line and the pane shows readable progress. */
  parseLine?: LineParser;
  /** A session id chosen before start (Claude's --session-id, a Goose session name): reported at once. */
  sessionId?: string;
  /** Removes what the adapter made for this attempt (a prompt file). */
  cleanup?(): void;
  /**
   * After the agent exited: what it was refused that its output did not say
   * (Codex reports a sandboxed command's failure to the model only, so its
   * session log is read). `sessionId` is the id the agent reported.
   */
  denialsAfterExit?(sessionId: string | undefined): string[];
}

/** A provider adapter: turns a task attempt into a command line, and says how to read its output. */
export interface ProviderAdapter {
  invocation(ctx: BackendContext): Invocation;
}

/**
 * The prompt an attempt sends: when it continues an earlier conversation
 * after a failure, the agent is told why the last attempt failed first.
 */
export function promptFor(ctx: BackendContext): string {
  if (ctx.resumeSessionId === undefined || ctx.retryNote === undefined) return ctx.task.prompt;
  return [
    `Your previous attempt at this task failed: ${ctx.retryNote}`,
    'Continue from where you stopped and finish the task:',
    '',
    ctx.task.prompt,
  ].join('\n');
}

/** A fresh id for a session the orchestrator names itself. */
export function newSessionId(): string {
  return randomUUID();
}

/** A one-line preview of text for the pane: first line, capped. */
export function preview(text: string, max = 160): string {
  const first = text.trim().split('\n', 1)[0] ?? '';
  return first.length > max ? `${first.slice(0, max - 1)}…` : first;
}

/** An update carrying only progress lines. */
export function progressOnly(...lines: string[]): LineUpdate {
  return { progress: lines.filter((l) => l !== '') };
}

/** The counts a session-total report restates; cost is left as reported (neither agent's totals are known to include it). */
const SESSION_TOTALS = ['inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheWriteTokens'] as const;

/**
 * For an agent whose token reports are its session's running totals (Goose's
 * `complete`, Codex's `turn.completed`): on an attempt that resumes the
 * session, what the task's earlier attempts in it were counted for
 * (`ctx.usageSoFar`) is taken off each report, never below zero, so a
 * resumed conversation is counted once.
 */
export function lessEarlierAttempts(parse: LineParser, ctx: Pick<BackendContext, 'resumeSessionId' | 'usageSoFar'>): LineParser {
  const before = ctx.resumeSessionId !== undefined ? ctx.usageSoFar : undefined;
  if (!before) return parse;
  return (line) => {
    const update = parse(line);
    if (!update.usage) return update;
    const usage: Partial<Usage> = { ...update.usage };
    for (const field of SESSION_TOTALS) {
      const total = usage[field];
      if (total !== undefined) usage[field] = Math.max(0, total - before[field]);
    }
    update.usage = usage;
    return update;
  };
}
