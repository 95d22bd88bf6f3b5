import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { buildKeymap, COMMAND_IDS } from '../../components/keymap.js';
import { loadConfig } from '../../src/config/load.js';
import { UserError } from '../../src/errors.js';
import type { Problem } from '../../src/errors.js';
import { makeTempEnv } from './temp-env.js';
import type { TempEnv } from './temp-env.js';

let t: TempEnv;
beforeEach(() => {
  t = makeTempEnv();
});
afterEach(() => t.cleanup());

/** Loads and returns the UserError it must throw; fails the test if it resolves or throws anything else. */
async function loadError(opts: { cwd?: string; configFile?: string; overrides?: { concurrency?: number } } = {}): Promise<UserError> {
  const error = await loadConfig({ cwd: t.project, env: t.env, ...opts }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UserError);
  return error as UserError;
}

type Case = [name: string, file: string, text: string, expected: Omit<Partial<Problem>, 'message'> & { message: RegExp }];

describe('a single bad project file', () => {
  const cases: Case[] = [
    ['mouse not a boolean', '.orchestratorrc', 'mouse: "off"\n', { line: 1, field: 'mouse', message: /expected true or false, found "off"/ }],
    [
      'wrong type, YAML',
      '.orchestratorrc.yaml',
      'killGraceMs: 10\nconcurrency: "four"\n',
      { line: 2, field: 'concurrency', message: /expected a number, found "four"/ },
    ],
    [
      'wrong type, JSON',
      '.orchestratorrc.json',
      '{\n  "killGraceMs": 10,\n  "concurrency": "four"\n}\n',
      { line: 3, field: 'concurrency', message: /expected a number, found "four"/ },
    ],
    [
      'wrong type in package.json',
      'package.json',
      '{\n  "name": "x",\n  "orchestrator": {\n    "concurrency": true\n  }\n}\n',
      { line: 4, field: 'concurrency', message: /expected a number, found true/ },
    ],
    ['bell not a switch', '.orchestratorrc', 'bell: quiet\n', { line: 1, field: 'bell', message: /expected true or false, found "quiet"|expected a boolean/ }],
    ['not a whole number', '.orchestratorrc', 'concurrency: 2.5\n', { line: 1, field: 'concurrency', message: /expected a whole number, found 2.5/ }],
    ['below the minimum', '.orchestratorrc', 'concurrency: 0\n', { line: 1, field: 'concurrency', message: /expected at least 1, found 0/ }],
    [
      'unknown top-level key',
      '.orchestratorrc',
      'concurrency: 2\nconcurency: 3\n',
      { line: 2, field: 'concurency', message: /unknown key 'concurency' \(did you mean 'concurrency'\?\)/ },
    ],
    [
      'unknown key inside a role',
      '.orchestratorrc.yml',
      'agents:\n  coder:\n    modle: sonnet\n',
      { line: 3, field: 'agents.coder.modle', message: /unknown key 'modle' \(did you mean 'model'\?\).*allowed: provider, model, systemPrompt, tools/ },
    ],
    [
      'unknown provider type',
      '.orchestratorrc.yml',
      'providers:\n  x:\n    type: cursor\n    command: cursor\n',
      { line: 3, field: 'providers.x.type', message: /expected one of claude, codex, goose, command, shell, found "cursor"/ },
    ],
    [
      'bad failure mode',
      '.orchestratorrc.yml',
      'workflows:\n  w:\n    steps:\n      - agent: coder\n        failureMode: fatal\n',
      { line: 5, field: 'workflows.w.steps[0].failureMode', message: /expected one of hard, soft, skip, found "fatal"/ },
    ],
    ['empty workflow', '.orchestratorrc.yml', 'workflows:\n  w:\n    steps: []\n', { line: 3, field: 'workflows.w.steps', message: /at least 1 item/ }],
    ['bad role name', '.orchestratorrc.yml', 'agents:\n  "my role":\n    provider: claude\n', { line: 2, field: 'agents.my role', message: /invalid name 'my role'/ }],
    ['not a mapping', '.orchestratorrc.yml', '- concurrency: 2\n', { field: '', message: /expected an object, found a list/ }],
    ['tools not a list', '.orchestratorrc.yml', 'agents:\n  coder:\n    tools: Read\n', { line: 3, field: 'agents.coder.tools', message: /expected a list, found "Read"/ }],
    ['empty command', '.orchestratorrc.yml', 'providers:\n  claude:\n    command: ""\n', { line: 3, field: 'providers.claude.command', message: /non-empty string/ }],
    ['reserved name', '.orchestratorrc.json', '{ "agents": { "constructor": { "provider": "claude" } } }', { field: 'agents.constructor', message: /reserved/ }],
    ['malformed YAML', '.orchestratorrc.yaml', 'concurrency: 2\nagents:\n  coder: [a, b\n', { line: 4, message: /invalid YAML/ }],
    ['duplicate YAML key', '.orchestratorrc.yaml', 'concurrency: 2\nconcurrency: 3\n', { line: 2, message: /invalid YAML: Map keys must be unique/ }],
    ['malformed JSON', '.orchestratorrc.json', '{\n  "concurrency": 2,\n}\n', { line: 3, message: /invalid JSON/ }],
    ['malformed extension-less JSON', '.orchestratorrc', '{\n  "concurrency": 2\n  "x": 1\n}\n', { line: 3, message: /invalid JSON/ }],
    ['malformed extension-less YAML', '.orchestratorrc', 'concurrency: 2\nagents: a: b\n', { line: 2, message: /invalid YAML: Nested mappings/ }],
    ['malformed package.json with our key', 'package.json', '{ "orchestrator": { "concurrency": 2, } }', { line: 1, message: /invalid JSON/ }],
  ];

  it.each(cases)('%s', async (_name, file, text, expected) => {
    const written = t.write(`project/${file}`, text);
    const error = await loadError();
    expect(error.problems).toHaveLength(1);
    const [problem] = error.problems;
    const { message, ...where } = expected;
    expect(problem).toMatchObject({ file: written, ...where });
    expect(problem?.message).toMatch(message);
    expect(error.message).toContain(written);
  });
});

describe('cross references, checked after merging', () => {
  it('names an unknown provider and lists the known ones, blaming the file and line that set it', async () => {
    t.write('xdg/orchestrator/config.yaml', 'providers:\n  mine: { type: command, command: mine }\n');
    const file = t.write('project/.orchestratorrc.yaml', 'concurrency: 2\nagents:\n  coder:\n    provider: claud\n');
    const error = await loadError();
    expect(error.problems).toEqual([
      {
        file,
        line: 4,
        field: 'agents.coder.provider',
        message: "unknown provider 'claud' (known: claude, codex, goose, shell, mine); did you mean 'claude'?",
      },
    ]);
  });

  it('names a workflow step with an unknown role', async () => {
    const file = t.write('project/.orchestratorrc.yaml', 'workflows:\n  fast:\n    steps:\n      - agent: coder\n      - agent: revewer\n');
    const [problem, ...rest] = (await loadError()).problems;
    expect(rest).toEqual([]);
    expect(problem).toMatchObject({ file, line: 5, field: 'workflows.fast.steps[1].agent' });
    expect(problem?.message).toMatch(/unknown role 'revewer' \(known: orchestrator, coder, reviewer, tester, shell\)/);
  });

  it('accepts a reference to a provider defined in another file', async () => {
    t.write('xdg/orchestrator/config.yaml', 'providers:\n  mine: { type: command, command: mine }\n');
    t.write('project/.orchestratorrc.yaml', 'agents:\n  coder: { provider: mine }\n');
    const { config } = await loadConfig({ cwd: t.project, env: t.env, trust: 'inspect' });
    expect(config.agents.coder?.provider).toBe('mine');
  });

  it('does not take inherited object properties for known names', async () => {
    t.write('project/.orchestratorrc.yaml', 'agents:\n  coder: { provider: toString }\nworkflows:\n  w: { steps: [{ agent: constructor }] }\n');
    const problems = (await loadError()).problems;
    expect(problems.map((p) => p.field)).toEqual(['agents.coder.provider', 'workflows.w.steps[0].agent']);
  });

  it('reports a new role missing its provider together with the other cross-reference errors', async () => {
    const file = t.write(
      'project/.orchestratorrc.yaml',
      'agents:\n  planner:\n    model: opus\n  coder:\n    provider: nope\nworkflows:\n  w: { steps: [{ agent: ghost }] }\n',
    );
    const problems = (await loadError()).problems;
    expect(problems.map((p) => [p.file, p.line, p.field])).toEqual([
      [file, 2, 'agents.planner.provider'],
      [file, 5, 'agents.coder.provider'],
      [file, 7, 'workflows.w.steps[0].agent'],
    ]);
    expect(problems[0]?.message).toMatch(/expected a string, found nothing/);
  });
});

describe('many problems at once', () => {
  it('reports every problem in every file, ordered by file and line', async () => {
    const globalFile = t.write('xdg/orchestrator/config.yaml', 'killGraceMs: -1\n');
    const projectFile = t.write('project/.orchestratorrc', 'concurency: 3\nagents:\n  coder:\n    tools: Read\n    model: 4\n');
    const problems = (await loadError()).problems;
    expect(problems.map((p) => [p.file, p.line, p.field])).toEqual([
      [globalFile, 1, 'killGraceMs'],
      [projectFile, 1, 'concurency'],
      [projectFile, 4, 'agents.coder.tools'],
      [projectFile, 5, 'agents.coder.model'],
    ]);
  });

  it('reports a wrong type and an unknown provider in the same pass, each once', async () => {
    const file = t.write('project/.orchestratorrc', 'concurrency: abc\nagents:\n  coder: { provider: nope }\nworkflows:\n  w: { steps: [{ agent: ghost }] }\n');
    const problems = (await loadError()).problems;
    expect(problems.map((p) => [p.file, p.line, p.field])).toEqual([
      [file, 1, 'concurrency'],
      [file, 3, 'agents.coder.provider'],
      [file, 5, 'workflows.w.steps[0].agent'],
    ]);
    expect(problems[1]?.message).toMatch(/unknown provider 'nope' \(known: claude, codex, goose, shell\)/);
  });

  it('a section that is not a map is one problem, not one more per reference to it', async () => {
    const file = t.write('project/.orchestratorrc', 'providers: []\nagents: ""\n');
    const problems = (await loadError()).problems;
    expect(problems.map((p) => [p.file, p.line, p.field])).toEqual([
      [file, 1, 'providers'],
      [file, 2, 'agents'],
    ]);
  });

  it('validates CLI overrides and says they came from the command line', async () => {
    const [problem, ...rest] = (await loadError({ overrides: { concurrency: 0 } })).problems;
    expect(rest).toEqual([]);
    expect(problem?.file).toBeUndefined();
    expect(problem?.field).toBe('concurrency');
    expect(problem?.message).toMatch(/expected at least 1, found 0 \(given on the command line\)/);
  });
});

describe('keys:, with the dashboard keymap check handed in', () => {
  const checkKeys = (keys: Parameters<typeof buildKeymap>[0]) => buildKeymap(keys).problems;

  it('an unknown command id is placed at its file and line, with the known ids, among the other problems', async () => {
    const file = t.write('project/.orchestratorrc', 'concurrency: 0\nkeys:\n  retry: R\n  select-down: j\n');
    const error = await loadConfig({ cwd: t.project, env: t.env, trust: 'inspect', checkKeys }).then(
      () => undefined,
      (e: unknown) => e as UserError,
    );
    expect(error?.problems.map((p) => [p.file, p.line, p.field])).toEqual([
      [file, 1, 'concurrency'],
      [file, 4, 'keys.select-down'],
    ]);
    expect(error?.problems[1]?.message).toContain(`unknown command 'select-down' (known: ${COMMAND_IDS.join(', ')})`);
  });

  it('a key clash names the file that made it, and valid overrides load', async () => {
    t.write('xdg/orchestrator/config.yaml', 'keys: { down: [j, ctrl+n] }\n');
    const project = t.write('project/.orchestratorrc', 'keys: { up: p }\n');
    const error = await loadConfig({ cwd: t.project, env: t.env, trust: 'inspect', checkKeys }).catch((e: unknown) => e as UserError);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).problems).toEqual([{ file: project, line: 1, field: 'keys.up', message: expect.stringContaining("'p' is already the key of 'pause'") }]);
    t.write('project/.orchestratorrc', 'keys: { up: [k, ctrl+p] }\n');
    const { config } = await loadConfig({ cwd: t.project, env: t.env, trust: 'inspect', checkKeys });
    expect(config.keys).toEqual({ down: ['j', 'ctrl+n'], up: ['k', 'ctrl+p'] });
  });
});

describe('--config', () => {
  it('names a file that does not exist', async () => {
    const error = await loadError({ configFile: 'missing.yaml' });
    const missing = path.join(t.project, 'missing.yaml');
    expect(error.message).toContain(missing);
    expect(error.problems[0]?.file).toBe(missing);
  });

  it('reports a directory given as the file', async () => {
    const error = await loadError({ configFile: t.home });
    expect(error.problems[0]).toMatchObject({ file: t.home, message: expect.stringMatching(/cannot read/) });
  });

  it('rejects a package.json that has no "orchestrator" key', async () => {
    const file = t.write('project/package.json', '{ "name": "x" }');
    const error = await loadError({ configFile: file });
    expect(error.problems[0]?.message).toMatch(/no "orchestrator" key/);
  });

  it('parses an unknown extension as JSON then YAML', async () => {
    t.write('project/settings.conf', 'concurrency: 11\n');
    const { config } = await loadConfig({ cwd: t.project, env: t.env, configFile: 'settings.conf' });
    expect(config.concurrency).toBe(11);
  });
});
