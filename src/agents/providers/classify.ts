import type { FailureClass } from '../backend.js';
import { findUsageLimit } from './usage-limit.js';

/** Whether a failure may go away by itself, and how long the agent asked us to wait. */
export interface Classification {
  failure?: FailureClass;
  retryAfterMs?: number;
  /** A usage limit's reset (epoch ms), when the agent said when. */
  resetsAt?: number;
}

/**
 * Failures no retry can fix: the command cannot start, its arguments or
 * model are wrong, or the account cannot be used. Checked before the
 * transient patterns, so "401 ... timed out" still counts as auth.
 */
const PERMANENT = [
  /cannot start '/i,
  /\b(401|403)\b/,
  /invalid[ _-]?api[ _-]?key|authenticat|unauthori[sz]ed|forbidden|not logged in|\blog ?in\b.*(required|first)|please run .*login/i,
  /credit balance|billing|insufficient[ _]quota|quota exceeded|payment required/i,
  /unknown (option|argument|flag|command)|unexpected argument|unrecognized (option|argument|arguments)|invalid value for|error: .*required arguments? (were|was) not provided/i,
  /model\b.*\b(not found|does not exist|not supported|is not available)|invalid model|unknown model/i,
  /invalid_request_error|\b400 bad request\b/i,
  // Claude Code's refusal of bypassPermissions as root: only a configuration change helps.
  /cannot be used with root/i,
];

/** Failures of the moment: rate limits, overload, the network, time-outs. */
const TRANSIENT = [
  /\b429\b|rate[ _-]?limit|too many requests|usage limit|rate_limit_exceeded/i,
  /\b529\b|overloaded|\b50[0234]\b|internal server error|bad gateway|service unavailable|temporarily unavailable|gateway time-?out/i,
  // Codex's words for an HTTP 500 (codex-cli 0.171.0): "We're currently experiencing high demand, which may cause temporary errors."
  /high demand|temporary errors?/i,
  /ECONNRESET|ECONNREFUSED|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EPIPE|socket hang up|network|connection (reset|refused|closed|error)|stream (disconnected|error)|fetch failed/i,
  /timed? ?out|timeout|deadline exceeded/i,
];

/**
 * Classifies an agent's failure from its own words (the reason and the tail of
 * its output): transient failures may be retried automatically, permanent ones
 * may not. Unknown stays unset, which the engine treats as transient.
 */
export function classifyFailure(text: string, now = Date.now()): Classification {
  // Before the rest: a usage limit is worded like a rate limit ("429", "rate limit") but waits for its reset.
  const limit = findUsageLimit(text, now);
  if (limit) return limit.resetsAt !== undefined ? { failure: 'usage-limit', resetsAt: limit.resetsAt } : { failure: 'usage-limit' };
  const retryAfterMs = retryAfter(text);
  if (PERMANENT.some((re) => re.test(text))) return retryAfterMs === undefined ? { failure: 'permanent' } : { failure: 'transient', retryAfterMs };
  if (TRANSIENT.some((re) => re.test(text)) || retryAfterMs !== undefined) {
    return retryAfterMs === undefined ? { failure: 'transient' } : { failure: 'transient', retryAfterMs };
  }
  return {};
}

/**
 * The wait the agent asked for, in ms: "retry-after: 30", "retry after 2.5s",
 * "try again in 20 minutes". (A usage limit's reset is findUsageLimit's.)
 */
export function retryAfter(text: string): number | undefined {
  const match =
    /retry[- _]?after["':=\s]+(\d+(?:\.\d+)?)\s*(ms|s|sec|seconds?|m|min|minutes?|h|hours?)?\b/i.exec(text) ??
    /(?:try again|retry) in (\d+(?:\.\d+)?)\s*(ms|s|sec|seconds?|m|min|minutes?|h|hours?)\b/i.exec(text);
  if (!match) return undefined;
  const ms = Number(match[1]) * unitMs((match[2] ?? 's').toLowerCase());
  return Number.isFinite(ms) ? Math.round(ms) : undefined;
}

function unitMs(unit: string): number {
  if (unit === 'ms') return 1;
  if (unit.startsWith('h')) return 3_600_000;
  if (unit.startsWith('m')) return 60_000;
  return 1000;
}
