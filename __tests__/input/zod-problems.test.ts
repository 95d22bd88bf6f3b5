import { describe, it, expect } from '@jest/globals';
import { z } from 'zod';
import { describeValue, problemsFromIssues } from '../../src/input/zod-problems.js';
import type { IssueOptions } from '../../src/input/zod-problems.js';

const Schema = z.strictObject({
  name: z.string().min(1),
  mode: z.enum(['fast', 'slow', 'two words']),
  count: z.number().int().positive().max(10),
  tags: z.array(z.string()),
  pair: z.array(z.number()).max(2).optional(),
  id: z.string().regex(/^[a-z]+$/, 'lower-case letters'),
  either: z.union([z.string(), z.number()]).optional(),
  nested: z.strictObject({ model: z.string() }).optional(),
});

const VALID = { name: 'n', mode: 'fast', count: 1, tags: [], id: 'abc' };

/** The one message the schema gives for this input. */
function messageFor(data: Record<string, unknown>, opts: Partial<IssueOptions> = {}): string {
  const result = Schema.safeParse(data);
  if (result.success) throw new Error('expected the input to be rejected');
  const problems = problemsFromIssues(result.error.issues, { schema: Schema, data, ...opts });
  expect(problems).toHaveLength(1);
  return problems[0]!.message;
}

describe('problemsFromIssues says what was expected and what was found', () => {
  it.each([
    [{ name: 5 }, 'expected a string, found 5'],
    [{ name: null }, 'expected a string, found null (an empty value)'],
    [{ name: undefined }, 'expected a string, found nothing (this field is required)'],
    [{ name: '' }, 'expected a non-empty string, found ""'],
    [{ mode: 'sometimes' }, 'expected one of fast, slow, "two words", found "sometimes"'],
    [{ count: 0 }, 'expected more than 0, found 0'],
    [{ count: 11 }, 'expected at most 10, found 11'],
    [{ count: 1.5 }, 'expected a whole number, found 1.5'],
    [{ pair: [1, 2, 3] }, 'expected at most 2 items, found a list of 3 items'],
    [{ tags: {} }, 'expected a list, found an object'],
    [{ id: 'A' }, 'expected lower-case letters, found "A"'],
    [{ either: true }, 'expected a string or a number, found true'],
    [{ nested: [] }, 'expected an object, found an empty list'],
  ])('%j → %s', (change, message) => {
    expect(messageFor({ ...VALID, ...change })).toBe(message);
  });

  it('names an unknown key, the key it most likely meant, and the keys allowed there', () => {
    expect(messageFor({ ...VALID, nested: { modle: 'x', model: 'y' } })).toBe("unknown key 'modle' (did you mean 'model'?); allowed: model");
    expect(messageFor({ ...VALID, zzz: 1 })).toBe("unknown key 'zzz'; allowed: name, mode, count, tags, pair, id, either, nested");
  });

  it("uses the caller's words for what was expected, and its hint", () => {
    const opts: Partial<IssueOptions> = {
      expected: (issue) => (issue.path[0] === 'tags' && issue.code === 'invalid_type' ? 'a list of tags' : undefined),
      hint: (issue, found) => (issue.code === 'invalid_type' && typeof found === 'string' ? `write [${found}]` : undefined),
    };
    expect(messageFor({ ...VALID, tags: 'red' }, opts)).toBe('expected a list of tags, found "red" (write [red])');
    expect(messageFor({ ...VALID, name: '' }, opts)).toBe('expected a non-empty string, found ""');
    expect(messageFor({ ...VALID, name: 5 }, opts)).toBe('expected a string, found 5');
  });
});

describe('describeValue', () => {
  it.each([
    [undefined, 'nothing'],
    [null, 'null (an empty value)'],
    ['x'.repeat(70), `"${'x'.repeat(57)}..."`],
    [false, 'false'],
    [[1], 'a list of 1 item'],
    [[], 'an empty list'],
    [{ a: 1 }, 'an object'],
  ])('%j → %s', (value, text) => {
    expect(describeValue(value)).toBe(text);
  });
});
