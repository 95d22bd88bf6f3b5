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

/**
 * Bad input from the person running us: printed without a stack trace and
 * exits with code 2. Carries every problem found, not only the first.
 */
export class UserError extends Error {
  readonly problems: Problem[];
  readonly exitCode = 2;

  constructor(summary: string, problems: Problem[] = []) {
    super(problems.length ? `${summary}\n${problems.map((p) => `  - ${formatProblem(p)}`).join('\n')}` : summary);
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
