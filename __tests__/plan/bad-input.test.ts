import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { parseConfigText } from '../../src/config/parse.js';
import { MAX_PROBLEMS_SHOWN, UserError, listProblems } from '../../src/errors.js';
import type { Problem } from '../../src/errors.js';
import { jsonDuplicateKey } from '../../src/input/json-duplicates.js';
import { requireWorkspaceDir, workspaceWriteError } from '../../src/input/workspace-dir.js';
import { ensureStateDir } from '../../src/persist/paths.js';
import { loadPlan, planFromText } from '../../src/plan/load.js';

/** Input that used to be taken silently, read forever, or blown up: refused, naming what to fix. */
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'orch-bad-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function problemsOf(text: string, file = 'plan.yaml'): Problem[] {
  try {
    planFromText(text, file, { workspace: dir, knownRoles: ['shell'] });
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return (err as UserError).problems;
  }
  throw new Error('expected the plan to be rejected');
}

describe('plans', () => {
  it('a key written twice in a JSON plan is refused with its line (JSON.parse would keep the last)', () => {
    const text = '{"tasks": [\n  {"id": "a", "agent": "shell", "prompt": "x"},\n  {"id": "b", "agent": "shell", "prompt": "y", "id": "c"}\n]}';
    expect(problemsOf(text, 'plan.json')).toEqual([
      { file: 'plan.json', line: 3, message: "the key 'id' is written twice in tasks[1] (JSON would keep only the last)" },
    ]);
  });

  it('YAML aliases that expand a small file into millions of values are refused, not expanded', () => {
    const items = Array.from({ length: 3000 }, (_, i) => `  - x${i}`).join('\n');
    const tasks = Array.from({ length: 3000 }, (_, i) => `  - {id: t${i}, agent: shell, prompt: x, writes: *big}`).join('\n');
    const problems = problemsOf(`x-big: &big\n${items}\ntasks:\n${tasks}\n`);
    expect(problems).toEqual([{ file: 'plan.yaml', message: expect.stringMatching(/aliases \(\*name\) expand to more than 1,000,000 values/) }]);
  });

  it('a few aliases are fine', () => {
    const plan = planFromText('tasks:\n  - {id: a, agent: shell, prompt: &p "echo hi"}\n  - {id: b, agent: shell, prompt: *p}\n', 'plan.yaml', { workspace: dir, knownRoles: ['shell'] });
    expect(plan.tasks.map((t) => t.prompt)).toEqual(['echo hi', 'echo hi']);
  });

  it('ids that read as flags and NUL bytes in writes are refused', () => {
    const problems = problemsOf('tasks:\n  - {id: "-", agent: shell, prompt: x}\n  - {id: "--help", agent: shell, prompt: x, writes: ["a\\0b"]}\n');
    expect(problems.map((p) => [p.field, p.message])).toEqual([
      ['tasks[0].id', expect.stringMatching(/not starting with '-'/)],
      ['tasks[1].id', expect.stringMatching(/not starting with '-'/)],
      ['tasks[1].writes[0]', expect.stringMatching(/cannot contain a NUL byte/)],
    ]);
  });

  it('a FIFO named as the plan is refused at once, not read (the read would wait for a writer)', async () => {
    const fifo = path.join(dir, 'plan.yaml');
    execFileSync('mkfifo', [fifo]);
    await expect(loadPlan(fifo, { workspace: dir, knownRoles: [] })).rejects.toThrow(/it is a FIFO \(named pipe\)/);
    await expect(loadPlan('/dev/null', { workspace: dir, knownRoles: [] })).rejects.toThrow(/it is a device/);
    await expect(loadPlan(dir, { workspace: dir, knownRoles: [] })).rejects.toThrow(/it is a directory/);
  });
});

describe('configs', () => {
  it('a key written twice in a JSON config is refused', () => {
    const result = parseConfigText('/x/rc.json', '{\n  "concurrency": 2,\n  "concurrency": 8\n}');
    expect(result).toMatchObject({ ok: false, problems: [{ line: 3, message: "the key 'concurrency' is written twice in the top level (JSON would keep only the last)" }] });
  });

  it('an alias bomb in a YAML config is refused', () => {
    const items = Array.from({ length: 2000 }, (_, i) => `  - x${i}`).join('\n');
    const uses = Array.from({ length: 1000 }, (_, i) => `  r${i}: { provider: claude, tools: *big }`).join('\n');
    const result = parseConfigText('/x/rc.yaml', `x: &big\n${items}\nagents:\n${uses}\n`);
    expect(result).toMatchObject({ ok: false, problems: [{ message: expect.stringMatching(/expand to more than 1,000,000 values/) }] });
  });
});

describe('jsonDuplicateKey', () => {
  it('tells keys from string values, escapes and nesting apart', () => {
    expect(jsonDuplicateKey('{"a": "a", "b": {"a": 1}, "c": [{"a": 1}, {"a": 2}]}')).toBeUndefined();
    expect(jsonDuplicateKey('{"a\\u0062": 1, "ab": 2}')).toMatchObject({ key: 'ab', path: '' });
    expect(jsonDuplicateKey('{"x": {"k": "\\"", "k": 2}}')).toMatchObject({ key: 'k', path: 'x' });
    expect(jsonDuplicateKey('[{"a": 1}, {"b": [1, {"c": 1, "c": 2}]}]')).toMatchObject({ key: 'c', path: '[1].b[1]' });
  });
});

describe('config files and workspaces', () => {
  it('a FIFO given as the config is named as one, not read', async () => {
    const fifo = path.join(dir, 'rc.yaml');
    execFileSync('mkfifo', [fifo]);
    await expect(loadConfig({ cwd: dir, configFile: fifo, env: {} })).rejects.toThrow(/rc\.yaml: cannot read the config: it is a FIFO/);
  });

  it('a workspace that does not exist is refused, and nothing is created', () => {
    const missing = path.join(dir, 'no', 'such', 'folder');
    expect(() => requireWorkspaceDir(missing)).toThrow(/the workspace .* does not exist: give an existing folder/);
    expect(() => ensureStateDir(missing)).toThrow(UserError);
    expect(existsSync(path.join(dir, 'no'))).toBe(false);
  });

  it('a workspace the person cannot write is said as such (exit 2), not a crash', () => {
    const err = (code: string) => Object.assign(new Error(code), { code });
    expect(workspaceWriteError('/w', err('EROFS'))?.message).toMatch(/read-only file system/);
    expect(workspaceWriteError('/w', err('EACCES'))?.message).toMatch(/not writable by you/);
    expect(workspaceWriteError('/w', err('ENOSPC'))?.message).toMatch(/no space left/);
    expect(workspaceWriteError('/w', err('EIO'))).toBeUndefined();
  });
});

describe('many problems', () => {
  it('are listed up to a limit, then counted', () => {
    const problems = Array.from({ length: 100_123 }, (_, i) => ({ file: 'p.yaml', message: `problem ${i}` }));
    const text = listProblems(problems);
    expect(text.split('\n')).toHaveLength(MAX_PROBLEMS_SHOWN + 1);
    expect(text).toMatch(/\.\.\. and 100,073 more$/);
  });
});

describe('the project config search', () => {
  it('names a folder or a FIFO where a project config is looked for, instead of failing unnamed or hanging', async () => {
    const ws = mkdtempSync(path.join(os.tmpdir(), 'orch-rc-'));
    try {
      execFileSync('git', ['init', '-q'], { cwd: ws });
      const rc = path.join(ws, '.orchestratorrc');
      mkdirSync(rc);
      await expect(loadConfig({ cwd: ws, env: {}, trust: 'inspect' })).rejects.toThrow(/\.orchestratorrc: cannot read the config: it is a directory, not a file/);
      rmSync(rc, { recursive: true });
      execFileSync('mkfifo', [rc]);
      await expect(loadConfig({ cwd: ws, env: {}, trust: 'inspect' })).rejects.toThrow(/\.orchestratorrc: cannot read the config: it is a FIFO/);
    } finally {
      rmSync(ws, { recursive: true, force: true });
    }
  });
});
