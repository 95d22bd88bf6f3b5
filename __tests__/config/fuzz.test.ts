import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { CONFIG_KEYS, ConfigSchema } from '../../src/config/schema.js';
import { UserError } from '../../src/errors.js';
import { makeTempEnv } from './temp-env.js';
import type { TempEnv } from './temp-env.js';

let t: TempEnv;
beforeAll(() => {
  t = makeTempEnv();
});
afterAll(() => t.cleanup());

const PROJECT_NAMES = ['.orchestratorrc', '.orchestratorrc.json', '.orchestratorrc.yaml'] as const;

/**
 * Writes `text` as the only project file and loads. Either a config that is
 * valid, or a UserError with problems all pointing into that file; a raw
 * zod/yaml/JSON error or any other exception fails.
 */
async function loadsOrRejectsCleanly(name: (typeof PROJECT_NAMES)[number], text: string): Promise<void> {
  for (const other of PROJECT_NAMES) rmSync(path.join(t.project, other), { force: true });
  const file = path.join(t.project, name);
  writeFileSync(file, text);
  try {
    // Parsing and validation, as `orchestrator config` does them; trust has its own tests.
    const loaded = await loadConfig({ cwd: t.project, env: t.env, trust: 'inspect' });
    expect(ConfigSchema.safeParse(loaded.config).success).toBe(true);
    expect(Object.keys(loaded.sources)).toEqual([...CONFIG_KEYS]);
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    expect(error.problems.length).toBeGreaterThan(0);
    for (const problem of error.problems) expect(problem.file).toBe(file);
  }
}

const names = fc.constantFrom('claude', 'shell', 'coder', 'reviewer', 'standard', 'nope', 'x', 'constructor', '__proto__', 'toString', 'bad name');
const anyValue = fc.jsonValue({ maxDepth: 3 });
const role = fc.record(
  { provider: fc.oneof(names, anyValue), model: fc.oneof(fc.string(), anyValue), tools: fc.oneof(fc.array(fc.string()), anyValue) },
  { requiredKeys: [] },
);
const step = fc.record({ agent: fc.oneof(names, anyValue), failureMode: fc.constantFrom('hard', 'soft', 'skip', 'fatal') }, { requiredKeys: [] });
const configLike = fc.record(
  {
    concurrency: fc.oneof(fc.integer({ min: -2, max: 2000 }), anyValue),
    concurency: anyValue,
    killGraceMs: fc.oneof(fc.integer(), anyValue),
    providers: fc.dictionary(names, fc.record({ type: fc.constantFrom('claude', 'command', 'cursor'), command: fc.string() }, { requiredKeys: [] })),
    agents: fc.oneof(fc.dictionary(names, role), anyValue),
    workflows: fc.dictionary(names, fc.record({ steps: fc.array(step, { maxLength: 3 }) }, { requiredKeys: [] })),
  },
  { requiredKeys: [] },
);

describe('loadConfig never fails with anything but a UserError', () => {
  it('on random text', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...PROJECT_NAMES), fc.string({ unit: 'binary', maxLength: 200 }), loadsOrRejectsCleanly),
      { numRuns: 150 },
    );
  });

  it('on random text built from YAML and JSON punctuation', async () => {
    const token = fc.constantFrom('{', '}', '[', ']', ':', ',', '-', ' ', '\n', '  ', '"', "'", '&a', '*a', '!!str', '#', 'concurrency', 'agents', 'coder', '1', 'null', '|', '>');
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...PROJECT_NAMES), fc.array(token, { maxLength: 40 }).map((ts) => ts.join('')), loadsOrRejectsCleanly),
      { numRuns: 150 },
    );
  });

  it('on random JSON values, written as JSON and as YAML', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), fc.boolean(), (value, asYaml) =>
        asYaml ? loadsOrRejectsCleanly('.orchestratorrc.yaml', stringify(value)) : loadsOrRejectsCleanly('.orchestratorrc.json', JSON.stringify(value)),
      ),
      { numRuns: 150 },
    );
  });

  it('on random config-shaped values, reaching the merge and cross-reference checks', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(configLike, fc.boolean(), async (value, asYaml) => {
        await loadsOrRejectsCleanly(asYaml ? '.orchestratorrc.yaml' : '.orchestratorrc', asYaml ? stringify(value) : JSON.stringify(value));
        accepted += 1;
      }),
      { numRuns: 200 },
    );
    expect(accepted).toBe(200);
  });

  it('refuses a key written twice in a JSON config, whatever else it holds', async () => {
    await fc.assert(
      fc.asyncProperty(configLike, fc.constantFrom('concurrency', 'agents', 'zz'), async (value, key) => {
        const text = `{"${key}": 1, ${JSON.stringify({ [key]: 2, ...(value as object) }).slice(1)}`;
        rmSync(path.join(t.project, '.orchestratorrc'), { force: true });
        writeFileSync(path.join(t.project, '.orchestratorrc.json'), text);
        const refused = await loadConfig({ cwd: t.project, env: t.env, trust: 'inspect' }).then(
          () => undefined,
          (err: unknown) => err,
        );
        expect(refused).toBeInstanceOf(UserError);
        expect((refused as UserError).message).toContain(`'${key}' is written twice`);
      }),
      { numRuns: 100 },
    );
  });
});
