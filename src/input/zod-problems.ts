import type { core } from 'zod';
import { closest } from './suggest.js';
import { plural } from '../report/plural.js';

/** A problem before it is placed in a file: the field as a path, and what is wrong. */
export interface FieldProblem {
  path: ReadonlyArray<PropertyKey>;
  message: string;
}

/** What turning zod issues into problems needs: the checked input, and the caller's own words where it has better ones. */
export interface IssueOptions {
  /** The schema that was checked, to list the keys allowed where an unknown one was found. */
  schema: core.$ZodType;
  /** The value that was checked, to say what was found. */
  data: unknown;
  /**
   * What a field should hold, where the caller can say it better than the
   * schema's types can (e.g. "a list of strings"); the message becomes
   * "expected <that>, found …". Undefined keeps the default.
   */
  expected?(issue: core.$ZodIssue): string | undefined;
  /** A note after the message, e.g. how to write what was found the right way. */
  hint?(issue: core.$ZodIssue, found: unknown): string | undefined;
}

/**
 * Rewrites zod issues as problems a person can act on: the field path, what
 * was expected and what was found. zod's own messages ("Invalid input") say
 * neither where nor what. Shared by config and plan loading so both speak
 * alike; each places the problems in its files itself.
 */
export function problemsFromIssues(issues: readonly core.$ZodIssue[], opts: IssueOptions): FieldProblem[] {
  return issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const allowed = keysAllowedAt(opts.schema, issue.path);
      return issue.keys.map((key) => {
        const near = closest(key, allowed);
        const hint = near ? ` (did you mean '${near}'?)` : '';
        const list = allowed.length ? `; allowed: ${allowed.join(', ')}` : '';
        return { path: [...issue.path, key], message: `unknown key '${key}'${hint}${list}` };
      });
    }
    return [{ path: issue.path, message: messageFor(issue, valueAt(opts.data, issue.path), opts) }];
  });
}

const EXPECTED: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  string: 'a string',
  boolean: 'true or false',
  object: 'an object',
  record: 'an object of names to values',
  array: 'a list',
};

function messageFor(issue: core.$ZodIssue, found: unknown, opts: IssueOptions): string {
  if (issue.code === 'invalid_key') {
    const key = issue.path[issue.path.length - 1];
    return `invalid name '${String(key)}': expected ${issue.issues.map((i) => i.message).join('; ')}`;
  }
  const expected = opts.expected?.(issue) ?? expectedFor(issue);
  if (expected === undefined) return issue.message;
  if (found === undefined && issue.code === 'invalid_type') return `expected ${expected}, found nothing (this field is required)`;
  const hint = opts.hint?.(issue, found);
  return `expected ${expected}, found ${describeValue(found)}${hint ? ` (${hint})` : ''}`;
}

/** What the schema wanted, in words; undefined where zod's own message is the best there is. */
function expectedFor(issue: core.$ZodIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      return EXPECTED[issue.expected] ?? issue.expected;
    case 'invalid_value':
      return `one of ${issue.values.map(choice).join(', ')}`;
    case 'invalid_union': {
      const names = issue.errors.flatMap((branch) => branch.flatMap((i) => (i.code === 'invalid_type' ? [EXPECTED[i.expected] ?? i.expected] : [])));
      return names.length ? [...new Set(names)].join(' or ') : 'a valid value';
    }
    case 'too_small':
    case 'too_big': {
      const small = issue.code === 'too_small';
      const bound = Number(small ? issue.minimum : issue.maximum);
      const limit = issue.inclusive === false ? (small ? 'more than' : 'less than') : small ? 'at least' : 'at most';
      if (issue.origin === 'string' && small && bound === 1) return 'a non-empty string';
      if (issue.origin === 'string') return `${limit} ${plural(bound, 'character')}`;
      if (issue.origin === 'array') return `${limit} ${plural(bound, 'item')}`;
      return `${limit} ${bound}`;
    }
    case 'invalid_format':
      return issue.format === 'regex' ? issue.message : undefined;
    default:
      return undefined;
  }
}

/** An allowed value as people would type it: bare when it is a plain word, quoted otherwise. */
function choice(value: unknown): string {
  if (typeof value !== 'string') return String(value);
  return /^[\w.-]+$/.test(value) ? value : JSON.stringify(value);
}


/** Says briefly what a value is: short strings quoted, numbers and booleans as written, lists and objects by kind. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null (an empty value)';
  if (Array.isArray(value)) return value.length ? `a list of ${plural(value.length, 'item')}` : 'an empty list';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    case 'object':
      return 'an object';
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
