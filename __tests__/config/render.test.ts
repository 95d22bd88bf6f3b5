import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseDocument } from 'yaml';
import { defaultConfig } from '../../src/config/defaults.js';
import { loadConfig } from '../../src/config/load.js';
import { renderConfig, rolePermissions } from '../../src/config/render.js';
import { CONFIG_KEYS } from '../../src/config/schema.js';
import { buildKeymap } from '../../components/keymap.js';
import { makeTempEnv } from './temp-env.js';
import type { TempEnv } from './temp-env.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const EXAMPLE = path.join(repoRoot, '.orchestratorrc.example');

let t: TempEnv;
beforeEach(() => {
  t = makeTempEnv();
});
afterEach(() => t.cleanup());

async function loadLayered() {
  const globalFile = t.write('xdg/orchestrator/config.yaml', 'killGraceMs: 250\nagents:\n  reviewer: { tools: [Read] }\n');
  const projectFile = t.write('project/.orchestratorrc', 'agents:\n  coder: { model: sonnet }\n');
  // As `orchestrator config` loads it: shown, trusted or not.
  const loaded = await loadConfig({ cwd: t.project, env: t.env, overrides: { concurrency: 2 }, trust: 'inspect' });
  return { loaded, globalFile, projectFile };
}

describe('renderConfig as YAML', () => {
  it('round-trips: parsing the output gives back the merged config', async () => {
    const { loaded } = await loadLayered();
    expect(parse(renderConfig(loaded, { json: false }))).toEqual(loaded.config);
  });

  it('puts a comment naming the source above each top-level key', async () => {
    const { loaded, globalFile, projectFile } = await loadLayered();
    const doc = parseDocument(renderConfig(loaded, { json: false }));
    expect(doc.errors).toEqual([]);
    const text = renderConfig(loaded, { json: false });
    const commentAbove = (key: string) => {
      const lines = text.split('\n');
      return lines[lines.findIndex((l) => l.startsWith(`${key}:`)) - 1];
    };
    expect(commentAbove('concurrency')).toBe('# from command line');
    expect(commentAbove('killGraceMs')).toBe(`# from ${globalFile}`);
    expect(commentAbove('providers')).toBe('# from built-in defaults');
    expect(commentAbove('agents')).toBe(`# from ${projectFile}`);
    expect(commentAbove('workflows')).toBe('# from built-in defaults');
  });

  it('keeps multi-line prompts and placeholders intact', async () => {
    const loaded = await loadConfig({ cwd: t.project, env: t.env });
    const back = parse(renderConfig(loaded, { json: false })) as typeof loaded.config;
    expect(back.workflows.standard?.steps[2]?.prompt).toBe(defaultConfig().workflows.standard?.steps[2]?.prompt);
    expect(back.workflows.standard?.steps[2]?.prompt).toContain('\n{{task.prompt}}\n');
  });
});

describe('renderConfig as JSON', () => {
  it('prints { config, sources, permissions, project } that parse back exactly', async () => {
    const { loaded, globalFile, projectFile } = await loadLayered();
    const out = JSON.parse(renderConfig(loaded, { json: true })) as unknown;
    expect(out).toEqual({
      permissions: rolePermissions(loaded.config),
      config: loaded.config,
      project: { file: projectFile, trust: 'untrusted' },
      sources: {
        concurrency: 'command line',
        killGraceMs: globalFile,
        providers: 'built-in defaults',
        agents: projectFile,
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
      },
    });
    expect(Object.keys((out as { sources: object }).sources)).toEqual([...CONFIG_KEYS]);
  });
});

describe('.orchestratorrc.example', () => {
  it('loads cleanly through --config', async () => {
    const loaded = await loadConfig({ cwd: t.project, env: t.env, configFile: EXAMPLE });
    expect(loaded.files).toEqual([EXAMPLE]);
    // It spells out the built-in defaults, so copying it as it is changes nothing.
    expect(loaded.config).toEqual(defaultConfig());
  });

  it("its keys: example uses command ids and keys the dashboard accepts", async () => {
    const lines = readFileSync(EXAMPLE, 'utf8').split('\n');
    const start = lines.findIndex((l) => l === '#   keys:');
    const example = lines.slice(start, lines.findIndex((l, i) => i > start && !l.startsWith('#   '))).map((l) => l.slice(1));
    const keys = (parse(example.join('\n')) as { keys: Record<string, string[]> }).keys;
    expect(Object.keys(keys).length).toBeGreaterThan(0);
    const file = t.write('project/keys.yaml', example.join('\n'));
    // Checked as `orchestrator config` and the dashboard check it: an unknown id (select-down) fails here.
    const loaded = await loadConfig({ cwd: t.project, env: t.env, configFile: file, checkKeys: (k) => buildKeymap(k).problems });
    expect(loaded.config.keys).toEqual(keys);
  });

  it('documents every field of the schema in a comment of its own', () => {
    const comments = readFileSync(EXAMPLE, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('#'));
    const documented = (pattern: RegExp) => comments.some((l) => pattern.test(l));
    for (const key of CONFIG_KEYS) expect([key, documented(new RegExp(`^# ${key}: \\w`))]).toEqual([key, true]);
    const fields = ['type', 'command', 'args', 'env', 'provider', 'model', 'systemPrompt', 'tools', 'steps', 'agent', 'prompt', 'failureMode'];
    for (const field of fields) expect([field, documented(new RegExp(`^#\\s+${field}\\s{2,}\\S`))]).toEqual([field, true]);
    const allowed = ['claude', 'codex', 'goose', 'command', 'shell', 'hard', 'soft', 'skip'];
    for (const value of allowed) expect([value, documented(new RegExp(`\\b${value}\\b \\(`))]).toEqual([value, true]);
  });
});
