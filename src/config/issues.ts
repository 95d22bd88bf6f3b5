import type { core } from 'zod';
import { formatPath } from '../errors.js';
import type { Problem } from '../errors.js';

/** Where a field was written: the file and line, or a note such as "given on the command line". */
export interface Origin {
  file?: string;
  line?: number;
  note?: string;
}

/** What turning zod issues into problems needs to know about the checked input. */
export interface IssueContext {
  /** The schema that was checked, to list the keys allowed where an unknown one was found. */
  schema: core.$ZodType;
  /** The value that was checked, to say what was found. */
  data: unknown;
  /** Where a field path was written. */
  origin(field: readonly PropertyKey[]): Origin;
}

/**
 * Rewrites zod issues as problems a person can act on: the file and line,
 * the field path, what was expected and what was found. zod's own messages
 * ("Invalid input") say neither where nor what.
 */
export function problemsFromIssues(issues: readonly core.$ZodIssue[], ctx: IssueContext): Problem[] {
  return issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const allowed = keysAllowedAt(ctx.schema, issue.path);
      return issue.keys.map((key) => {
        const near = closest(key, allowed);
        const hint = near ? ` (did you mean '${near}'?)` : '';
        const list = allowed.length ? `; allowed: ${allowed.join(', ')}` : '';
        return problemAt(ctx, [...issue.path, key], `unknown key '${key}'${hint}${list}`);
      });
    }
    return [problemAt(ctx, issue.path, messageFor(issue, valueAt(ctx.data, issue.path)))];
  });
}

function problemAt(ctx: IssueContext, field: readonly PropertyKey[], message: string): Problem {
  const { file, line, note } = ctx.origin(field);
  const problem: Problem = { field: formatPath(field), message: note ? `${message} (${note})` : message };
  if (file !== undefined) problem.file = file;
  if (line !== undefined) problem.line = line;
  return problem;
}

const EXPECTED: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  string: 'a string',
  boolean: 'true or false',
  object: 'a mapping of keys to values',
  record: 'a mapping of names to values',
  array: 'a list',
};

function messageFor(issue: core.$ZodIssue, found: unknown): string {
  const was = describeValue(found);
  switch (issue.code) {
    case 'invalid_type': {
      const expected = EXPECTED[issue.expected] ?? issue.expected;
      return found === undefined ? `expected ${expected}, found nothing (this field is required)` : `expected ${expected}, found ${was}`;
    }
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, found ${was}`;
    case 'too_small':
    case 'too_big': {
      const small = issue.code === 'too_small';
      const bound = small ? issue.minimum : issue.maximum;
      if (issue.origin === 'array') {
        return `expected ${small ? 'at least' : 'at most'} ${String(bound)} item(s), found ${Array.isArray(found) ? found.length : was}`;
      }
      if (issue.origin === 'string') {
        return small && Number(bound) === 1
          ? `expected a non-empty string, found ${was}`
          : `expected ${small ? 'at least' : 'at most'} ${String(bound)} character(s), found ${was}`;
      }
      const op = small ? (issue.inclusive ? '>=' : '>') : issue.inclusive ? '<=' : '<';
      return `expected a number ${op} ${String(bound)}, found ${was}`;
    }
    case 'invalid_format':
      return issue.format === 'regex' ? `expected ${issue.message}, found ${was}` : issue.message;
    case 'invalid_key': {
      const key = issue.path[issue.path.length - 1];
      const why = issue.issues.map((i) => i.message).join('; ');
      return `invalid name '${String(key)}': expected ${why}`;
    }
    default:
      return issue.message;
  }
}

/** Says what a value is, briefly, quoting short strings and numbers. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null (an empty value)';
  if (Array.isArray(value)) return `a list of ${value.length} item(s)`;
  switch (typeof value) {
    case 'string':
      return `string ${JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)}`;
    case 'number':
    case 'boolean':
    case 'bigint':
      return `${typeof value} ${String(value)}`;
    case 'object':
      return 'a mapping';
    default:
      return typeof value;
  }
}

/** The value at a field path, or undefined when any step is missing. */
export function valueAt(data: unknown, field: readonly PropertyKey[]): unknown {
  let value = data;
  for (const segment of field) {
    if (typeof value !== 'object' || value === null) return undefined;
    if (!Object.hasOwn(value, segment)) return undefined;
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return value;
}

interface DefLike {
  type: string;
  shape?: Record<string, core.$ZodType>;
  valueType?: core.$ZodType;
  element?: core.$ZodType;
  innerType?: core.$ZodType;
  in?: core.$ZodType;
}

/** The keys an object schema allows at a path, by walking objects, records, arrays and wrappers. */
function keysAllowedAt(schema: core.$ZodType, field: readonly PropertyKey[]): string[] {
  let current: core.$ZodType | undefined = schema;
  let i = 0;
  while (current) {
    const def = current._zod.def as unknown as DefLike;
    if (def.innerType) current = def.innerType;
    else if (def.in) current = def.in;
    else if (i === field.length) return def.shape ? Object.keys(def.shape) : [];
    else if (def.shape) current = def.shape[String(field[i++])];
    else if (def.valueType ?? def.element) {
      current = def.valueType ?? def.element;
      i++;
    } else return [];
  }
  return [];
}

/** The allowed key a typo most likely meant, if any is close enough. */
function closest(key: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(key.length / 3)) + 1;
  for (const candidate of allowed) {
    const d = candidate.toLowerCase() === key.toLowerCase() ? 0 : distance(key, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** Edit distance counting a swap of neighbours as one edit (optimal string alignment), so `modle` is 1 from `model`. */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number): number => d[i]?.[j] ?? 0;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      d[i]![j] = best;
    }
  }
  return at(a.length, b.length);
}
