/**
 * The process's exit codes: one table that `--help`, README.md and
 * docs/events.md all show (a test checks the two documents carry it as
 * `exitCodeTable()` renders it), so a script's author reads the same
 * meaning everywhere.
 */
export const EXIT_CODES = [
  { code: 0, meaning: 'every task completed, was skipped, or failed with failure mode soft or skip' },
  { code: 1, meaning: 'a task failed with failure mode hard, was blocked or was cancelled, or the run budget was spent with tasks left (resume continues them)' },
  { code: 2, meaning: 'invalid input: a plan, config or flag; the message names the file and field' },
  { code: 70, meaning: 'an internal error (a bug): DEBUG=1 prints the stack trace' },
  { code: 75, meaning: "a provider's usage limit resets further ahead than limits.maxWaitHours; resume the run after the reset" },
  { code: 129, meaning: 'stopped by SIGHUP (the terminal closed); the run can be resumed' },
  { code: 130, meaning: 'stopped by Ctrl+C (SIGINT); the run can be resumed' },
  { code: 141, meaning: 'its stdout was closed (a reader such as head left), as SIGPIPE does; the run can be resumed' },
  { code: 143, meaning: 'stopped by SIGTERM; the run can be resumed' },
] as const;

/** What a run stopped by a usage limit too far ahead is `interrupted` by, beside the signals. */
export const USAGE_LIMIT_STOP = 'usage limit';

export type ExitCode = (typeof EXIT_CODES)[number]['code'];

/** The exit code a run stopped by this signal ends with (128 + its number, as shells report it). */
export const SIGNAL_EXIT: Readonly<Record<string, ExitCode>> = { SIGHUP: 129, SIGINT: 130, SIGPIPE: 141, SIGTERM: 143, [USAGE_LIMIT_STOP]: 75 };

/** The table as Markdown, exactly as README.md and docs/events.md hold it. */
export function exitCodeTable(): string {
  return ['| exit code | meaning |', '|---|---|', ...EXIT_CODES.map((e) => `| ${e.code} | ${e.meaning} |`)].join('\n');
}

/** The table as `--help`'s epilogue lists it: one line a code. */
export function exitCodeLines(): string {
  return EXIT_CODES.map((e) => `  ${String(e.code).padStart(3)}  ${e.meaning}`).join('\n');
}
