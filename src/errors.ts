/** One thing wrong with the user's input, located as precisely as we can. */
export interface Problem {
  /** The file it is in, when it came from a file. */
  file?: string;
  /** 1-based line, when known. */
  line?: number;
  /** Dotted field path, e.g. `tasks[3].dependsOn[0]` or `agents.coder.provider`. */
  field?: string;
  message: string;
}

/** Formats a problem as `file:line: field: message`, leaving out what is unknown. */
export function formatProblem(p: Problem): string {
  const where = [p.file && (p.line ? `${p.file}:${p.line}` : p.file), p.field].filter(Boolean).join(': ');
  return where ? `${where}: ${p.message}` : p.message;
}

/** Problems printed at most: a generated plan with millions of bad tasks must not print millions of lines. */
export const MAX_PROBLEMS_SHOWN = 50;

/** The problems as `  - file:line: field: message` lines, the first MAX_PROBLEMS_SHOWN and a count of the rest. */
export function listProblems(problems: readonly Problem[]): string {
  const shown = problems.slice(0, MAX_PROBLEMS_SHOWN).map((p) => `  - ${formatProblem(p)}`);
  const rest = problems.length - shown.length;
  if (rest > 0) shown.push(`  ... and ${rest.toLocaleString('en-US')} more`);
  return shown.join('\n');
}

/**
 * Bad input from the person running us: printed without a stack trace and
 * exits with code 2. Carries every problem found, not only the first.
 */
export class UserError extends Error {
  readonly problems: Problem[];
  readonly exitCode = 2;

  constructor(summary: string, problems: Problem[] = []) {
    super(problems.length ? `${summary}\n${listProblems(problems)}` : summary);
    this.name = 'UserError';
    this.problems = problems;
  }
}

/** Turns a zod-style path into `tasks[3].dependsOn[0]`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}
