import stripAnsi from 'strip-ansi';
import type { BackendOutcome, Execution } from './backend.js';

/** Lines and characters of output that make a result taken from the transcript's tail. */
export const RESULT_LINES = 20;
export const RESULT_CHARS = 4096;
/** Lines and characters of output kept with a failure reason, below its most telling line. */
export const REASON_LINES = 20;
export const REASON_CHARS = 2048;
/** Longest retry note: the agent gets the gist of its last failure, not its whole screen. */
export const RETRY_NOTE_CHARS = 600;

/** The line that marks where attempt `n` began, at `time` (local): `── attempt 2 · 14:02:11 ──`. */
export function attemptLine(n: number, time: number): string {
  return `── attempt ${n} · ${new Date(time).toTimeString().slice(0, 8)} ──`;
}

/**
 * A failure's whole reason as a terminal draws it, below what the task printed: the
 * pane wraps it to its width and scrolls it with the output. Control characters
 * from the agent's output are dropped, so they cannot redraw the pane.
 */
export function failureBlock(reason: string, title = 'failed'): string {
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  const text = stripAnsi(reason).replaceAll('\t', ' ').replace(/[\x00-\x09\x0b-\x1f\x7f\x9b]/g, '');
  return `${ownLine(`── ${title} ──`, title === 'failed' ? '1;31' : '1;35')}${text.split('\n').join('\r\n')}\r\n`;
}

/**
 * A line of the orchestrator's own on a task's screen (an attempt's start, a failure), on
 * a line of its own below the output: first out of whatever the agent left the
 * terminal in (the alternate screen, modes, colours), without moving the cursor.
 */
export function ownLine(text: string, sgr = '2'): string {
  return `\x1b[?1047l\x1b[!p\x1b[0m\r\n\x1b[${sgr}m${text}\x1b[0m\r\n`;
}

/** An attempt that ended before it began (aborted before start): nothing to pause or resume. */
export function settled(outcome: BackendOutcome): Execution {
  return { done: Promise.resolve(outcome), pause() {}, resume() {} };
}

/** Why an attempt was stopped, in words: the stop cause's message, or the abort reason as text. */
export function abortReason(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  const message = typeof reason === 'object' && reason !== null && 'message' in reason ? reason.message : undefined;
  return String(message ?? reason ?? 'aborted');
}

/** Words that say something went wrong. */
const ERROR_WORDS =
  /\b(?:errors?|fail(?:ed|ure|s)?|denied|refused|forbidden|unauthori[sz]ed|exception|fatal|panic(?:ked)?|traceback|abort(?:ed)?|cannot|can't|unable|invalid|timed out|timeout|not found|rate.?limit(?:ed)?|overloaded)\b/i;
/** An errno code (ECONNREFUSED), or an HTTP error status (HTTP 401, status: 503, 429 Too Many Requests). */
const ERROR_CODES =
  /\bE(?:CONN[A-Z]+|NOENT|ACCES|PERM|PIPE|TIMEDOUT|ADDRINUSE|NOTFOUND|AI_AGAIN|HOSTUNREACH|NETUNREACH|NOSPC)\b|\b(?:HTTP\/?[\d.]*|[Ss]tatus(?: code)?:?)\s*[45]\d\d\b|\b[45]\d\d\s+(?:Bad|Unauthori[sz]ed|Forbidden|Not Found|Too Many|Internal|Service|Gateway|Conflict|Payload)/;

/** Whether a line looks like it reports an error. */
export function looksLikeError(line: string): boolean {
  return ERROR_WORDS.test(line) || ERROR_CODES.test(line);
}

/** What a TUI draws at a line's edges: box borders, blocks, braille and star spinners, bullets (Claude Code's ⏺ ⎿). */
const EDGE = '\\s\\u2500-\\u259f\\u2800-\\u28ff\\u2720-\\u273f\\u23bf\\u23fa·•∙●○◐◑◒◓|';
const EDGES = new RegExp(`^[${EDGE}]+|[${EDGE}]+$`, 'g');
/** A line that is only a rule or nothing. */
const RULE = /^[\s=_*~.#-]*$/;
/** Lines agents print on every run that never explain a failure. */
const NOISE = [/^Reading (?:additional )?(?:input|prompt) from stdin/i, /^\(?(?:press )?(?:esc|ctrl\+c) to (?:interrupt|cancel|exit)/i];

/**
 * A line of output without what a TUI draws around it (its box's borders, a
 * spinner glyph); '' for a line that is only decoration or known noise.
 */
export function cleanLine(line: string): string {
  const text = line.replace(EDGES, '');
  return RULE.test(text) || NOISE.some((n) => n.test(text)) ? '' : text;
}

/**
 * The most telling line of a failed attempt's output: the last line that
 * looks like an error (stderr's first), else the last line on stderr, else the
 * last line; decorations and noise never count. '' when nothing is left.
 */
export function tellingLine(lines: readonly string[], stderr: readonly string[] = []): string {
  const clean = (of: readonly string[]) => of.map(cleanLine).filter((l) => l !== '');
  const err = clean(stderr);
  const all = clean(lines);
  return err.findLast(looksLikeError) ?? all.findLast(looksLikeError) ?? err.at(-1) ?? all.at(-1) ?? '';
}

/**
 * A failure's reason: its cause and most telling line on the first line (what
 * a task row shows), then the output's last lines as they were (what `enter`
 * in the dashboard and `orchestrator show` give in full).
 */
export function failureReason(head: string, tail: string, telling: string): string {
  const first = telling === '' || head.includes(telling) ? head : `${head}: ${telling}`;
  return tail === '' || tail === telling || head.includes(tail) ? first : `${first}\n${tail}`;
}

/**
 * What an agent is told of its last failure when it continues its
 * conversation: the reason without TUI decorations, noise or repeated lines,
 * at most RETRY_NOTE_CHARS (its first line, the cause, and as much of its end
 * as fits).
 */
export function retryNote(reason: string, max = RETRY_NOTE_CHARS): string {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const raw of reason.split('\n')) {
    const line = cleanLine(raw).replace(/\s+/g, ' ');
    if (line === '' || seen.has(line)) continue;
    seen.add(line);
    lines.push(line);
  }
  const [first = '', ...rest] = lines;
  if (first.length >= max) return `${first.slice(0, max - 1)}…`;
  const kept: string[] = [];
  let used = first.length;
  for (let i = rest.length - 1; i >= 0; i--) {
    const cost = rest[i]!.length + 1;
    if (used + cost > max - 2) break;
    kept.unshift(rest[i]!);
    used += cost;
  }
  const cut = kept.length < rest.length ? ['…'] : [];
  return [first, ...cut, ...kept].join('\n');
}
