import type { core } from 'zod';
import { problemsFromIssues } from '../input/zod-problems.js';
import type { FieldProblem } from '../input/zod-problems.js';
import { PlanFileSchema, PlanTaskSchema } from './schema.js';

const TASK_KEYS = Object.keys(PlanTaskSchema.shape).join(', ');

/**
 * The shared issue messages, in a plan's own words where it has better ones
 * than the schema's types: what a plan and a task are, that dependsOn and
 * writes are lists of strings, how a timeout is written, and `[x]` for a
 * list given as a bare string.
 */
export function planIssueProblems(issues: readonly core.$ZodIssue[], data: unknown): FieldProblem[] {
  return problemsFromIssues(issues, { schema: PlanFileSchema, data, expected, hint });
}

function expected(issue: core.$ZodIssue): string | undefined {
  const { path } = issue;
  const last = path[path.length - 1];
  switch (issue.code) {
    case 'invalid_type':
      if (path.length === 0) return "an object with a 'tasks' list";
      if (path.length === 2 && path[0] === 'tasks') return `a task (an object with ${TASK_KEYS})`;
      if (issue.expected === 'array' && (last === 'dependsOn' || last === 'writes')) return 'a list of strings';
      return undefined;
    case 'invalid_union':
      return last === 'timeout' ? 'a duration like 30s, 10m or 1h' : undefined;
    case 'custom':
      // The plan schema's own checks name what they expected, e.g. "a duration of at most 596h".
      return issue.message;
    default:
      return undefined;
  }
}

function hint(issue: core.$ZodIssue, found: unknown): string | undefined {
  return issue.code === 'invalid_type' && issue.expected === 'array' && typeof found === 'string' ? `write [${found}]` : undefined;
}
