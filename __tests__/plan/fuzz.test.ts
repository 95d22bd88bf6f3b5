import { describe, it, expect } from '@jest/globals';
import fc from 'fast-check';
import { UserError } from '../../src/errors.js';
import { fastParsePlan } from '../../src/plan/fast-path.js';
import { planFromText } from '../../src/plan/load.js';
import { PlanFileSchema } from '../../src/plan/schema.js';

const OPTS = { workspace: '/work/space', knownRoles: ['coder', 'shell'] };

/** Runs planFromText and says how it ended: a plan, a UserError, or (a bug) anything else. */
function outcome(text: string, file: string): 'plan' | 'user-error' {
  try {
    planFromText(text, file, OPTS);
    return 'plan';
  } catch (err) {
    if (err instanceof UserError) {
      expect(err.problems.length).toBeGreaterThan(0);
      return 'user-error';
    }
    throw err;
  }
}

const ids = fc.constantFrom('a', 'b', 'c', 'd', 'a b', '', '__proto__', 'constructor', '-', '--help', '.x');

/** Values close to a valid plan, so the fuzzing reaches the schema and the graph, not just the parser. */
const nearPlan = fc.record(
  {
    name: fc.oneof(fc.string(), fc.constant(''), fc.integer()),
    tasks: fc.array(
      fc.record(
        {
          id: fc.oneof(ids, fc.integer()),
          agent: fc.constantFrom('coder', 'shell', 'codr', ''),
          prompt: fc.oneof(fc.string(), fc.constant(null)),
          dependsOn: fc.oneof(fc.array(fc.oneof(ids, fc.integer())), ids),
          writes: fc.array(fc.constantFrom('a', './a', '../x', '/etc/passwd', 'x/../a', '', '.', 'a\u0000b')),
          failureMode: fc.constantFrom('hard', 'soft', 'skip', 'sometimes'),
          timeout: fc.oneof(fc.constantFrom('30s', '10m', '1h', '0s', '1000h', 'soon'), fc.double(), fc.integer()),
          retries: fc.oneof(fc.integer({ min: -2, max: 200 }), fc.double()),
          followUps: fc.oneof(fc.boolean(), fc.constant('yes')),
          extra: fc.anything(),
        },
        { requiredKeys: [] },
      ),
      { maxLength: 8 },
    ),
    junk: fc.anything(),
  },
  { requiredKeys: [] },
);

describe('planFromText never fails with anything but a UserError', () => {
  it('on random strings, read as YAML and as JSON', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => {
        outcome(text, 'f.yaml');
        outcome(text, 'f.json');
      }),
      { numRuns: 400 },
    );
  });

  it('on random YAML-ish text', () => {
    const token = fc.constantFrom('tasks:', '- ', 'id: a', '  ', '\n', '[', ']', '{', '}', ',', ':', '&x ', '*x', '!!str ', '---', '"', "'", '#', '|', '>', '? ');
    fc.assert(
      fc.property(fc.array(token, { maxLength: 40 }), (tokens) => {
        outcome(tokens.join(''), 'f.yaml');
      }),
      { numRuns: 400 },
    );
  });

  it('on random JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value) ?? 'null';
        outcome(text, 'f.json');
        outcome(text, 'f.yaml');
      }),
      { numRuns: 300 },
    );
  });

  it('on values close to a valid plan', () => {
    fc.assert(
      fc.property(nearPlan, (value) => {
        const text = JSON.stringify(value) ?? 'null';
        outcome(text, 'f.json');
      }),
      { numRuns: 500 },
    );
  });
});

/** Tasks that are usually valid, each field sometimes wrong in a way the schema cares about. */
const mostlyValidPlan = fc.record(
  {
    name: fc.oneof({ weight: 5, arbitrary: fc.string({ minLength: 1 }) }, fc.constant(''), fc.constant(null)),
    budget: fc.oneof(
      { weight: 20, arbitrary: fc.constant(undefined) },
      {
        weight: 20,
        arbitrary: fc.record(
          {
            usd: fc.oneof({ weight: 10, arbitrary: fc.double({ min: 0.01, max: 100, noNaN: true }) }, fc.double({ min: -1, max: 1 }), fc.string()),
            tokens: fc.oneof({ weight: 10, arbitrary: fc.integer({ min: 1, max: 1e9 }) }, fc.integer({ min: -1, max: 0 }), fc.double(), fc.string()),
          },
          { requiredKeys: [] },
        ),
      },
      fc.record({ usd: fc.constant(1), extra: fc.anything() }),
      fc.anything(),
    ),
    tasks: fc.array(
      fc.record(
        {
          id: fc.oneof({ weight: 20, arbitrary: fc.stringMatching(/^[A-Za-z0-9_.-]{1,8}$/) }, fc.string(), fc.constant('x'.repeat(201))),
          agent: fc.oneof({ weight: 20, arbitrary: fc.constantFrom('coder', 'shell') }, fc.constant(''), fc.integer()),
          prompt: fc.oneof({ weight: 20, arbitrary: fc.string() }, fc.constant(null)),
          dependsOn: fc.oneof({ weight: 20, arbitrary: fc.array(fc.string()) }, fc.array(fc.oneof(fc.string(), fc.integer()))),
          writes: fc.oneof({ weight: 20, arbitrary: fc.array(fc.string({ minLength: 1 })) }, fc.array(fc.string())),
          failureMode: fc.oneof({ weight: 20, arbitrary: fc.constantFrom('hard', 'soft', 'skip') }, fc.string()),
          timeout: fc.oneof(
            { weight: 10, arbitrary: fc.constantFrom('30s', '10m', '1h', '1.5s', '250ms', '0.1ms', '596h', '597h') },
            { weight: 10, arbitrary: fc.double({ min: -1, max: 3e6, noNaN: true }) },
            fc.string(),
            fc.boolean(),
          ),
          retries: fc.oneof({ weight: 20, arbitrary: fc.integer({ min: 0, max: 100 }) }, fc.integer({ min: -5, max: 200 }), fc.double()),
          followUps: fc.oneof({ weight: 20, arbitrary: fc.boolean() }, fc.constant(0)),
          budget: fc.oneof(
            { weight: 40, arbitrary: fc.constant(undefined) },
            { weight: 10, arbitrary: fc.record({ usd: fc.double({ min: 0.01, max: 10, noNaN: true }), tokens: fc.integer({ min: 1, max: 1e6 }) }, { requiredKeys: [] }) },
            fc.record({ usd: fc.oneof(fc.double({ min: -1, max: 1 }), fc.string()), tokens: fc.oneof(fc.integer({ min: -1, max: 0 }), fc.double()) }),
            fc.anything(),
          ),
          other: fc.oneof({ weight: 19, arbitrary: fc.constant(undefined) }, fc.anything()),
        },
        { requiredKeys: ['id', 'agent', 'prompt'], noNullPrototype: true },
      ),
      { maxLength: 5 },
    ),
  },
  { requiredKeys: ['tasks'] },
);

describe('the fast path agrees with the schema', () => {
  it('accepts only what the schema accepts, with the same result, and takes every valid JSON plan', () => {
    let taken = 0;
    fc.assert(
      fc.property(mostlyValidPlan, (value) => {
        const data = JSON.parse(JSON.stringify(value)) as unknown;
        const fast = fastParsePlan(data);
        const slow = PlanFileSchema.safeParse(data);
        expect(fast !== undefined).toBe(slow.success);
        if (fast !== undefined) {
          taken++;
          expect(fast).toEqual(slow.data);
        }
      }),
      { numRuns: 2000 },
    );
    expect(taken).toBeGreaterThan(300);
  });

  it('is actually taken for an ordinary plan', () => {
    const data = { name: 'n', tasks: [{ id: 'a', agent: 'coder', prompt: 'p', timeout: '10m', writes: ['x'] }] };
    expect(fastParsePlan(data)).toEqual(PlanFileSchema.parse(data));
    expect(fastParsePlan({ ...data, extra: 1 })).toBeUndefined();
  });
});

describe('refusals hold for any plan', () => {
  it('a key written twice anywhere in a JSON plan is refused, whatever else is wrong with it', () => {
    fc.assert(
      fc.property(nearPlan, fc.constantFrom('tasks', 'name', 'zz'), (value, key) => {
        const text = `{"${key}": 1, ${JSON.stringify({ [key]: 2, ...value }).slice(1)}`;
        try {
          planFromText(text, 'p.json', OPTS);
        } catch (err) {
          expect(err).toBeInstanceOf(UserError);
          expect((err as UserError).problems).toEqual([expect.objectContaining({ message: expect.stringContaining(`'${key}' is written twice`) })]);
          return;
        }
        throw new Error('accepted a duplicated key');
      }),
      { numRuns: 300 },
    );
  });

  it('aliases are refused exactly when what they expand to passes the limit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2500 }), fc.integer({ min: 1, max: 800 }), (items, uses) => {
        const list = Array.from({ length: items }, (_, i) => `  - x${i}`).join('\n');
        const tasks = Array.from({ length: uses }, (_, i) => `  - {id: t${i}, agent: shell, prompt: p, writes: *w}`).join('\n');
        const text = `x-w: &w\n${list}\ntasks:\n${tasks}\n`;
        let message = '';
        try {
          planFromText(text, 'p.yaml', OPTS);
        } catch (err) {
          expect(err).toBeInstanceOf(UserError);
          message = (err as UserError).message;
        }
        // Each use adds the list and its items.
        expect(/expand to more than/.test(message)).toBe(uses * (items + 1) > 1_000_000);
      }),
      { numRuns: 8 },
    );
  });
});
