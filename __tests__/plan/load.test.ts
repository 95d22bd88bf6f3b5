import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../../src/errors.js';
import type { Problem } from '../../src/errors.js';
import { loadPlan, planFromText } from '../../src/plan/load.js';
import type { LoadPlanOptions } from '../../src/plan/load.js';

const ROLES = ['coder', 'reviewer', 'shell'];
let dir: string;
let opts: LoadPlanOptions;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'orch-plan-'));
  opts = { workspace: dir, knownRoles: ROLES };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The problems a plan text is rejected with; fails the test if it is accepted. */
function problemsOf(text: string, file = 'plan.yaml', options: LoadPlanOptions = opts): Problem[] {
  try {
    planFromText(text, file, options);
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return (err as UserError).problems;
  }
  throw new Error('expected the plan to be rejected');
}

const ADD_AUTH = `name: add-auth
tasks:
  - id: setup
    agent: shell
    prompt: npm install
  - id: implement-auth
    agent: coder
    prompt: "Implement auth"
    dependsOn: [setup]
    writes: [src/auth.ts, ./src/auth.ts]
    failureMode: soft
    timeout: 10m
    retries: 2
    followUps: false
`;

describe('loadPlan', () => {
  it('loads a YAML file, filling defaults and resolving writes', async () => {
    const file = path.join(dir, 'add-auth.yaml');
    writeFileSync(file, ADD_AUTH);
    const plan = await loadPlan(file, opts);
    expect(plan).toEqual({
      name: 'add-auth',
      file,
      workspace: dir,
      tasks: [
        { id: 'setup', agent: 'shell', prompt: 'npm install', dependsOn: [], writes: [], failureMode: 'hard', followUps: true },
        {
          id: 'implement-auth',
          agent: 'coder',
          prompt: 'Implement auth',
          dependsOn: ['setup'],
          writes: [path.join(dir, 'src/auth.ts')],
          failureMode: 'soft',
          timeoutMs: 600_000,
          retries: 2,
          followUps: false,
        },
      ],
    });
  });

  it('loads a JSON file and names the plan after the file', async () => {
    const file = path.join(dir, 'nightly.json');
    writeFileSync(file, JSON.stringify({ tasks: [{ id: 'a', agent: 'coder', prompt: 'p', timeout: 30 }] }, null, 2));
    const plan = await loadPlan(file, opts);
    expect(plan.name).toBe('nightly');
    expect(plan.tasks[0]!.timeoutMs).toBe(30_000);
  });

  it('refuses a file that does not exist, as a UserError naming it', async () => {
    const file = path.join(dir, 'missing.yaml');
    await expect(loadPlan(file, opts)).rejects.toThrow(UserError);
    await expect(loadPlan(file, opts)).rejects.toThrow(/missing\.yaml: no such file/);
  });
});

describe('planFromText: field errors carry file, line and field', () => {
  it.each([
    {
      name: 'failureMode not in the enum',
      text: 'tasks:\n  - id: a\n    agent: coder\n    prompt: p\n    failureMode: sometimes\n',
      problem: { file: 'plan.yaml', line: 5, field: 'tasks[0].failureMode', message: 'expected one of hard, soft, skip, found "sometimes"' },
    },
    {
      name: 'dependsOn given as a string',
      text: 'tasks:\n  - id: a\n    agent: coder\n    prompt: p\n    dependsOn: setup\n',
      problem: { file: 'plan.yaml', line: 5, field: 'tasks[0].dependsOn', message: 'expected a list of strings, found "setup" (write [setup])' },
    },
    {
      name: 'retries negative',
      text: 'tasks:\n  - id: a\n    agent: coder\n    prompt: p\n    retries: -1\n',
      problem: { file: 'plan.yaml', line: 5, field: 'tasks[0].retries', message: 'expected at least 0, found -1' },
    },
    {
      name: 'missing prompt is placed at the task',
      text: 'tasks:\n  - id: a\n    agent: coder\n',
      problem: { file: 'plan.yaml', line: 2, field: 'tasks[0].prompt', message: 'expected a string, found nothing (this field is required)' },
    },
    {
      name: 'unknown field (strict)',
      text: 'tasks:\n  - id: a\n    agent: coder\n    prompt: p\n    dependson: [b]\n',
      problem: { file: 'plan.yaml', line: 5, field: 'tasks[0].dependson', message: expect.stringMatching(/^unknown key 'dependson' \(did you mean 'dependsOn'\?\); allowed: id, agent, prompt, dependsOn/) },
    },
    {
      name: 'bad id characters',
      text: 'tasks:\n  - id: "a b"\n    agent: coder\n    prompt: p\n',
      problem: { file: 'plan.yaml', line: 2, field: 'tasks[0].id', message: "expected an id of letters, digits, - _ . not starting with '-' (it would read as a flag), found \"a b\"" },
    },
    {
      name: 'bad timeout',
      text: 'tasks:\n  - id: a\n    agent: coder\n    prompt: p\n    timeout: 10 minutes\n',
      problem: { file: 'plan.yaml', line: 5, field: 'tasks[0].timeout', message: 'expected a duration like 30s, 10m or 1h, found "10 minutes"' },
    },
    {
      name: 'timeout longer than a timer can wait',
      text: 'tasks:\n  - id: a\n    agent: coder\n    prompt: p\n    timeout: 1000h\n',
      problem: { file: 'plan.yaml', line: 5, field: 'tasks[0].timeout', message: 'expected a duration of at most 596h, found "1000h"' },
    },
    {
      name: 'tasks not a list',
      text: 'name: x\ntasks: 3\n',
      problem: { file: 'plan.yaml', line: 2, field: 'tasks', message: 'expected a list, found 3' },
    },
    {
      name: 'top level not an object',
      text: '- id: a\n',
      problem: { file: 'plan.yaml', line: 1, message: "expected an object with a 'tasks' list, found a list of 1 item" },
    },
  ])('$name', ({ text, problem }) => {
    expect(problemsOf(text)).toEqual([problem]);
  });

  it('locates field errors in JSON files too', () => {
    const text = '{\n\t"tasks": [\n\t\t{"id": "a", "agent": "coder", "prompt": "p"},\n\t\t{\n\t\t\t"id": "b",\n\t\t\t"agent": 7,\n\t\t\t"prompt": "p"\n\t\t}\n\t]\n}\n';
    expect(problemsOf(text, 'plan.json')).toEqual([
      { file: 'plan.json', line: 6, field: 'tasks[1].agent', message: 'expected a string, found 7' },
    ]);
  });

  it('reads JSON in a .yaml file with the JSON parser, still locating problems', () => {
    const text = '{"tasks": [\n  {"id": "a", "agent": "coder", "prompt": "p"},\n  {"id": "b", "agent": "coder", "prompt": "p", "dependsOn": ["zz"]}\n]}';
    expect(problemsOf(text, 'gen.yaml')).toEqual([
      { file: 'gen.yaml', line: 3, field: 'tasks[1].dependsOn[0]', message: "task b depends on 'zz', which is not in the plan" },
    ]);
    expect(planFromText('{"tasks": [{"id": "a", "agent": "coder", "prompt": "p"}]}', 'gen.yaml', opts).name).toBe('gen');
    // Flow-style YAML that is not JSON still loads as YAML.
    expect(planFromText('{tasks: [{id: a, agent: coder, prompt: p}]}', 'flow.yaml', opts).tasks[0]!.id).toBe('a');
  });

  it('reports schema and graph problems together, sorted by line', () => {
    const text = [
      'tasks:',
      '  - id: a',
      '    agent: codr',
      '    prompt: p',
      '    dependsOn: [b]',
      '  - id: b',
      '    agent: coder',
      '    prompt: 5',
      '    dependsOn: [a, ghost]',
      '  - id: c',
      '    agent: coder',
      '    prompt: p',
      '    writes: [../outside]',
    ].join('\n');
    expect(problemsOf(text).map((p) => [p.line, p.field])).toEqual([
      [3, 'tasks[0].agent'],
      [5, 'tasks[0].dependsOn[0]'],
      [8, 'tasks[1].prompt'],
      [9, 'tasks[1].dependsOn[1]'],
      [13, 'tasks[2].writes[0]'],
    ]);
  });

  it('reports graph problems with their line: cycle, missing dependency, duplicate, unknown role', () => {
    const text = 'tasks:\n  - {id: a, agent: coder, prompt: p, dependsOn: [b]}\n  - {id: b, agent: coder, prompt: p, dependsOn: [a]}\n  - {id: a, agent: x, prompt: p}\n';
    const problems = problemsOf(text);
    expect(problems).toEqual([
      { file: 'plan.yaml', line: 2, field: 'tasks[0].dependsOn[0]', message: 'cycle: a → b → a (each task depends on the next)' },
      { file: 'plan.yaml', line: 4, field: 'tasks[2].id', message: "duplicate id 'a': tasks[0] and tasks[2] both use it" },
      { file: 'plan.yaml', line: 4, field: 'tasks[2].agent', message: "unknown role 'x' (known: coder, reviewer, shell)" },
    ]);
  });

  it('refuses an empty plan', () => {
    expect(problemsOf('tasks: []\n')).toEqual([{ file: 'plan.yaml', line: 1, field: 'tasks', message: 'the plan has no tasks' }]);
    expect(problemsOf('')).toEqual([{ file: 'plan.yaml', message: "the file is empty: expected an object with a 'tasks' list" }]);
  });

  it('puts every problem into the error message', () => {
    expect(() => planFromText('tasks:\n  - {id: a, agent: x, prompt: p, dependsOn: [zz]}\n', 'p.yaml', opts)).toThrow(
      /p\.yaml is invalid \(2 problems\)\n {2}- p\.yaml:2: tasks\[0\]\.agent: unknown role 'x'.*\n {2}- p\.yaml:2: tasks\[0\]\.dependsOn\[0\]: task a depends on 'zz'/,
    );
  });
});

describe('planFromText: malformed files', () => {
  it.each([
    { name: 'JSON trailing comma', file: 'p.json', text: '{\n  "tasks": [\n    {"id": "a"},\n  ]\n}', line: 4 },
    { name: 'JSON bad literal (no position from V8)', file: 'p.json', text: '{\n  "tasks": [\n    {"id": tru}\n  ]\n}', line: 3 },
    { name: 'JSON cut short', file: 'p.json', text: '{\n  "tasks": [\n', line: 3 },
    { name: 'YAML bad indentation', file: 'p.yaml', text: 'tasks:\n  - id: a\n    agent: [coder\n  - id: b\n', line: 4 },
    { name: 'YAML duplicate key', file: 'p.yml', text: 'tasks: []\ntasks: []\n', line: 2 },
  ])('$name', ({ file, text, line }) => {
    const problems = problemsOf(text, file);
    expect(problems[0]).toMatchObject({ file, line, message: expect.stringMatching(/^malformed (JSON|YAML): /) });
  });

  it('says what V8 found without repeating the whole text', () => {
    const [problem] = problemsOf('{"tasks": [1,]}', 'p.json');
    expect(problem!.message).toBe("malformed JSON: Unexpected token ']'");
  });

  it('refuses a YAML alias bomb instead of expanding it', () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 12; i++) levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    expect(problemsOf(`${levels.join('\n')}\ntasks: []\n`)[0]!.message).toMatch(/aliases \(\*name\) expand to more than/);
  });

  it('accepts a byte-order mark', () => {
    expect(planFromText('\uFEFF{"tasks":[{"id":"a","agent":"coder","prompt":"p"}]}', 'p.json', opts).tasks).toHaveLength(1);
  });
});

describe('planFromText: writes', () => {
  const withWrites = (writes: string[]): string =>
    JSON.stringify({ tasks: [{ id: 'a', agent: 'coder', prompt: 'p', writes }] });

  it('canonicalises ./a, a and x/../a to one absolute path', () => {
    const plan = planFromText(withWrites(['./a', 'a', 'x/../a', 'src//b.ts', `${dir}/c`]), 'p.json', opts);
    expect(plan.tasks[0]!.writes).toEqual([path.join(dir, 'a'), path.join(dir, 'src/b.ts'), path.join(dir, 'c')]);
  });

  it.each(['../x', '/etc/passwd', 'a/../../x', '.'])('refuses %s', (w) => {
    const problems = problemsOf(withWrites(['ok.ts', w]), 'p.json');
    expect(problems).toEqual([{ file: 'p.json', line: 1, field: 'tasks[0].writes[1]', message: expect.stringContaining(`task 'a' writes '${w}', which is `) }]);
    expect(problems[0]!.message).toContain(dir);
  });
});

describe('planFromText: writes on disk, through symlinks', () => {
  const withWrites = (writes: string[]): string =>
    JSON.stringify({ tasks: [{ id: 'gen', agent: 'coder', prompt: 'p', writes }] });
  let ws: string;
  let ext: string;
  beforeAll(() => {
    ws = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'orch-plan-ws-')));
    ext = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'orch-plan-ext-')));
    symlinkSync(ext, path.join(ws, 'out'));
    symlinkSync('.', path.join(ws, 'here'));
  });
  afterAll(() => {
    rmSync(ws, { recursive: true, force: true });
    rmSync(ext, { recursive: true, force: true });
  });

  it('refuses a path whose real location is outside, naming the task, the path and where it leads', () => {
    const problems = problemsOf(withWrites(['ok.ts', 'out/passwd']), 'p.json', { workspace: ws, knownRoles: ROLES });
    expect(problems).toEqual([
      {
        file: 'p.json',
        line: 1,
        field: 'tasks[0].writes[1]',
        message: `task 'gen' writes 'out/passwd', which is outside the workspace: its real location is ${path.join(ext, 'passwd')} (${ws})`,
      },
    ]);
  });

  it('accepts a symlink that stays inside', () => {
    const plan = planFromText(withWrites(['here/a.ts']), 'p.json', { workspace: ws, knownRoles: ROLES });
    expect(plan.tasks[0]!.writes).toEqual([path.join(ws, 'here/a.ts')]);
  });
});

describe('planFromText: timeouts and defaults', () => {
  const timeoutOf = (timeout: string | number): number | undefined =>
    planFromText(JSON.stringify({ tasks: [{ id: 'a', agent: 'coder', prompt: 'p', timeout }] }), 'p.json', opts).tasks[0]!.timeoutMs;

  it.each([
    ['30s', 30_000],
    ['10m', 600_000],
    ['1h', 3_600_000],
    ['250ms', 250],
    ['1.5m', 90_000],
    [45, 45_000],
  ] as const)('timeout %p is %p ms', (timeout, ms) => {
    expect(timeoutOf(timeout)).toBe(ms);
  });

  it('leaves timeout unset and fills the other defaults', () => {
    const plan = planFromText('tasks:\n  - id: a\n    agent: coder\n    prompt: ""\n', 'dir/my.plan.yaml', opts);
    expect(plan.name).toBe('my.plan');
    expect(plan.file).toBe(path.resolve('dir/my.plan.yaml'));
    expect(plan.tasks[0]).toEqual({ id: 'a', agent: 'coder', prompt: '', dependsOn: [], writes: [], failureMode: 'hard', followUps: true });
    // Unset, not 0: the role's `retries` applies (retry-policy.ts).
    expect('retries' in plan.tasks[0]!).toBe(false);
    expect('timeoutMs' in plan.tasks[0]!).toBe(false);
  });

  it('drops repeated dependencies', () => {
    const plan = planFromText('tasks:\n  - {id: a, agent: coder, prompt: p}\n  - {id: b, agent: coder, prompt: p, dependsOn: [a, a]}\n', 'p.yaml', opts);
    expect(plan.tasks[1]!.dependsOn).toEqual(['a']);
  });

  it('resolves writes against the workspace it is given', () => {
    const nested = path.join(dir, 'nested');
    mkdirSync(nested, { recursive: true });
    const plan = planFromText('tasks:\n  - {id: a, agent: coder, prompt: p, writes: [f.ts]}\n', 'p.yaml', { ...opts, workspace: nested });
    expect(plan.workspace).toBe(nested);
    expect(plan.tasks[0]!.writes).toEqual([path.join(nested, 'f.ts')]);
  });
});
