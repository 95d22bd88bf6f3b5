import { describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { claudeAdapter } from '../../../src/agents/providers/claude.js';
import { codexAdapter, sandboxDenials } from '../../../src/agents/providers/codex.js';
import { permissionFlags, permissionsOf } from '../../../src/config/permissions.js';
import type { AgentRole, ProviderConfig } from '../../../src/config/schema.js';
import { FIXTURES, fake, runAgent } from './helpers.js';

/** Outcomes recorded from the real CLIs (claude 2.1.332, codex 0.171.0 against the stub model), told as they were. */
const claude = { type: 'claude' as const, command: fake('claude') };
const codex = { type: 'codex' as const, command: fake('codex') };

describe('an agent refused what it tried', () => {
  it('Claude: a result of "success" listing permission_denials is a permanent failure naming the denied tool', async () => {
    const run = runAgent(claudeAdapter, { prompt: 'scenario:permission-denied write hello', provider: claude });
    const outcome = await run.done;
    expect(outcome).toMatchObject({ ok: false, failure: 'permanent' });
    expect(outcome.ok === false && outcome.reason).toMatch(/denied what it tried: Write \/tmp\/cw\/hello\.txt/);
    // Said in the pane as it happened.
    expect(run.text()).toMatch(/⊘ denied Write: Claude requested permissions to write/);
  });

  it('Claude: a role with denials: allow completes with the agent\'s result', async () => {
    const run = runAgent(claudeAdapter, { prompt: 'scenario:permission-denied write hello', provider: claude, role: { denials: 'allow' } });
    expect(await run.done).toEqual({ ok: true, result: 'Wrote the file.' });
  });

  it('Codex: the commands its sandbox refused are read from the thread\'s session log', () => {
    const home = path.join(FIXTURES, 'codex');
    expect(sandboxDenials(home, '01a242dc-6879-73e3-80b5-bd5d380bc602')).toEqual([
      'exec_command printf hi > hello.txt (Read-only file system)',
    ]);
    expect(sandboxDenials(home, 'no-such-thread')).toEqual([]);
    expect(sandboxDenials(path.join(home, 'missing'), 'x')).toEqual([]);
  });
});

describe('Codex decides on the turn, not on error events', () => {
  it('"Reconnecting... 1/1" followed by a completed turn is a success', async () => {
    const run = runAgent(codexAdapter, { prompt: 'scenario:reconnect hi', provider: codex });
    expect(await run.done).toEqual({ ok: true, result: 'All done.' });
    expect(run.text()).toMatch(/! Reconnecting\.\.\. 1\/1/);
  });

  it('an HTTP 500 after the "Model metadata … not found" warning stays transient', async () => {
    const run = runAgent(codexAdapter, { prompt: 'scenario:http-500 hi', provider: codex });
    const outcome = await run.done;
    expect(outcome).toMatchObject({ ok: false, failure: 'transient' });
    expect(outcome.ok === false && outcome.reason).toMatch(/^We’re currently experiencing high demand/);
  });
});

describe('permissions: each level as the CLI\'s own flags', () => {
  const role = (over: Partial<AgentRole> = {}): AgentRole => ({ provider: 'p', ...over });
  const provider = (type: ProviderConfig['type'], over: Partial<ProviderConfig> = {}): ProviderConfig => ({ type, command: type, args: [], env: {}, ...over });

  it.each([
    ['read-only', ['--permission-mode', 'dontAsk'], ['--sandbox', 'read-only']],
    ['edit', ['--permission-mode', 'acceptEdits', '--allowedTools', 'Bash'], ['--sandbox', 'workspace-write']],
    ['full', ['--permission-mode', 'bypassPermissions'], ['--sandbox', 'danger-full-access']],
  ] as const)('%s', (level, claudeFlags, codexFlags) => {
    expect(permissionFlags(role({ permissions: level }), provider('claude'))).toEqual(claudeFlags);
    expect(permissionFlags(role({ permissions: level }), provider('codex'))).toEqual(codexFlags);
  });

  it('unset is edit; a codex provider\'s older sandbox still counts; the role\'s tools join one --allowedTools', () => {
    expect(permissionsOf(role(), provider('claude'))).toBe('edit');
    expect(permissionsOf(role(), provider('codex', { sandbox: 'read-only' }))).toBe('read-only');
    expect(permissionsOf(role({ permissions: 'full' }), provider('codex', { sandbox: 'read-only' }))).toBe('full');
    expect(permissionFlags(role({ tools: ['Read', 'Bash'] }), provider('claude'))).toEqual(['--permission-mode', 'acceptEdits', '--allowedTools', 'Bash', 'Read']);
  });

  it('a mode or sandbox in the provider\'s own args is kept, not overridden', () => {
    expect(permissionFlags(role({ permissions: 'read-only' }), provider('claude', { args: ['--dangerously-skip-permissions'] }))).toEqual([]);
    expect(permissionFlags(role(), provider('codex', { args: ['--full-auto'] }))).toEqual([]);
  });

  it('goose, command and shell providers get none (their own configuration decides)', () => {
    for (const type of ['goose', 'command', 'shell'] as const) expect(permissionFlags(role({ permissions: 'read-only' }), provider(type))).toEqual([]);
  });
});
