import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { codexAdapter, tomlString } from '../../../src/agents/providers/codex.js';
import { gooseAdapter } from '../../../src/agents/providers/goose.js';
import { fake, runAgent, workdir } from './helpers.js';

const codex = { type: 'codex' as const, command: fake('codex') };
const goose = { type: 'goose' as const, command: fake('goose') };

describe('codex adapter', () => {
  it('reports the thread id, file changes and commands, usage, and the last agent message', async () => {
    const run = runAgent(codexAdapter, { prompt: 'add sum', provider: codex });
    expect(await run.done).toEqual({ ok: true, result: 'Added sum() in src/a.ts and a test; npm test passes.' });
    expect(run.sessionIds()).toHaveLength(1);
    expect(run.sessionIds()[0]).toMatch(/^0199a0c4-/);
    expect(run.usage()).toEqual({ inputTokens: 315, cacheReadTokens: 24448, outputTokens: 122 });
    const text = run.text();
    expect(text).toContain("$ bash -lc 'npm test'\r\n");
    expect(text).toContain('  ✗ exit 1\r\n');
    expect(text).toMatch(/→ Edit .*src\/a\.ts\r\n/);
    expect(text).toMatch(/→ Add .*src\/a\.test\.ts\r\n/);
  });

  it('argv: exec --json, -C workdir, sandbox, model, developer_instructions as a TOML string; resume before the prompt', async () => {
    const dir = workdir();
    const argvFile = path.join(dir, 'argv.json');
    const run = runAgent(codexAdapter, {
      prompt: 'go',
      workspace: { cwd: dir },
      provider: { ...codex, sandbox: 'workspace-write', env: { FAKE_ARGV_FILE: argvFile } },
      role: { model: 'gpt-5', systemPrompt: 'say "hi"\nthen stop' },
      resumeSessionId: 'thread-1',
      retryNote: 'it broke',
    });
    expect(await run.done).toMatchObject({ ok: true });
    const argv = JSON.parse(readFileSync(argvFile, 'utf8')) as string[];
    expect(argv.slice(0, -1)).toEqual(['exec', '--json', '--skip-git-repo-check', '-C', dir, '--sandbox', 'workspace-write', '-m', 'gpt-5', '-c', 'developer_instructions="say \\"hi\\"\\nthen stop"', 'resume', 'thread-1', '--']);
    expect(argv[argv.length - 1]).toMatch(/it broke[\s\S]*go$/);
    expect(run.sessionIds()).toEqual(['thread-1']);
  });

  it('turn.failed with a 429 is a transient failure with the agent\'s message', async () => {
    const outcome = await runAgent(codexAdapter, { prompt: 'scenario:turn-failed', provider: codex }).done;
    expect(outcome).toMatchObject({ ok: false, failure: 'transient', exitCode: 1 });
    if (!outcome.ok) expect(outcome.reason).toMatch(/^exceeded retry limit, last status: 429 Too Many Requests/);
  });

  it('survives malformed lines and a crash', async () => {
    expect(await runAgent(codexAdapter, { prompt: 'scenario:malformed', provider: codex }).done).toMatchObject({ ok: true });
    expect(await runAgent(codexAdapter, { prompt: 'scenario:crash', provider: codex }).done).toMatchObject({ ok: false });
  });

  it('writes TOML strings TOML accepts: escapes, DEL, lone surrogates', () => {
    expect(tomlString('a"b\\c\n\u007f')).toBe('"a\\"b\\\\c\\n\\u007F"');
    expect(tomlString('x\uD800y')).toBe('"x\uFFFDy"');
  });
});

describe('goose adapter', () => {
  it('names its session up front, shows tool calls, reports usage and the last assistant text', async () => {
    const run = runAgent(gooseAdapter, { prompt: 'add sum', provider: goose });
    const [name] = run.sessionIds();
    expect(name).toMatch(/^orchestrator-t1-[0-9a-f]{8}$/);
    expect(await run.done).toEqual({ ok: true, result: 'Added sum() to src/a.ts; the tests pass.' });
    expect(run.usage()).toEqual({ inputTokens: 4800, outputTokens: 320 });
    expect(run.text()).toContain('→ text_editor src/a.ts\r\n');
    expect(run.text()).toContain('$ npm test\r\n');
  });

  it('argv: run --name, --resume, --provider, --model, --system, stream-json, --text=prompt', async () => {
    const argvFile = path.join(workdir(), 'argv.json');
    const run = runAgent(gooseAdapter, {
      prompt: '--help me',
      provider: { ...goose, modelProvider: 'ollama', env: { FAKE_ARGV_FILE: argvFile } },
      role: { model: 'qwen2.5-coder:14b', systemPrompt: 'be brief' },
      resumeSessionId: 'orchestrator-t1-abc',
    });
    await run.done;
    const argv = JSON.parse(readFileSync(argvFile, 'utf8')) as string[];
    expect(argv).toEqual(['run', '--name=orchestrator-t1-abc', '--resume', '--provider=ollama', '--model=qwen2.5-coder:14b', '--system=be brief', '--output-format=stream-json', '--text=--help me']);
  });

  it('an error event is a failure classified from its words', async () => {
    const outcome = await runAgent(gooseAdapter, { prompt: 'scenario:error', provider: goose }).done;
    expect(outcome).toMatchObject({ ok: false, failure: 'transient' });
    if (!outcome.ok) expect(outcome.reason).toMatch(/model is overloaded/);
  });
});
