import type { core } from 'zod';
import { formatPath } from '../errors.js';
import type { Problem } from '../errors.js';
import { problemsFromIssues } from '../input/zod-problems.js';

/** Where a field was written: the file and line, or a note such as "given on the command line". */
export interface Origin {
  file?: string;
  line?: number;
  note?: string;
}

/** What placing zod issues on a config needs: the checked schema and input, and where each field came from. */
export interface IssueContext {
  schema: core.$ZodType;
  data: unknown;
  /** Where a field path was written; config merges layers, so each field is traced to its own file. */
  origin(field: readonly PropertyKey[]): Origin;
}

/** The shared issue messages, each placed at the file and line (or noted source) that set its field. */
export function configProblems(issues: readonly core.$ZodIssue[], ctx: IssueContext): Problem[] {
  return problemsFromIssues(issues, ctx).map(({ path, message }) => {
    const { file, line, note } = ctx.origin(path);
    const problem: Problem = { field: formatPath(path), message: note ? `${message} (${note})` : message };
    if (file !== undefined) problem.file = file;
    if (line !== undefined) problem.line = line;
    return problem;
  });
}
