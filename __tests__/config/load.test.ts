import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import os from 'node:os';
import path from 'node:path';
import { defaultConfig } from '../../src/config/defaults.js';
import { whatItRuns } from '../../src/config/executes.js';
import { globalConfigDir, loadConfig } from '../../src/config/load.js';
import { CONFIG_KEYS, ConfigSchema } from '../../src/config/schema.js';
import { makeTempEnv } from './temp-env.js';
import type { TempEnv } from './temp-env.js';

let t: TempEnv;
beforeEach(() => {
  t = makeTempEnv();
});
afterEach(() => t.cleanup());

/** Loads as `orchestrator config` does (trusted or not): these tests are about finding and merging; trust has its own (trust.test.ts). */
const load = (extra: { cwd?: string; configFile?: string; overrides?: { concurrency?: number } } = {}) =>
  loadConfig({ cwd: t.project, env: t.env, trust: 'inspect', ...extra });

describe('built-in defaults', () => {
  it('are a complete, valid config on their own', () => {
    const defaults = defaultConfig();
    expect(ConfigSchema.parse(defaults)).toEqual(defaults);
    expect(Object.keys(defaults.agents).sort()).toEqual(['coder', 'orchestrator', 'reviewer', 'shell', 'tester']);
    expect(Object.keys(defaults.providers).sort()).toEqual(['claude', 'codex', 'goose', 'shell']);
    expect(defaults.workflows.standard?.steps.map((s) => [s.agent, s.failureMode])).toEqual([
      ['coder', undefined],
      ['reviewer', 'soft'],
      ['tester', 'hard'],
    ]);
  });

  it('give every model-driven role a real system prompt', () => {
    for (const [name, role] of Object.entries(defaultConfig().agents)) {
      if (role.provider === 'shell') continue;
      expect([name, (role.systemPrompt ?? '').length > 80]).toEqual([name, true]);
    }
  });

  it('give the review and test steps templates using only known placeholders', () => {
    const steps = defaultConfig().workflows.standard!.steps;
    for (const step of steps.slice(1)) {
      expect(step.prompt).toContain('{{task.id}}');
      for (const [placeholder] of step.prompt!.matchAll(/\{\{[^}]*\}\}/g)) {
        expect(['{{task.id}}', '{{task.prompt}}', '{{task.result}}', '{{task.writes}}']).toContain(placeholder);
      }
    }
  });

  it('are fresh copies, so mutating one does not change the next', () => {
    defaultConfig().agents.coder!.model = 'changed';
    expect(defaultConfig().agents.coder!.model).toBeUndefined();
  });

  it('load with no config file anywhere', async () => {
    const loaded = await load();
    expect(loaded.config).toEqual(defaultConfig());
    expect(loaded.files).toEqual([]);
    expect(Object.values(loaded.sources)).toEqual(CONFIG_KEYS.map(() => 'built-in defaults'));
  });
});

describe('layering', () => {
  it('applies global then project, the project winning, and records sources', async () => {
    const globalFile = t.write('xdg/orchestrator/config.yaml', 'concurrency: 2\nkillGraceMs: 100\n');
    const projectFile = t.write('project/.orchestratorrc', 'concurrency: 8\n');
    const loaded = await load();
    expect(loaded.config.concurrency).toBe(8);
    expect(loaded.config.killGraceMs).toBe(100);
    expect(loaded.files).toEqual([globalFile, projectFile]);
    expect(loaded.sources).toEqual({
      concurrency: projectFile,
      killGraceMs: globalFile,
      providers: 'built-in defaults',
      agents: 'built-in defaults',
      workflows: 'built-in defaults',
      scrollback: 'built-in defaults',
      resumeOnRetry: 'built-in defaults',
      retryBaseMs: 'built-in defaults',
      retryMaxMs: 'built-in defaults',
      breaker: 'built-in defaults',
      bell: 'built-in defaults',
      spawner: 'built-in defaults',
      keys: 'built-in defaults',
      limits: 'built-in defaults',
      mouse: 'built-in defaults',
      worktree: 'built-in defaults',
      apply: 'built-in defaults',
      budget: 'built-in defaults',
    });
  });

  it('turns the dashboard bell off with bell: false, and needs no trust for it', async () => {
    expect((await load()).config.bell).toBe(true);
    t.write('project/.orchestratorrc', 'bell: false\n');
    expect((await load()).config.bell).toBe(false);
    expect(whatItRuns({ bell: false })).toEqual([]);
  });

  it('lets CLI overrides win over every file', async () => {
    t.write('project/.orchestratorrc', 'concurrency: 8\n');
    const loaded = await load({ overrides: { concurrency: 3 } });
    expect(loaded.config.concurrency).toBe(3);
    expect(loaded.sources.concurrency).toBe('command line');
    expect(await load({ overrides: {} })).toMatchObject({ config: { concurrency: 8 } });
  });

  it('overrides one field of one role and keeps the rest', async () => {
    t.write('project/.orchestratorrc.yaml', 'agents:\n  coder:\n    model: sonnet\n');
    const { config } = await load();
    const defaults = defaultConfig();
    expect(config.agents.coder).toEqual({ ...defaults.agents.coder, model: 'sonnet' });
    expect(config.agents.reviewer).toEqual(defaults.agents.reviewer);
  });

  it('adds a role next to the built-in ones', async () => {
    t.write('project/.orchestratorrc.yaml', 'agents:\n  docs:\n    provider: codex\n    model: gpt-5\n');
    const { config } = await load();
    expect(config.agents.docs).toEqual({ provider: 'codex', model: 'gpt-5' });
    expect(Object.keys(config.agents)).toEqual(expect.arrayContaining(['coder', 'reviewer', 'docs']));
  });

  it.each([
    ['project replaces a default list', '', 'agents: { reviewer: { tools: [Read] } }', ['Read']],
    ['project replaces a global list', 'agents: { reviewer: { tools: [Bash, Edit] } }', 'agents: { reviewer: { tools: [Grep] } }', ['Grep']],
    ['an empty list clears it', 'agents: { reviewer: { tools: [Bash] } }', 'agents: { reviewer: { tools: [] } }', []],
    ['global list replaces default when project says nothing', 'agents: { reviewer: { tools: [Bash] } }', 'concurrency: 1', ['Bash']],
  ])('arrays replace: %s', async (_name, globalText, projectText, tools) => {
    if (globalText) t.write('xdg/orchestrator/config.yaml', globalText);
    t.write('project/.orchestratorrc.yaml', projectText);
    expect((await load()).config.agents.reviewer?.tools).toEqual(tools);
  });

  it('replaces workflow steps as a whole', async () => {
    t.write('project/.orchestratorrc.yaml', 'workflows:\n  standard:\n    steps:\n      - agent: coder\n      - agent: tester\n');
    expect((await load()).config.workflows.standard?.steps).toEqual([{ agent: 'coder' }, { agent: 'tester' }]);
  });

  it('merges provider env by key and fills provider defaults for a new provider', async () => {
    t.write('xdg/orchestrator/config.yaml', 'providers: { claude: { env: { A: "1", B: "2" } } }');
    t.write('project/.orchestratorrc.yaml', 'providers: { claude: { env: { B: "3" } }, mine: { type: command, command: mycli } }');
    const { config } = await load();
    expect(config.providers.claude).toEqual({ type: 'claude', command: 'claude', args: [], env: { A: '1', B: '3' } });
    expect(config.providers.mine).toEqual({ type: 'command', command: 'mycli', args: [], env: {} });
  });

  it('--config replaces the project search but the global file still applies', async () => {
    const globalFile = t.write('xdg/orchestrator/config.yaml', 'killGraceMs: 7\n');
    t.write('project/.orchestratorrc', 'concurrency: 8\n');
    const given = t.write('elsewhere/custom.yaml', 'concurrency: 5\n');
    const loaded = await load({ configFile: '../elsewhere/custom.yaml' });
    expect(loaded.config).toMatchObject({ concurrency: 5, killGraceMs: 7 });
    expect(loaded.files).toEqual([globalFile, given]);
  });

  it.each([
    ['config.yaml', 'concurrency: 6\n'],
    ['config.yml', 'concurrency: 6\n'],
    ['config.json', '{ "concurrency": 6 }'],
  ])('reads the global %s', async (name, text) => {
    const file = t.write(`xdg/orchestrator/${name}`, text);
    const loaded = await load();
    expect(loaded.config.concurrency).toBe(6);
    expect(loaded.files).toEqual([file]);
  });

  it('falls back to ~/.config when XDG_CONFIG_HOME is unset or relative', async () => {
    expect(globalConfigDir({ HOME: '/h' })).toBe('/h/.config/orchestrator');
    expect(globalConfigDir({ HOME: '/h', XDG_CONFIG_HOME: 'rel' })).toBe('/h/.config/orchestrator');
    expect(globalConfigDir({ HOME: '/h', XDG_CONFIG_HOME: '/x' })).toBe('/x/orchestrator');
    t.write('home/.config/orchestrator/config.yaml', 'concurrency: 9\n');
    const loaded = await loadConfig({ cwd: t.project, env: { HOME: t.home } });
    expect(loaded.config.concurrency).toBe(9);
  });
});

describe('project file discovery', () => {
  it.each([
    ['.orchestratorrc as JSON', '.orchestratorrc', '{ "concurrency": 7 }'],
    ['.orchestratorrc as YAML', '.orchestratorrc', 'concurrency: 7\n'],
    ['.orchestratorrc.json', '.orchestratorrc.json', '{ "concurrency": 7 }'],
    ['.orchestratorrc.yaml', '.orchestratorrc.yaml', 'concurrency: 7\n'],
    ['.orchestratorrc.yml', '.orchestratorrc.yml', 'concurrency: 7\n'],
    ['orchestrator.config.json', 'orchestrator.config.json', '{ "concurrency": 7 }'],
    ['"orchestrator" in package.json', 'package.json', '{ "name": "p", "orchestrator": { "concurrency": 7 } }'],
  ])('finds %s', async (_name, file, text) => {
    const written = t.write(`project/${file}`, text);
    const loaded = await load();
    expect(loaded.config.concurrency).toBe(7);
    expect(loaded.files).toEqual([written]);
    expect(loaded.sources.concurrency).toBe(written);
  });

  it('skips a package.json without the key and keeps searching upward', async () => {
    t.write('.git/HEAD', 'ref: refs/heads/main\n');
    t.write('project/package.json', '{ "name": "inner" }');
    const outer = t.write('.orchestratorrc', 'concurrency: 3\n');
    const loaded = await load();
    expect(loaded.files).toEqual([outer]);
  });

  it('prefers an rc file to package.json in the same directory', async () => {
    t.write('project/package.json', '{ "orchestrator": { "concurrency": 2 } }');
    const rc = t.write('project/.orchestratorrc.yml', 'concurrency: 3\n');
    expect((await load()).files).toEqual([rc]);
  });

  it('searches upward from a nested directory, nearest file first', async () => {
    t.write('.git/HEAD', 'ref: refs/heads/main\n');
    t.write('.orchestratorrc', 'concurrency: 2\n');
    const near = t.write('project/.orchestratorrc', 'concurrency: 3\n');
    const cwd = path.join(t.project, 'src', 'deep', 'er');
    t.write('project/src/deep/er/keep', '');
    expect((await load({ cwd })).files).toEqual([near]);
  });

  it('searches up to the git root even when cwd is not under the home directory', async () => {
    t.write('.git/HEAD', 'ref: refs/heads/main\n');
    const top = t.write('.orchestratorrc', 'concurrency: 2\n');
    const cwd = path.join(t.project, 'a', 'b', 'c', 'd');
    t.write('project/a/b/c/d/keep', '');
    expect(cwd.startsWith(os.homedir() + path.sep)).toBe(false);
    expect(cwd.startsWith(t.home + path.sep)).toBe(false);
    const loaded = await load({ cwd });
    expect(loaded.files).toEqual([top]);
    expect(loaded.config.concurrency).toBe(2);
  });

  it('treats a comment-only YAML file as empty', async () => {
    const file = t.write('project/.orchestratorrc.yaml', '# nothing yet\n');
    const loaded = await load();
    expect(loaded.config).toEqual(defaultConfig());
    expect(loaded.files).toEqual([file]);
  });
});
