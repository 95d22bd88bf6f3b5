import type { core } from 'zod';
import { PlanFileSchema, PlanTaskSchema } from './schema.js';

/** A problem before it is located in the file: the field as a path, and what is wrong. */
export interface FieldProblem {
  path: ReadonlyArray<PropertyKey>;
  message: string;
}

const PLAN_KEYS = Object.keys(PlanFileSchema.shape).join(', ');
const TASK_KEYS = Object.keys(PlanTaskSchema.shape).join(', ');

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object',
};

/**
 * Rewrites zod's issues on a plan file as "expected X, found Y" at a field
 * path, because zod's own messages ("Invalid input") say neither what the
 * plan should contain nor what it does.
 */
export function planIssueProblems(issues: readonly core.$ZodIssue[]): FieldProblem[] {
  const out: FieldProblem[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      const known = issue.path.length === 0 ? PLAN_KEYS : TASK_KEYS;
      for (const key of issue.keys) out.push({ path: [...issue.path, key], message: `unknown field '${key}' (expected one of ${known})` });
    } else {
      out.push({ path: issue.path, message: messageFor(issue) });
    }
  }
  return out;
}

function expectedAt(path: readonly PropertyKey[], expected: string): string {
  if (path.length === 0) return "an object with a 'tasks' list";
  if (path.length === 2 && path[0] === 'tasks') return `a task (an object with ${TASK_KEYS})`;
  const last = path[path.length - 1];
  if (expected === 'array' && (last === 'dependsOn' || last === 'writes')) return 'a list of strings';
  return EXPECTED[expected] ?? expected;
}

function messageFor(issue: core.$ZodIssue): string {
  const found = describeValue(issue.input);
  const last = issue.path[issue.path.length - 1];
  switch (issue.code) {
    case 'invalid_type': {
      const expected = expectedAt(issue.path, issue.expected);
      if (issue.input === undefined) return `missing: expected ${expected}`;
      if (issue.expected === 'array' && typeof issue.input === 'string') {
        return `expected ${expected}, found ${found} (write [${issue.input}])`;
      }
      return `expected ${expected}, found ${found}`;
    }
    case 'invalid_value':
      return `expected one of ${issue.values.map(String).join(', ')}, found ${found}`;
    case 'invalid_union':
      if (last === 'timeout') return `expected a duration like 30s, 10m or 1h, found ${found}`;
      return `expected ${unionExpected(issue)}, found ${found}`;
    case 'too_small':
    case 'too_big': {
      const small = issue.code === 'too_small';
      const bound = String(small ? issue.minimum : issue.maximum);
      const word = small ? 'at least' : 'at most';
      if (issue.origin === 'string') {
        return small && bound === '1' ? `expected a non-empty string, found ""` : `expected ${word} ${bound} characters, found ${found}`;
      }
      if (issue.origin === 'array') return `expected ${word} ${bound} items, found ${found}`;
      return `expected ${word} ${bound}, found ${found}`;
    }
    case 'invalid_format':
    case 'custom':
      return `expected ${issue.message}, found ${found}`;
    default:
      return issue.message;
  }
}

function unionExpected(issue: core.$ZodIssueInvalidUnion): string {
  const names = issue.errors.flatMap((branch) =>
    branch.flatMap((i) => (i.code === 'invalid_type' ? [EXPECTED[i.expected] ?? i.expected] : [])),
  );
  return names.length ? [...new Set(names)].join(' or ') : 'a valid value';
}

/** Says briefly what a value is: short strings quoted, lists and objects by kind. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length ? `a list of ${value.length}` : 'an empty list';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
    case 'object':
      return 'an object';
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    default:
      return typeof value;
  }
}
